"""Which way the imports point (../shared/docs/architecture.md): schools is the
ground floor, notifications and audit are infrastructure, the domain apps do not
know each other, reporting sits on top."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = {"incidents", "attendance", "psych_screening", "campus"}
INFRASTRUCTURE = {"notifications", "audit"}
APPS = {"schools", "reporting", *DOMAIN, *INFRASTRUCTURE}

# What each app may not import.
FORBIDDEN = {
    "schools": APPS - {"schools"},
    "notifications": {"reporting", *DOMAIN},
    "audit": {"reporting", *DOMAIN},
    **{app: {"reporting", *(DOMAIN - {app})} for app in DOMAIN},
    "reporting": set(),
}


def imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & APPS


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_the_app_imports_only_what_is_below_it(app):
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) & FORBIDDEN[app])
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    }
    assert {path: apps for path, apps in wrong.items() if apps} == {}


def test_the_check_would_see_an_import_in_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from reporting import services\n    import audit.models\n")
    assert imported_apps(module) == {"reporting", "audit"}
