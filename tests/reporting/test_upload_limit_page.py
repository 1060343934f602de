"""A request larger than the proxy allows reaches the user as the portal's own
page naming the limits (issue 8 item 1): the documented nginx configuration
sends its 413 to a page shipped in the project, and that page states the limits
the portal enforces."""

import re
from pathlib import Path

from core.photos import DEFAULT_MAX_BYTES
from reporting.models import MAX_PHOTOS_PER_REPORT

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "docs" / "deploy" / "nginx-portal.conf"
PAGE = ROOT / "static" / "errors" / "413.html"
MB = 1024 * 1024


def directives(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def test_the_nginx_413_points_to_a_page_the_project_ships():
    conf = directives(CONF.read_text())
    uri = re.search(r"error_page\s+413\s+(\S+);", conf).group(1)
    block = re.search(r"location\s*=\s*" + re.escape(uri) + r"\s*\{([^}]*)\}", conf).group(1)
    assert re.search(r"\binternal;", block)  # nobody opens it by its address
    served = re.search(r"alias\s+(\S+);", block).group(1)
    # <checkout>/static/errors/413.html, or the same under STATIC_ROOT after collectstatic
    assert served.endswith("/static/errors/413.html")
    assert (ROOT / "static" / served.split("/static/", 1)[1]).is_file()


def test_the_proxy_limit_fits_a_full_report_of_photos():
    size = re.search(r"client_max_body_size\s+(\d+)m;", directives(CONF.read_text()))
    assert int(size.group(1)) * MB >= MAX_PHOTOS_PER_REPORT * DEFAULT_MAX_BYTES


def test_the_page_names_the_limits_the_portal_enforces_in_chinese_and_english():
    page = PAGE.read_text()
    assert re.search(r'data-limit="files">(\d+)<', page).group(1) == str(MAX_PHOTOS_PER_REPORT)
    assert re.search(r'data-limit="mb">(\d+)<', page).group(1) == str(DEFAULT_MAX_BYTES // MB)
    assert f"最多 <strong data-limit=\"files\">{MAX_PHOTOS_PER_REPORT}</strong> 张照片" in page
    assert f"at most {MAX_PHOTOS_PER_REPORT} photos of up to {DEFAULT_MAX_BYTES // MB} MB" in page


def test_the_page_runs_no_inline_script():
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", PAGE.read_text(), re.S)
    assert scripts
    assert all("src=" in attrs and not body.strip() for attrs, body in scripts)


def test_the_readme_documents_the_page_in_the_proxy_section():
    readme = (ROOT / "README.md").read_text()
    assert "error_page 413 /errors/413.html;" in readme
    assert "docs/deploy/nginx-portal.conf" in readme
    assert "client_max_body_size 210m;" in readme
