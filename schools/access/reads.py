"""Announcing reads of sensitive records in bulk: a roster listed, a roster
exported (one audit row per pupil), without one signal per record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .signals import access_granted

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .rules import Perm

__all__ = ["record_sensitive_reads"]


def record_sensitive_reads(request: HttpRequest, target_type: str, codes: Iterable[object],
                           action: str, perm: Perm | str, school_id: int | None = None) -> int:
    """Send ONE `access_granted` for many records of one type that
    ``request.user`` has just read: `codes` are their public codes (UUIDs or a
    school's code; never a name), `action` "view", "export" or "print",
    `perm` the permission exercised, `school_id` the school they belong to.
    The signal carries the codes as ``target_codes`` (a list of str) beside
    ``target_code`` ("" unless there is exactly one), so a receiver written for
    one record still gets a reference; audit writes one ALLOWED row per code
    in a single bulk insert. Returns how many codes were announced (0: no
    signal sent). Raises nothing itself. Rule: security.md G4 (every open or
    export of a child-level record is on the audit trail)."""
    codes = [str(code) for code in codes]
    if not codes:
        return 0
    access_granted.send(
        sender=None, request=request, user=request.user, perm=str(perm),
        target_type=target_type, target_code=codes[0] if len(codes) == 1 else "",
        target_codes=codes, action=action, school_id=school_id)
    return len(codes)
