"""Nothing outside schools/access/ reads raw grants (architecture.md "Access,
one place"): views, services, selectors and context processors ask the engine a
question (can, has_perm, bureaus_for, schools_for, school_roles_of, get_for_user)
instead of looking at who holds which role where. Reading Membership rows to
find *recipients* of a notice is not a permission decision and is not caught."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SKIP_DIRS = {".venv", "node_modules", "migrations", "tests", ".git", "var"}
RAW_GRANTS = re.compile(
    r"\bgrants\s*\("                        # the engine's cache of a user's roles
    r"|\.(school|bureau)_roles\b"           # its two dictionaries
    r"|\ball_(school|bureau)_roles\b"
    r"|\b(SCHOOL|BUREAU|GLOBAL)_RULES\s*\["  # the rule tables, read as data
    r"|\bADMIN_MODEL_RULES\s*\["
    r"|\brulebook\s*\("
    r"|\baccess\.(engine|rules)\b"      # the package's insides, reached around its door
)


def python_files():
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if SKIP_DIRS & set(rel.parts) or rel.parts[:2] == ("schools", "access"):
            continue
        yield rel, path


def readers() -> list[str]:
    found = []
    for rel, path in python_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if RAW_GRANTS.search(code):
                found.append(f"{rel}:{number}: {line.strip()}")
    return found


def test_nothing_outside_the_access_package_reads_raw_grants():
    assert readers() == []


def test_the_check_would_see_a_raw_read():
    for line in ("access.grants(user).bureau_roles", "g.school_roles.items()",
                 "roles & access.SCHOOL_RULES[perm]", "grants (user)",
                 "from schools.access.engine import grants as holds"):
        assert RAW_GRANTS.search(line), line
    for line in ("access.bureaus_for(user, perm)", "access.school_roles_of(user)",
                 "SCHOOL_RULES = {", "# grants(user) in a comment"):
        assert not RAW_GRANTS.search(line.split("#", 1)[0]), line


def test_the_walk_covers_the_apps_and_skips_the_package():
    seen = {str(rel) for rel, _path in python_files()}
    assert "reporting/views.py" in seen
    assert "safety_portal/views.py" in seen
    assert not any(s.startswith(("schools/access/", "tests/")) for s in seen)
