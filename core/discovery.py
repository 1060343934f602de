"""Each app plugs into the house by adding a module with a known name; this is
the one place that finds them (in INSTALLED_APPS order), so the ground floor and
the infrastructure never import a domain app.

Known module names:

=================  ===========================================================
``schedules``      SCHEDULES = {name: (task, crontab fields)} for Celery beat
``demo``           seed(stdout, ...) adding the app's demo data
``notice_kinds``   registers notice kinds with notifications.kinds
``followup_kinds`` registers follow-up kinds with followups.kinds
``access_rules``   permissions and rules for schools.access
``navigation``     NAV entries (the top bar's links, core.nav)
``timeline``       TIMELINE sources: what happened to a school or a pupil (core.timelines)
``audit_actions``  registers audit action codes with audit.actions
=================  ===========================================================
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

from django.apps import apps

PLUG_IN_MODULES = frozenset({"schedules", "demo", "notice_kinds", "followup_kinds",
                             "access_rules", "navigation", "timeline", "audit_actions"})


# (module name, installed apps) -> the modules found. The top bar and timelines
# ask on every page; searching the import path for modules an app does not have
# costs file-system look-ups each time. Keyed by the installed apps too, so a
# test that changes INSTALLED_APPS sees its own.
_found: dict[tuple[str, tuple[str, ...]], list[ModuleType]] = {}


def app_modules(name: str) -> list[ModuleType]:
    """Every installed app's ``<app>.<name>`` module, imported, in INSTALLED_APPS
    order. Raises ValueError for a name not in PLUG_IN_MODULES (a typo would
    otherwise find nothing, silently)."""
    if name not in PLUG_IN_MODULES:
        raise ValueError(f"unknown plug-in module name {name!r}")
    installed = tuple(config.name for config in apps.get_app_configs())
    key = (name, installed)
    if key not in _found:
        _found[key] = [import_module(f"{app}.{name}") for app in installed
                       if find_spec(app) is not None and find_spec(f"{app}.{name}") is not None]
    return list(_found[key])
