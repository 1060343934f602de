"""The late-school notice (通报): drafted from the data, edited, published as an
official notice (公文, GB/T 9704-2012) with its number, told to the schools it
names, printed, and downloaded as Excel or PDF (issue 8 item 4).

The wording is drafted from the figures stored with it (`Bulletin.figures`),
and the page's tables show those same figures, so the body and the tables never
disagree. When the live data has changed since drafting, an untouched draft is
re-drafted when opened; an edited one shows a warning with 重新生成; publishing
refuses figures that are no longer the live ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from core import clock
from notifications.services import NoticeDraft, notice_enqueue_many
from schools import access
from schools.models import Bureau, Membership, Role, SchoolType, User

from . import workflows
from .access_rules import ReportingPerm
from .models import Bulletin, Deadline, DocumentSerial, ProgressReport, Timeliness
from .notice_kinds import BULLETIN, BULLETIN_SUBJECT

# Who at a named school is told of the notice: as for a returned report.
SCHOOL_RECIPIENT_ROLES = (Role.PRINCIPAL, Role.SAFETY_OFFICER)
# The default 补报 period after the day of drafting.
REMEDY_DAYS = 3


@dataclass(frozen=True)
class Tally:
    """The figures of a notice and the ids of the schools it names (late and
    missing, for the notices: the figures hold names only)."""

    figures: dict
    named_school_ids: list[int]


def _tally(deadline: Deadline) -> Tally:
    # The schools the deadline expects (Deadline.expected_schools, issue 8 item 3),
    # so a school added or closed later changes no past notice.
    expected = list(deadline.expected_schools().order_by("code")
                    .values_list("pk", "name"))
    submitted = dict(ProgressReport.objects.submitted().filter(
        deadline=deadline,
        school_id__in=[pk for pk, _name in expected],
    ).values_list("school_id", "first_submitted_at"))
    by_timeliness: dict[Timeliness, list[tuple[int, str]]] = {t: [] for t in Timeliness}
    for pk, name in expected:
        by_timeliness[deadline.timeliness(submitted.get(pk))].append((pk, name))
    on_time, late = by_timeliness[Timeliness.ON_TIME], by_timeliness[Timeliness.LATE]
    missing = by_timeliness[Timeliness.MISSING]
    n = len(expected)
    figures = {"expected": n, "submitted": len(submitted),
               "on_time": [name for _pk, name in on_time],
               "late": [name for _pk, name in late],
               "missing": [name for _pk, name in missing],
               "on_time_rate": round(len(on_time) * 100 / n, 1) if n else None}
    return Tally(figures, [pk for pk, _name in late + missing])


def bulletin_figures(deadline: Deadline) -> dict:
    """Overall statistics and the schools on time, late and missing, by name:
    {"expected": int, "submitted": int, "on_time"/"late"/"missing": [name, …]
    in school-code order, "on_time_rate": percent with one decimal or None}.
    Three queries."""
    return _tally(deadline).figures


def _date(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def remedy_date_texts(day: dt.date) -> set[str]:
    """The ways the wording may state the 补报截止日期 `day`: the reader's date
    format (2026年5月20日 / May 20, 2026), the Chinese one and ISO."""
    return {_date(day), f"{day.year}年{day.month}月{day.day}日", day.isoformat()}


def default_addressees(deadline: Deadline) -> str:
    """主送机关 from the campaign's school types: 各中小学校、幼儿园, 各中小学校
    or 各幼儿园."""
    types = set(deadline.campaign.school_types)
    kindergartens = SchoolType.KINDERGARTEN in types
    if kindergartens and types - {SchoolType.KINDERGARTEN}:
        return _("all primary and secondary schools and kindergartens")
    if kindergartens:
        return _("all kindergartens")
    return _("all primary and secondary schools")


def default_remedy_by(deadline: Deadline, today: dt.date) -> dt.date | None:
    """`REMEDY_DAYS` after `today`, no later than the campaign's end; None when
    no day after the due date is left in the campaign."""
    day = max(today, deadline.due_date) + dt.timedelta(days=REMEDY_DAYS)
    day = min(day, deadline.campaign.end_date)
    return day if day > deadline.due_date else None


def _default_wording(deadline: Deadline, figures: dict,
                     remedy_by: dt.date | None) -> tuple[str, str]:
    """(title, body): the body's paragraphs are separated by newlines."""
    date = _date(deadline.due_date)
    title = _("Notice on the submission of the %(date)s progress reports") % {"date": date}
    paragraphs = [
        _("Under the district's special campaign to prevent and resolve serious safety risks "
          "to minors, every school must report its work on the 13th and the 24th of each "
          "month. The submissions for the deadline of %(date)s are notified as follows.")
        % {"date": date},
        _("%(expected)s schools were expected to report: %(on_time)s reported on time, "
          "%(late)s reported late and %(missing)s have not reported (on-time rate "
          "%(rate)s%%). The schools that reported late or not at all are listed below.")
        % {"expected": figures["expected"], "on_time": len(figures["on_time"]),
           "late": len(figures["late"]), "missing": len(figures["missing"]),
           "rate": figures["on_time_rate"] if figures["on_time_rate"] is not None else 0},
    ]
    if remedy_by is not None:
        paragraphs.append(
            _("The schools listed are to submit their reports by %(remedy)s; late and "
              "missing reports count toward the annual appraisal of safety work.")
            % {"remedy": _date(remedy_by)})
    else:
        paragraphs.append(_("Late and missing reports count toward the annual appraisal "
                            "of safety work."))
    return title, "\n".join(paragraphs)


def _check(by: User, deadline: Deadline) -> None:
    if not access.can_in_bureau(by, ReportingPerm.REVIEW_REPORT, deadline.campaign.bureau_id):
        raise PermissionDenied


def _untouched(bulletin: Bulletin) -> bool:
    """Is the wording still exactly what was drafted from its figures?"""
    return (bulletin.title, bulletin.body) == _default_wording(
        bulletin.deadline, bulletin.figures, bulletin.remedy_by)


def _redraft(bulletin: Bulletin, figures: dict, at: dt.datetime) -> None:
    if bulletin.remedy_by is not None:
        try:
            bulletin.clean()
        except ValidationError:
            bulletin.remedy_by = None
    if bulletin.remedy_by is not None and bulletin.remedy_by < clock.today(at):
        bulletin.remedy_by = None  # passed meanwhile: a fresh one
    if bulletin.remedy_by is None:
        bulletin.remedy_by = default_remedy_by(bulletin.deadline, clock.today(at))
    bulletin.figures = figures
    bulletin.title, bulletin.body = _default_wording(bulletin.deadline, figures,
                                                     bulletin.remedy_by)
    bulletin.drafted_at = at
    bulletin.save()


@transaction.atomic
def bulletin_draft(*, deadline: Deadline, by: User, at: dt.datetime | None = None) -> Bulletin:
    """The deadline's notice, drafted from the data on first use. An opened
    draft whose wording nobody changed is re-drafted when the data has changed;
    an edited one is kept. The returned notice carries `live_figures` (the
    figures now; for a published notice its frozen ones) and `stale` (a draft
    whose figures are not the live ones: the page warns and offers 重新生成).
    Raises PermissionDenied, or ValidationError before the deadline closes."""
    at = at or clock.now()
    _check(by, deadline)
    bulletin = (Bulletin.objects.select_for_update().select_related("deadline__campaign")
                .filter(deadline=deadline).first())
    if bulletin is not None and bulletin.status != Bulletin.Status.DRAFT:
        # As published, even when its deadline was since moved to a day not yet
        # past (it then says it was superseded: issue 8 item 3).
        bulletin.live_figures, bulletin.stale = bulletin.figures, False
        return bulletin
    if not deadline.is_closed(at):
        raise ValidationError(_("The deadline has not passed yet."))
    figures = bulletin_figures(deadline)
    if bulletin is None:
        bulletin = Bulletin(deadline=deadline, addressees=default_addressees(deadline))
        _redraft(bulletin, figures, at)
    elif figures != bulletin.figures and _untouched(bulletin):
        _redraft(bulletin, figures, at)
    bulletin.live_figures = figures
    bulletin.stale = figures != bulletin.figures
    return bulletin


@transaction.atomic
def bulletin_regenerate(*, bulletin: Bulletin, by: User,
                        at: dt.datetime | None = None) -> Bulletin:
    """重新生成: re-draft the title and body from the live figures (the edited
    wording is replaced; the addressees, copy line and a still valid 补报 date
    are kept). Raises PermissionDenied, or ValidationError once published."""
    at = at or clock.now()
    _check(by, bulletin.deadline)
    locked = (Bulletin.objects.select_for_update().select_related("deadline__campaign")
              .get(pk=bulletin.pk))
    if locked.status != Bulletin.Status.DRAFT:
        raise ValidationError(_("A published notice can no longer be changed."))
    _redraft(locked, bulletin_figures(locked.deadline), at)
    return locked


@transaction.atomic
def bulletin_edit(*, bulletin: Bulletin, by: User, title: str, body: str,
                  remedy_by: dt.date | None, addressees: str | None = None,
                  cc: str | None = None, at: dt.datetime | None = None) -> Bulletin:
    """Save the inspector's wording of a draft. A changed 补报 date replaces the
    old one where the body states it; the body must state the date set (issue 8
    item 4: the date is in the body, the print and the Excel). The date falls
    after the deadline, within the campaign, and not before today.
    Raises PermissionDenied, or ValidationError (by field) for a published
    notice or a date out of range or missing from the body."""
    at = at or clock.now()
    _check(by, bulletin.deadline)
    if bulletin.status != Bulletin.Status.DRAFT:
        raise ValidationError(_("A published notice can no longer be changed."))
    old_remedy = bulletin.remedy_by
    body = body.strip()
    if remedy_by is not None and old_remedy is not None and remedy_by != old_remedy:
        for text in sorted(remedy_date_texts(old_remedy), key=len, reverse=True):
            body = body.replace(text, _date(remedy_by))
    bulletin.title, bulletin.body, bulletin.remedy_by = title.strip(), body, remedy_by
    if addressees is not None:
        bulletin.addressees = addressees.strip()
    if cc is not None:
        bulletin.cc = cc.strip()
    bulletin.full_clean()
    if remedy_by is not None:
        if remedy_by != old_remedy and remedy_by < clock.today(at):
            raise ValidationError({"remedy_by": _(
                "The date for late reports cannot be in the past.")})
        if not any(text in body for text in remedy_date_texts(remedy_by)):
            raise ValidationError({"body": _(
                "The wording must state the date for late reports: %(date)s.")
                % {"date": _date(remedy_by)}})
    bulletin.save()
    return bulletin


def _next_serial(bureau: Bureau, year: int) -> int:
    """The bureau's next document serial of `year`, from its counter row locked
    until the caller's transaction ends (two publications at once queue here)."""
    try:
        with transaction.atomic():
            DocumentSerial.objects.get_or_create(bureau=bureau, year=year)
    except IntegrityError:  # created by a concurrent transaction meanwhile
        pass
    counter = DocumentSerial.objects.select_for_update().get(bureau=bureau, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def document_number(issuer_code: str, year: int, serial: int) -> str:
    """发文字号 per GB/T 9704-2012: 机关代字〔year〕serial号 (六角括号, no leading
    zeros, no 第), e.g. 示例区教体局〔2026〕12号."""
    return f"{issuer_code}〔{year}〕{serial}号"


@transaction.atomic
def bulletin_publish(*, bulletin: Bulletin, by: User, at: dt.datetime | None = None) -> Bulletin:
    """Publish the notice (workflows.BULLETIN): its figures are frozen, it gets
    the bureau's next 发文字号 of the year (Asia/Shanghai), and each school it
    names (late or missing) is told, in the portal and by e-mail, once.
    Raises PermissionDenied, InvalidTransition, or ValidationError when the
    live figures are no longer those the wording was drafted from (重新生成
    first) or when schools are named without a 补报 date."""
    at = at or clock.now()
    named: list[int] = []

    def guard(locked: Bulletin) -> None:
        tally = _tally(locked.deadline)
        if tally.figures != locked.figures:
            raise ValidationError(_(
                "The data has changed since this notice was drafted. Regenerate it "
                "(重新生成) and check the wording before publishing."))
        if tally.named_school_ids and locked.remedy_by is None:
            raise ValidationError({"remedy_by": _(
                "Set the date by which the late and missing schools are to report.")})
        if locked.remedy_by is not None and locked.remedy_by < clock.today(at):
            raise ValidationError({"remedy_by": _(
                "The date for late reports cannot be in the past.")})
        locked.full_clean()
        named.extend(tally.named_school_ids)

    def changes(locked: Bulletin, when: dt.datetime) -> dict:
        bureau = locked.deadline.campaign.bureau
        year = clock.today(when).year
        serial = _next_serial(bureau, year)
        return {"published_at": when, "published_by": by, "issuer": bureau,
                "doc_year": year, "doc_serial": serial,
                "doc_number": document_number(bureau.issuer_code, year, serial)}

    applied = workflows.BULLETIN.apply(bulletin, "publish", by=by, at=at, guard=guard,
                                       changes=changes)
    _tell_named_schools(applied.obj, named)
    return applied.obj


def _tell_named_schools(bulletin: Bulletin, school_ids: list[int]) -> int:
    """One notice per principal and safety officer of each named school, keyed
    by notice and person (exactly once). The school's name, the deadline and a
    link to its own reports: nothing about other schools."""
    deadline = bulletin.deadline
    recipients = (Membership.objects.active()
                  .filter(role__in=SCHOOL_RECIPIENT_ROLES, school_id__in=school_ids)
                  .values_list("school_id", "school__name", "user_id", "user__language")
                  .distinct())
    return notice_enqueue_many(
        NoticeDraft(
            key=f"bulletin:{bulletin.pk}:{school_id}:{user_id}", kind=BULLETIN.name,
            recipient_id=user_id, language=language,
            subject=(BULLETIN_SUBJECT, str(bulletin.pk)),
            context={"path": reverse("reporting:school_reports", args=[school_id]),
                     "school_id": school_id, "school_name": name,
                     "deadline_id": deadline.pk, "deadline_date": deadline.due_date},
        )
        for school_id, name, user_id, language in recipients
    )


def document_facts(bulletin: Bulletin) -> dict:
    """The document's own facts besides its wording: {"issuer_name": the
    bureau's name (发文机关标志 and 署名), "doc_number": the 发文字号 (a
    draft's shows the year and a blank serial), "doc_date": the 成文日期 (the
    day of publication, a draft's today, Asia/Shanghai)}. No query beyond the
    deadline's campaign and bureau."""
    bureau = bulletin.deadline.campaign.bureau
    doc_date = clock.today(bulletin.published_at) if bulletin.published_at else clock.today()
    # A draft has no serial yet: the year and a blank, as on a paper draft.
    number = bulletin.doc_number or f"{bureau.issuer_code}〔{doc_date.year}〕\u3000\u3000号"
    return {"issuer_name": bureau.name, "doc_number": number, "doc_date": doc_date}


def bulletin_workbook(bulletin: Bulletin, out) -> None:
    """The notice as an Excel file (issue 8 items 4 and 8): the document head
    (issuer, 发文字号, title, addressees), the body one paragraph a row, the
    补报截止日期, signature and 成文日期 and copy line, the statistics, then
    one row per late and missing school ("Status", "School"). Prints on A4
    landscape, one page wide, the list's header row and the status and school
    columns repeated on every page. Saves to `out`."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    from core.excel import print_setup, safe_cell

    facts = document_facts(bulletin)
    issuer_name, doc_number, doc_date = (facts["issuer_name"], facts["doc_number"],
                                         facts["doc_date"])
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Late-school notice"))
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 80

    def text(value, **style) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=safe_cell(value))
        for name, attr in style.items():
            setattr(cell, name, attr)
        return cell

    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    rows: list[list] = [
        [text(issuer_name, font=Font(bold=True, color="D00000", size=16))],
        [_("Document number"), text(doc_number)],
        [text(bulletin.title, font=Font(bold=True, size=14))],
    ]
    if bulletin.addressees:
        rows.append([_("Addressed to"), text(bulletin.addressees)])
    paragraphs = [line.strip() for line in bulletin.body.splitlines() if line.strip()]
    for i, paragraph in enumerate(paragraphs):
        rows.append([_("Wording") if i == 0 else None, text(paragraph, alignment=wrap)])
    rows.append([_("Submit late reports by"),
                 _date(bulletin.remedy_by) if bulletin.remedy_by else None])
    rows.append([_("Issued by"), text(issuer_name)])
    rows.append([_("Date of the notice"), _date(doc_date)])
    if bulletin.cc:
        rows.append([_("Copied to"), text(bulletin.cc)])
    f = bulletin.figures
    rows += [
        [],
        [_("Expected"), f["expected"]],
        [_("Submitted"), f["submitted"]],
        [_("On time"), len(f["on_time"])],
        [_("Late"), len(f["late"])],
        [_("Not submitted"), len(f["missing"])],
        [],
    ]
    header_row = len(rows) + 1
    rows.append([text(_("Status"), font=bold), text(_("School"), font=bold)])
    rows += [[_("Late"), text(name)] for name in f["late"]]
    rows += [[_("Not submitted"), text(name)] for name in f["missing"]]
    print_setup(ws, title_rows=f"{header_row}:{header_row}", title_cols="A:B")
    for row in rows:
        ws.append(row)
    wb.save(out)
