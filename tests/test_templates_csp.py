"""The pages' Content-Security-Policy allows styles and scripts from the
portal's own files only (settings CONTENT_SECURITY_POLICY: style-src and
script-src 'self'): an inline style attribute or script in a page template
is silently dropped by the browser. E-mail templates are not pages (found: a
column width on 强制报告统计)."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
INLINE = re.compile(r"""\sstyle\s*=\s*["']|<script(?![^>]*\bsrc=)[^>]*>""", re.IGNORECASE)


def test_page_templates_carry_no_inline_style_or_script():
    found = []
    for path in TEMPLATES.rglob("*.html"):
        if path.relative_to(TEMPLATES).parts[0] == "emails":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}")
    assert not found
