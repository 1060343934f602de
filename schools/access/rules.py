"""The vocabulary rule files speak, and the rulebook the engine builds from them.

Each installed app may have an ``access_rules`` module (found by
``core.discovery.app_modules("access_rules")``). It declares, all optional:

``class XPerm(Perm)``     its permissions, codes "<app>.<verb_noun>", unique in the house
``SCHOOL_RULES``          {perm: school roles that hold it at their own school}
``BUREAU_RULES``          {perm: bureau roles that hold it in their bureau and at
                          each of its schools}
``GLOBAL_RULES``          {perm: bureau roles that hold it wherever they hold the role}
``SUPERUSER_PERMS``       perms a superuser holds without any role
``ADMIN_MODEL_RULES``     {"app.model": admin_rule(view=…, add=…, change=…, delete=…)}
``RECORD_SCOPES``         {"app.model": SchoolScope(…) | BureauScope(…) | OwnerScope(…)}:
                          how a record says whose it is, for get_for_user/allows
``SCHOOL_VISIBILITY``     the perm that makes a school (and what hangs off it)
                          visible; declared by exactly one file (schools')
``PUPIL_VISIBILITY``      the perm that makes a pupil (and the child-level
                          records about them, PupilScope) visible; one file
``CLASS_BOUND_ROLES``     school roles that reach a pupil only through the
                          classes they lead this school year (the head teacher)

Rule files name other apps' models by label string only, so nothing here imports
a domain. The rulebook is built on first use (apps must be ready) and checked
then: a permission code declared twice, a rule for a perm no file declares, a
model given two admin rows or two scopes all raise ImproperlyConfigured.
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from types import ModuleType

from django.core.exceptions import ImproperlyConfigured

from ..models import Role

RoleSet = frozenset[Role]
NONE: RoleSet = frozenset()


class Perm(StrEnum):
    """The base of every app's permissions. It has no members: each app declares
    ``class ReportingPerm(Perm): VIEW_REPORT = "reporting.view_report"`` in its
    rule file. Members are strings, so a code read back from a log or an audit
    row compares equal to its member."""


ADMIN_ACTIONS = ("view", "add", "change", "delete")


def admin_rule(view=NONE, add=NONE, change=NONE, delete=NONE) -> dict[str, RoleSet]:
    """One ADMIN_MODEL_RULES row: which bureau roles may do each admin action.
    No roles at all means superusers only."""
    return {"view": frozenset(view), "add": frozenset(add), "change": frozenset(change),
            "delete": frozenset(delete)}


def _walk(record, path: str):
    for part in path.split("__"):
        record = getattr(record, part)
    return record


@dataclass(frozen=True)
class SchoolScope:
    """The record belongs to one school, reached by the ORM path `path` ("school",
    "report__school"); "" means the record is the school itself. Visible when the
    school is visible — or, with `seen_with`, only to whoever holds that perm
    at the school (by a school role there or a bureau role of its bureau), so
    that a record only named people may open (a referral) is a 404 to the
    school's other staff, not a 403 that says it exists; a perm is held when
    `can(user, perm, school)`."""

    path: str
    seen_with: Perm | None = None

    def school_of(self, record):
        return _walk(record, self.path) if self.path else record


@dataclass(frozen=True)
class BureauScope:
    """The record belongs to a bureau (district), reached by `path`
    ("campaign__bureau", "deadline__campaign__bureau"). Visible to whoever holds
    `seen_with` in that bureau (None: any role of that bureau); a perm is held
    when `can_in_bureau(user, perm, bureau_id)`."""

    path: str
    seen_with: Perm | None = None

    def bureau_id_of(self, record) -> int:
        head, _sep, last = self.path.rpartition("__")
        return getattr(_walk(record, head) if head else record, f"{last}_id")


@dataclass(frozen=True)
class OwnerScope:
    """Only the user named by `path` ("requested_by") may see the record; a perm
    is held when that user holds it as a global perm (`has_perm`)."""

    path: str

    def owner_id_of(self, record) -> int:
        head, _sep, last = self.path.rpartition("__")
        return getattr(_walk(record, head) if head else record, f"{last}_id")


@dataclass(frozen=True)
class PupilScope:
    """The record is about one child, reached by `path` ("" for the pupil
    itself, "pupil" for a record with a pupil foreign key). Visible when the
    pupil is (PUPIL_VISIBILITY: the school's named people, a head teacher for
    the classes they lead this school year, no bureau role unless a rule says
    so); a perm is held when the same reach holds it (`can_for_pupil`). This
    is the protocol of child-level records (referrals, screening results,
    circumstances): a domain's rule file names its model here and schools
    imports none of them."""

    path: str

    def pupil_of(self, record):
        return _walk(record, self.path) if self.path else record


Scope = SchoolScope | BureauScope | OwnerScope | PupilScope


@dataclass
class Rulebook:
    """Every rule file merged. Built once by `rulebook()`."""

    perms: dict[str, Perm] = field(default_factory=dict)
    school: dict[str, RoleSet] = field(default_factory=dict)
    bureau: dict[str, RoleSet] = field(default_factory=dict)
    global_: dict[str, RoleSet] = field(default_factory=dict)
    superuser: set[str] = field(default_factory=set)
    admin_models: dict[str, dict[str, RoleSet]] = field(default_factory=dict)
    scopes: dict[str, Scope] = field(default_factory=dict)
    school_visibility: Perm | None = None
    pupil_visibility: Perm | None = None
    class_bound: frozenset = frozenset()

    def scope_for(self, label: str) -> Scope:
        try:
            return self.scopes[label]
        except KeyError:
            raise ImproperlyConfigured(
                f"{label} has no RECORD_SCOPES entry in any access_rules module") from None


def _declared_perms(module: ModuleType) -> list[type[Perm]]:
    return [obj for _name, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, Perm) and obj is not Perm and obj.__module__ == module.__name__]


def build(modules: list[ModuleType]) -> Rulebook:
    """Merge rule files into one Rulebook. Raises ImproperlyConfigured on a
    permission code declared twice, a rule naming an undeclared perm, a model
    with two admin rows or two scopes, or not exactly one SCHOOL_VISIBILITY."""
    book = Rulebook()
    origin: dict[str, str] = {}
    for module in modules:
        for enum in _declared_perms(module):
            for member in enum:
                if member.value in book.perms:
                    raise ImproperlyConfigured(
                        f"permission {member.value!r} is declared by {origin[member.value]} "
                        f"and again by {module.__name__}")
                book.perms[member.value] = member
                origin[member.value] = module.__name__
    for module in modules:
        for attr, table in (("SCHOOL_RULES", book.school), ("BUREAU_RULES", book.bureau),
                            ("GLOBAL_RULES", book.global_)):
            for perm, roles in getattr(module, attr, {}).items():
                if perm not in book.perms:
                    raise ImproperlyConfigured(
                        f"{module.__name__}.{attr} names {perm!r}, which no rule file declares")
                if perm in table:
                    raise ImproperlyConfigured(
                        f"{module.__name__}.{attr}: {perm!r} already has a rule")
                table[perm] = frozenset(roles)
        for perm in getattr(module, "SUPERUSER_PERMS", ()):
            if perm not in book.perms:
                raise ImproperlyConfigured(f"{module.__name__}.SUPERUSER_PERMS names {perm!r}")
            book.superuser.add(perm)
        for label, row in getattr(module, "ADMIN_MODEL_RULES", {}).items():
            if label in book.admin_models:
                raise ImproperlyConfigured(f"{label} has two ADMIN_MODEL_RULES rows")
            if set(row) != set(ADMIN_ACTIONS):
                raise ImproperlyConfigured(f"{label}: use admin_rule() for the row")
            book.admin_models[label] = row
        for label, scope in getattr(module, "RECORD_SCOPES", {}).items():
            if label in book.scopes:
                raise ImproperlyConfigured(f"{label} has two RECORD_SCOPES entries")
            book.scopes[label] = scope
        visibility = getattr(module, "SCHOOL_VISIBILITY", None)
        if visibility is not None:
            if book.school_visibility is not None:
                raise ImproperlyConfigured("SCHOOL_VISIBILITY is declared twice")
            book.school_visibility = visibility
        pupil_visibility = getattr(module, "PUPIL_VISIBILITY", None)
        if pupil_visibility is not None:
            if book.pupil_visibility is not None:
                raise ImproperlyConfigured("PUPIL_VISIBILITY is declared twice")
            book.pupil_visibility = pupil_visibility
        book.class_bound = book.class_bound | frozenset(getattr(module, "CLASS_BOUND_ROLES", ()))
    if book.school_visibility is None:
        raise ImproperlyConfigured("no access_rules module declares SCHOOL_VISIBILITY")
    return book


_lock = threading.Lock()
_book: Rulebook | None = None


def rulebook() -> Rulebook:
    """The merged rules of every installed app, built on first use (not at
    import: the apps must be ready for discovery)."""
    global _book
    if _book is None:
        from core.discovery import app_modules

        with _lock:
            if _book is None:
                _book = build(app_modules("access_rules"))
    return _book


def reset() -> None:
    """Forget the rulebook (tests that install or patch a rule file)."""
    global _book
    _book = None
