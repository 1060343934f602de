"""Reads for a pupil's page (issue 9 item 2): what the person asking may see of
one pupil, in a fixed number of queries whatever the number of guardians,
enrolments and circumstances (one each)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core import clock

from . import access
from .access_rules import SchoolsPerm
from .pupil_models import Circumstance, Pupil
from .school_year import label as school_year_label


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Whole years from `date_of_birth` to `day` (a birthday on 29 February
    counts from 1 March in other years)."""
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def pupil_page(pupil: Pupil, user) -> dict[str, Any]:
    """The page's context for `pupil` (already fetched through get_for_user,
    with school and current_class) as `user` may see it:

    - student_number: in full for whoever manages the school's roster
      (schools.manage_roster), else masked (schools.student_numbers.mask);
    - age (whole years, today in Asia/Shanghai);
    - guardians (primary first), enrolments (newest year first, each with
      `year_label`);
    - circumstances_current / circumstances_past, only with
      schools.view_circumstances for this pupil (else None: not shown at all);
    - the can_* flags for the page's buttons (the views decide again).
    Three queries (guardians, enrolments, circumstances) beyond the grants."""
    def may(perm):
        return access.can_for_pupil(user, perm, pupil)

    manages = may(SchoolsPerm.MANAGE_ROSTER)
    today = clock.today()
    enrolments = list(pupil.enrolments.select_related("school", "school_class")
                      .order_by("-school_year", "-id"))
    for e in enrolments:
        e.year_label = school_year_label(e.school_year)
    context: dict[str, Any] = {
        "pupil": pupil,
        "student_number": pupil.student_number if manages else pupil.masked_student_number,
        "student_number_masked": not manages,
        "age": age_on(pupil.date_of_birth, today),
        "guardians": list(pupil.guardians.order_by("-is_primary", "id")),
        "enrolments": enrolments,
        "circumstances_current": None,
        "circumstances_past": None,
        "can_manage_roster": manages,
        "can_record_circumstance": may(SchoolsPerm.RECORD_CIRCUMSTANCE),
        "can_edit_guardians": may(SchoolsPerm.EDIT_GUARDIANS),
        "can_view_access_log": may(SchoolsPerm.VIEW_PUPIL_ACCESS_LOG),
    }
    if may(SchoolsPerm.VIEW_CIRCUMSTANCES):
        rows = list(Circumstance.objects.filter(pupil=pupil).select_related("recorded_by")
                    .order_by("-since", "-id"))
        # One that starts later is listed with the current ones (it is not past).
        context["circumstances_current"] = [c for c in rows
                                            if c.until is None or c.until >= today]
        context["circumstances_past"] = [c for c in rows
                                         if c.until is not None and c.until < today]
    return context
