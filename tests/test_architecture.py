"""Which way the imports point (../shared/docs/architecture.md): core is below
everything, schools is the ground floor, notifications, audit and followups are
infrastructure (followups may call notifications), the domain apps do not know
each other, reporting sits on top, and safety_portal wires them together."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = {"incidents", "attendance", "psych_screening", "campus"}
INFRASTRUCTURE = {"notifications", "audit", "followups"}
APPS = {"core", "schools", "reporting", "safety_portal", *DOMAIN, *INFRASTRUCTURE}

# What each app may import besides itself.
ALLOWED = {
    "core": set(),
    "schools": {"core"},
    "notifications": {"core", "schools"},
    "audit": {"core", "schools"},
    "followups": {"core", "schools", "notifications"},
    **{app: {"core", "schools", *INFRASTRUCTURE} for app in DOMAIN},
    "reporting": {"core", "schools", *INFRASTRUCTURE, *DOMAIN},
    "safety_portal": APPS - {"safety_portal"},
}


def imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & APPS


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_the_app_imports_only_what_is_below_it(app):
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) - ALLOWED[app] - {app})
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and "settings" not in path.parts
    }
    assert {path: apps for path, apps in wrong.items() if apps} == {}


def test_every_app_of_the_house_is_checked():
    packages = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert packages - set(ALLOWED) == set()


def test_the_check_would_see_an_import_in_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from reporting import services\n    import audit.models\n")
    assert imported_apps(module) == {"reporting", "audit"}
