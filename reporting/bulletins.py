"""The late-school notice (通报): drafted from the data, edited, published."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from core import clock
from schools import access
from schools.models import User

from . import workflows
from .access_rules import ReportingPerm
from .models import Bulletin, Deadline, ProgressReport, Timeliness


def bulletin_figures(deadline: Deadline) -> dict:
    """Overall statistics and the schools on time, late and missing, by name:
    of the schools the deadline expects (Deadline.expected_schools, issue 8
    item 3), so a school added or closed later changes no past notice. Three
    queries."""
    expected = list(deadline.expected_schools().order_by("code")
                    .values_list("pk", "name"))
    submitted = dict(ProgressReport.objects.submitted().filter(
        deadline=deadline,
        school_id__in=[pk for pk, _name in expected],
    ).values_list("school_id", "first_submitted_at"))
    by_timeliness: dict[Timeliness, list[str]] = {t: [] for t in Timeliness}
    for pk, name in expected:
        by_timeliness[deadline.timeliness(submitted.get(pk))].append(name)
    on_time, late = by_timeliness[Timeliness.ON_TIME], by_timeliness[Timeliness.LATE]
    missing = by_timeliness[Timeliness.MISSING]
    n = len(expected)
    return {"expected": n, "submitted": len(submitted), "on_time": on_time, "late": late,
            "missing": missing,
            "on_time_rate": round(len(on_time) * 100 / n, 1) if n else None}


def _default_wording(deadline: Deadline, figures: dict, remedy_by: dt.date) -> tuple[str, str]:
    date = formats.date_format(deadline.due_date, "DATE_FORMAT")
    title = _("Notice on the submission of the %(date)s progress reports") % {"date": date}
    body = _(
        "Under the district's special campaign to prevent and resolve serious safety risks "
        "to minors, every school must report its work on the 13th and the 24th of each "
        "month. For the deadline of %(date)s, %(expected)s schools were expected to report: "
        "%(on_time)s reported on time, %(late)s reported late and %(missing)s have not "
        "reported (on-time rate %(rate)s%%). The schools that reported late or not at all are "
        "listed below. They are to submit their reports by %(remedy)s; late and missing "
        "reports count toward the annual appraisal of safety work."
    ) % {"date": date, "expected": figures["expected"], "on_time": len(figures["on_time"]),
         "late": len(figures["late"]), "missing": len(figures["missing"]),
         "rate": figures["on_time_rate"] if figures["on_time_rate"] is not None else 0,
         "remedy": formats.date_format(remedy_by, "DATE_FORMAT")}
    return title, body


def _check(by: User, deadline: Deadline) -> None:
    if not access.can_in_bureau(by, ReportingPerm.REVIEW_REPORT, deadline.campaign.bureau_id):
        raise PermissionDenied


@transaction.atomic
def bulletin_draft(*, deadline: Deadline, by: User, at: dt.datetime | None = None) -> Bulletin:
    """The deadline's notice, drafted from the data on first use. A draft's
    figures are refreshed each time it is opened; a published one is frozen.
    Raises PermissionDenied, or ValidationError before the deadline closes."""
    at = at or clock.now()
    _check(by, deadline)
    bulletin = Bulletin.objects.select_for_update().filter(deadline=deadline).first()
    if bulletin is not None and bulletin.status == Bulletin.Status.PUBLISHED:
        # As published, even when its deadline was since moved to a day not yet
        # past (it then says it was superseded: issue 8 item 3).
        return bulletin
    if not deadline.is_closed(at):
        raise ValidationError(_("The deadline has not passed yet."))
    figures = bulletin_figures(deadline)
    if bulletin is None:
        remedy_by = clock.today(at) + dt.timedelta(days=3)
        title, body = _default_wording(deadline, figures, remedy_by)
        return Bulletin.objects.create(deadline=deadline, title=title, body=body,
                                       remedy_by=remedy_by, figures=figures)
    bulletin.figures = figures
    bulletin.save(update_fields=["figures", "updated_at"])
    return bulletin


@transaction.atomic
def bulletin_edit(*, bulletin: Bulletin, by: User, title: str, body: str,
                  remedy_by: dt.date | None) -> Bulletin:
    _check(by, bulletin.deadline)
    if bulletin.status != Bulletin.Status.DRAFT:
        raise ValidationError(_("A published notice can no longer be changed."))
    bulletin.title, bulletin.body, bulletin.remedy_by = title.strip(), body.strip(), remedy_by
    bulletin.full_clean()
    bulletin.save()
    return bulletin


@transaction.atomic
def bulletin_publish(*, bulletin: Bulletin, by: User, at: dt.datetime | None = None) -> Bulletin:
    """Publish the notice (workflows.BULLETIN): its figures are counted once
    more and frozen. Raises PermissionDenied, InvalidTransition."""
    applied = workflows.BULLETIN.apply(
        bulletin, "publish", by=by, at=at,
        changes=lambda locked, when: {"figures": bulletin_figures(locked.deadline),
                                      "published_at": when, "published_by": by})
    return applied.obj


def bulletin_workbook(bulletin: Bulletin, out) -> None:
    """The notice as an Excel file: the statistics, then late and missing schools."""
    from openpyxl import Workbook

    from core.excel import safe_cell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Late-school notice"))
    f = bulletin.figures
    ws.append([safe_cell(bulletin.title)])
    ws.append([_("Expected"), f["expected"]])
    ws.append([_("Submitted"), f["submitted"]])
    ws.append([_("On time"), len(f["on_time"])])
    ws.append([_("Late"), len(f["late"])])
    ws.append([_("Not submitted"), len(f["missing"])])
    ws.append([])
    ws.append([_("Status"), _("School")])
    for name in f["late"]:
        ws.append([_("Late"), safe_cell(name)])
    for name in f["missing"]:
        ws.append([_("Not submitted"), safe_cell(name)])
    wb.save(out)
