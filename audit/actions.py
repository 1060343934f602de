"""The audit trail's vocabulary: every action code a row may carry, with its label.

Codes are "<domain>.<verb>" strings in blocks by domain (zulip's numbered blocks,
as names): ``record.*`` reads of sensitive records, ``access.*`` refusals,
``role.*``/``password.*``/``device.*`` accounts, ``audit.*`` the trail itself,
``export.*`` files leaving the portal, ``robot.*`` a school's group robots,
``task_force.*`` its task force, ``school.*`` its campaign period and
``roster.*`` its pupil roster (all
announced through core.signals' ``business_action``, as their apps may not
import audit), and each domain's own (``report.*``,
``deadline.*``, ``bulletin.*`` in reporting/audit_actions.py).

Infrastructure codes are registered here. A domain registers its own by adding
an ``audit_actions`` module (found by core.discovery, like ``notice_kinds``)::

    from django.utils.translation import gettext_lazy as _
    from audit.actions import register, register_transition

    register("hazard.fix", _("Fix hazard"))
    register_transition("campus.hazard", "finish", "hazard.fix")

A transition applied through core.workflows is recorded under the code the
domain mapped with `register_transition`, else under "<model label>.<transition
name>" if that code is registered. Either way the code must be registered:
`get()` raises UnknownAction otherwise, so audit_record never writes a typo.

Rows written before this vocabulary existed keep their old codes ("denied:http",
"read:audit_log"); `label()` shows such a code as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from core.discovery import app_modules


class UnknownAction(KeyError):
    """An action code nobody registered (a typo, or a domain that forgot its
    audit_actions module)."""


@dataclass(frozen=True)
class Action:
    code: str
    label: Any  # a lazy translation


_ACTIONS: dict[str, Action] = {}
_TRANSITIONS: dict[tuple[str, str], str] = {}
_loaded = False


def register(code: str, label: Any) -> Action:
    """Add `code` (e.g. "report.submit") with its label (gettext_lazy) to the
    vocabulary and return it. Registering the same code with the same label
    again is harmless (a module imported twice); with another label it raises
    ValueError, as does a code without a "." or longer than 60 characters."""
    if "." not in code or len(code) > 60 or code != code.strip():
        raise ValueError(f"audit action codes look like 'domain.verb', got {code!r}")
    existing = _ACTIONS.get(code)
    if existing is not None:
        if str(existing.label) != str(label):
            raise ValueError(f"audit action {code!r} registered twice with other labels")
        return existing
    action = Action(code=code, label=label)
    _ACTIONS[code] = action
    return action


def register_transition(model_label: str, transition: str, code: str) -> None:
    """Record transition `transition` of `model_label` ("reporting.progressreport",
    lower case as Model._meta.label_lower) under `code`, which must already be
    registered (else UnknownAction)."""
    get(code)
    _TRANSITIONS[(model_label.lower(), transition)] = code


def _ensure_loaded() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        app_modules("audit_actions")


def get(code: str) -> Action:
    """The registered action `code`. Raises UnknownAction if there is none."""
    _ensure_loaded()
    try:
        return _ACTIONS[code]
    except KeyError:
        raise UnknownAction(
            f"audit action {code!r} is not registered; add it to the app's "
            "audit_actions module") from None


def for_transition(model_label: str, transition: str) -> str:
    """The action code of a workflow transition: the domain's mapping, else
    "<model_label>.<transition>". Raises UnknownAction if neither is registered."""
    _ensure_loaded()
    code = _TRANSITIONS.get((model_label.lower(), transition),
                            f"{model_label.lower()}.{transition}")
    return get(code).code


def label(code: str) -> str:
    """The label of `code` for display; an unregistered (older) code as it is."""
    _ensure_loaded()
    action = _ACTIONS.get(code)
    return str(action.label) if action is not None else code


def record_types() -> list[str]:
    """The record types (model labels, "reporting.progressreport") the
    vocabulary knows: those of `register_transition` and of codes shaped
    "<app>.<model>.<transition>". Sorted; no query."""
    _ensure_loaded()
    labels = {model_label for model_label, _transition in _TRANSITIONS}
    labels.update(code.rsplit(".", 1)[0] for code in _ACTIONS if code.count(".") >= 2)
    return sorted(labels)


def record_type_label(model_label: str) -> str:
    """What a record type is called for people: the model's verbose name
    ("reporting.progressreport" → 进度报告, in the active language); a label
    no installed model has (an app removed since) as it is. No query."""
    if not model_label:
        return ""
    try:
        return str(apps.get_model(model_label)._meta.verbose_name)
    except (LookupError, ValueError):
        return model_label


def choices() -> list[tuple[str, str]]:
    """(code, label) of every registered action, ordered by code, for filters."""
    _ensure_loaded()
    return [(a.code, a.label) for a in sorted(_ACTIONS.values(), key=lambda a: a.code)]


# ------------------------------------------------------------ infrastructure
RECORD_VIEW = register("record.view", _("View"))
RECORD_EXPORT = register("record.export", _("Export record"))
RECORD_PRINT = register("record.print", _("Print record"))
ACCESS_DENIED = register("access.denied", _("Access refused"))
ROLE_GRANT = register("role.grant", _("Grant role"))
ROLE_REVOKE = register("role.revoke", _("Revoke role"))
PASSWORD_CHANGE = register("password.change", _("Change own password"))
PASSWORD_RESET = register("password.reset", _("Reset password"))
DEVICE_RESET = register("device.reset", _("Reset second-factor device"))
# Announced by schools.second_factor through core.signals.business_action.
DEVICE_ENROL = register("device.enrol", _("Enrol second-factor device"))
DEVICE_VERIFY_FAIL = register("device.verify_fail", _("Second-factor code refused"))
DEVICE_RECOVERY_USE = register("device.recovery_use", _("Use a recovery code"))
EXPORT_DOWNLOAD = register("export.download", _("Download export file"))
EXPORT_PUPIL_COUNTS = register("export.pupil_counts", _("Export priority-group counts"))
AUDIT_VIEW = register("audit.view", _("Read the audit log"))
AUDIT_EXPORT = register("audit.export", _("Export the audit log"))
AUDIT_PURGE = register("audit.purge", _("Purge expired audit rows"))
# Ground floor and infrastructure business actions (core.signals.business_action).
ROBOT_SAVE = register("robot.save", _("Save group robot"))
ROBOT_TEST = register("robot.test", _("Send group robot test message"))
TASK_FORCE_ADD = register("task_force.add", _("Add task force member"))
TASK_FORCE_REMOVE = register("task_force.remove", _("Remove task force member"))
TASK_FORCE_LEADER = register("task_force.leader", _("Change task force leader"))
SCHOOL_JOIN = register("school.join", _("School joins the campaign"))
SCHOOL_CLOSE = register("school.close", _("School closes or leaves the campaign"))
# schools.roster.plan.commit_import: counts only (new/changed/left), never a name.
ROSTER_IMPORT = register("roster.import", _("Import the pupil roster"))

# What access_granted's action word ("view", "export", "print") is recorded as.
RECORD_ACTIONS = {"view": RECORD_VIEW.code, "export": RECORD_EXPORT.code,
                  "print": RECORD_PRINT.code}

# A pupil's record (issue 9 items 2, 5, 8), announced by schools.pupil_services:
# circumstances and guardians through core.signals.business_action, status
# changes as transitions of schools' pupil-status workflow. Rows carry codes
# only (the pupil's or the circumstance's UUID), never a name, a phone or a note.
CIRCUMSTANCE_RECORD = register("circumstance.record", _("Record a pupil's circumstance"))
CIRCUMSTANCE_END = register("circumstance.end", _("End a pupil's circumstance"))
GUARDIAN_ADD = register("guardian.add", _("Add a pupil's guardian"))
GUARDIAN_EDIT = register("guardian.edit", _("Edit a pupil's guardian"))
PUPIL_STATUS_CODES = {
    "enrol": register("pupil.enrol", _("Pupil back in school (在读)")),
    "transfer_out": register("pupil.transfer_out", _("Pupil transferred out")),
    "suspend": register("pupil.suspend", _("Pupil's schooling suspended")),
    "drop_out": register("pupil.drop_out", _("Pupil dropped out")),
    "graduate": register("pupil.graduate", _("Pupil graduated")),
    "decease": register("pupil.decease", _("Pupil deceased")),
}
# Directly, not through register_transition (whose look-up would load every
# app's audit_actions while this module is still being imported).
for _transition, _action in PUPIL_STATUS_CODES.items():
    _TRANSITIONS[("schools.pupil", _transition)] = _action.code
