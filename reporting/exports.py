"""Excel exports of a campaign's reports, for a background job to run.

Workbooks are written with openpyxl's write-only mode (rows stream to a
temporary file), and the database is read in keyset chunks of plain tuples, so
memory stays flat whatever the number of schools, and each chunk costs a fixed
number of queries:

* write_timeliness_workbook: 3 + 2 × chunks (deadlines, school count, summary
  aggregate; per chunk the schools and their reports).
* write_report_list_workbook: 1 + 2 × chunks (report count; per chunk the
  reports with their school and deadline, and the measures of those reports).

Each chunk query reads one row more than it keeps, to know whether another
chunk follows without a final empty query.

Every user-provided string goes through safe_cell(): openpyxl stores a string
starting with "=" as a formula, and spreadsheet programs run "+", "-", "@"
prefixes as formulas too (formula injection, security.md D2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.excel import print_setup, safe_cell
from schools.models import School, SchoolType, in_period

from .dashboard import campaign_types, counts_of_campaign, deadline_stats
from .models import (
    REVIEWABLE_STATUSES,
    SECTIONS,
    Campaign,
    Deadline,
    DeadlineKind,
    Measure,
    ProgressReport,
    ReportMeasure,
    ReportStatus,
    Timeliness,
    timeliness_at,
)

Progress = Callable[[int, int], Any]

# One school at one deadline, as the per-school sheet shows it: whether it was
# on time and where its review stands are two columns, never one word (issue 8
# item 5: a late report that was approved is still late), so that each column's
# words add up to the totals sheet's counts.
ON_TIME = Timeliness.ON_TIME.value
LATE = Timeliness.LATE.value
MISSING = Timeliness.MISSING.value
NOT_YET_DUE = Timeliness.UPCOMING.value
AWAITING = "awaiting"
RETURNED = ReportStatus.RETURNED.value
APPROVED = ReportStatus.APPROVED.value
NOT_EXPECTED = "not_expected"  # not in the campaign on the deadline's day (issue 8 item 3)

# The labels are the models' own (and the dashboard's "Not yet due"), so the
# catalogue holds each word once.
TIMELINESS_WORDS = {
    ON_TIME: Timeliness.ON_TIME.label,
    LATE: Timeliness.LATE.label,
    MISSING: Timeliness.MISSING.label,
    NOT_YET_DUE: gettext_lazy("Not yet due"),
    NOT_EXPECTED: gettext_lazy("Not expected"),
}
REVIEW_WORDS = {
    AWAITING: gettext_lazy("Awaiting review"),
    RETURNED: ReportStatus.RETURNED.label,
    APPROVED: ReportStatus.APPROVED.label,
}

_BOLD = Font(bold=True)
# Every user-provided text goes through the one helper all exports share.
_safe = safe_cell


def review_state(status: str | None) -> str:
    """Where a report's review stands: AWAITING (submitted or resubmitted),
    RETURNED, APPROVED, or "" (no report, or a draft: nothing to review)."""
    if status in REVIEWABLE_STATUSES:
        return AWAITING
    if status in (ReportStatus.RETURNED, ReportStatus.APPROVED):
        return str(status)
    return ""


def deadline_label(deadline: Deadline) -> str:
    date = f"{deadline.due_date:%Y-%m-%d}"
    if deadline.kind == DeadlineKind.YEAR_END:
        return _("%(date)s (year-end)") % {"date": date}
    return date


def _bold_header(ws, labels: Iterable[str]) -> list[WriteOnlyCell]:
    cells = [WriteOnlyCell(ws, value=str(label)) for label in labels]
    for cell in cells:
        cell.font = _BOLD
    return cells


def _set_widths(ws, widths: list[float]) -> None:
    # Write-only sheets accept column widths only before the first row.
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _finish_sheet(ws, columns: int, rows: int) -> None:
    # The filter is written after the rows, so it can be set once they are known.
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(columns)}{rows + 1}"


def _school_type_labels() -> dict[str, str]:
    return {value: str(label) for value, label in SchoolType.choices}


# --- The schools × deadlines matrix --------------------------------------------------

def write_timeliness_workbook(*, campaign: Campaign, schools: QuerySet[School], out: IO[bytes],
                              now: dt.datetime | None = None, progress: Progress | None = None,
                              chunk_size: int = 2000) -> int:
    """One row per school of `schools` (scoped by the caller, in code order),
    two columns per deadline of the campaign: 是否按时 (a TIMELINESS_WORDS word,
    by the on-time rule alone; "Not expected" for a deadline outside the school's
    campaign period, issue 8 item 3) and 审核状态 (a REVIEW_WORDS word, or blank
    when there is nothing to review); then a sheet of totals per deadline. For the
    whole of a campaign's expected schools, each column's words count exactly
    what the totals sheet says (issue 8 item 5). Saves the workbook to `out`
    and returns the number of school rows. Queries: 3 + 2 per chunk of schools."""
    now = now or timezone.now()
    deadlines = list(campaign.deadlines.order_by("due_date", "kind"))
    total = schools.count()

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Timeliness"))
    print_setup(ws, title_rows="1:1", title_cols="A:B")
    widths = [14, 32, 18]
    headers = [_("School code"), _("School"), _("School type")]
    for d in deadlines:
        label = deadline_label(d)
        widths += [24 if d.kind == DeadlineKind.YEAR_END else 17, 17]
        headers += [_("%(deadline)s: on time?") % {"deadline": label},
                    _("%(deadline)s: review") % {"deadline": label}]
    _set_widths(ws, widths)
    ws.freeze_panes = "D2"
    ws.append(_bold_header(ws, headers))

    on_time_words = {state: str(word) for state, word in TIMELINESS_WORDS.items()}
    review_words = {state: str(word) for state, word in REVIEW_WORDS.items()}
    review_words[""] = None
    types = _school_type_labels()
    deadline_ids = [d.pk for d in deadlines]
    closing = [(d.pk, d.closes_at, d.due_date) for d in deadlines]
    written = 0
    after = None
    while total:
        page = schools.order_by("code")
        if after is not None:
            page = page.filter(code__gt=after)
        chunk = list(page.values_list("pk", "code", "name", "school_type", "joined_on",
                                      "closed_on")[:chunk_size + 1])
        more = len(chunk) > chunk_size
        chunk = chunk[:chunk_size]
        if not chunk:
            break
        found = {}
        if deadline_ids:
            found = {
                (school_id, deadline_id): (status, submitted_at)
                for school_id, deadline_id, status, submitted_at in ProgressReport.objects
                .filter(school_id__in=[row[0] for row in chunk], deadline_id__in=deadline_ids)
                .order_by()
                .values_list("school_id", "deadline_id", "status", "first_submitted_at")
            }
        for pk, code, name, school_type, joined_on, closed_on in chunk:
            row = [safe_cell(code), safe_cell(name), types.get(school_type, school_type)]
            for deadline_id, closes_at, due_date in closing:
                if not in_period(due_date, joined_on, closed_on):
                    row += [on_time_words[NOT_EXPECTED], None]
                    continue
                status, submitted_at = found.get((pk, deadline_id), (None, None))
                row.append(on_time_words[timeliness_at(submitted_at, closes_at, now).value])
                row.append(review_words[review_state(status)])
            ws.append(row)
        written += len(chunk)
        after = chunk[-1][1]
        if progress:
            progress(written, max(total, written))
        if not more:
            break
    if progress and not written:
        progress(0, 0)
    _finish_sheet(ws, len(headers), written)

    _write_totals(wb, campaign=campaign, deadlines=deadlines, now=now)
    wb.save(out)
    return written


def _write_totals(wb: Workbook, *, campaign, deadlines, now) -> None:
    ws = wb.create_sheet(_("Totals"))
    print_setup(ws, title_rows="1:1", title_cols="A:A")
    # Each count is the number of one word in one column of the per-school
    # sheet: on time, late, not submitted and not yet due in 是否按时 (they
    # add up to the expected schools); awaiting review, returned and approved
    # in 审核状态 (they add up to the submitted ones).
    columns = [capfirst(_("deadline")), _("Expected"), _("Submitted"), _("On time"), _("Late"),
               _("Not submitted"), _("Not yet due"), _("Awaiting review"), _("Returned"),
               _("Approved"), _("On-time rate")]
    _set_widths(ws, [22] + [10] * (len(columns) - 1))
    ws.freeze_panes = "B2"
    ws.append(_bold_header(ws, columns))
    # The dashboard's own per-deadline counts (its tallies): one query.
    counts = counts_of_campaign(campaign, campaign_types(campaign), deadlines)
    for t in deadline_stats(counts, deadlines, now):
        rate = WriteOnlyCell(ws, value=t.on_time_rate)
        rate.number_format = "0.0%"
        ws.append([deadline_label(t.deadline), t.expected, t.submitted, t.on_time, t.late,
                   t.missing, t.not_yet_due, t.awaiting_review, t.returned, t.approved, rate])


# --- One row per report ---------------------------------------------------------------

def _section_columns() -> list[tuple[str, str]]:
    """Section keys of both kinds: the progress report's first, then those only
    the year-end summary has. A shared key keeps the progress report's label."""
    columns: dict[str, str] = {}
    for kind in (DeadlineKind.PROGRESS, DeadlineKind.YEAR_END):
        for key, label in SECTIONS[kind]:
            columns.setdefault(key, label)
    return list(columns.items())


def _text(value: Any) -> Any:
    if value is None or value == "":
        return None
    return safe_cell(value if isinstance(value, str | int | float) else str(value))


def write_report_list_workbook(*, reports: QuerySet[ProgressReport], out: IO[bytes],
                               progress: Progress | None = None, chunk_size: int = 500,
                               now: dt.datetime | None = None) -> int:
    """One row per report of `reports` (scoped by the caller), in primary-key
    order: the school, the deadline, status and timeliness, the first submission
    (Asia/Shanghai wall time), every section and every measure's narrative.
    Saves the workbook to `out` and returns the number of rows. Queries: 1 + 2
    per chunk of reports."""
    now = now or timezone.now()
    total = reports.count()
    sections = _section_columns()
    measures = list(Measure.choices)

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(capfirst(_("progress reports")))
    print_setup(ws, title_rows="1:1", title_cols="A:B")
    columns = ([_("School code"), _("School"), _("School type"), capfirst(_("due date")),
                capfirst(_("kind")), _("Status"), _("Timeliness"),
                capfirst(_("first submitted at"))]
               + [label for _key, label in sections] + [label for _value, label in measures])
    _set_widths(ws, [14, 32, 18, 12, 14, 10, 10, 20]
                + [50] * len(sections) + [40] * len(measures))
    ws.freeze_panes = "D2"
    ws.append(_bold_header(ws, columns))

    types = _school_type_labels()
    kinds = {value: str(label) for value, label in DeadlineKind.choices}
    statuses = {value: str(label) for value, label in ReportStatus.choices}
    words = {state: str(word) for state, word in TIMELINESS_WORDS.items()}
    shanghai = timezone.get_default_timezone()
    written = 0
    after = None
    # The measures come as tuples in one query per chunk rather than through
    # prefetch_related("measures"): same query count, a quarter of the time
    # (no model instance per measure).
    base = reports.select_related("school", "deadline")
    while total:
        page = base.order_by("pk")
        if after is not None:
            page = page.filter(pk__gt=after)
        chunk = list(page[:chunk_size + 1])
        more = len(chunk) > chunk_size
        chunk = chunk[:chunk_size]
        if not chunk:
            break
        ticked: dict[int, dict[str, str]] = {report.pk: {} for report in chunk}
        for report_id, measure, narrative in (
                ReportMeasure.objects.filter(report_id__in=list(ticked)).order_by()
                .values_list("report_id", "measure", "narrative")):
            ticked[report_id][measure] = narrative
        for report in chunk:
            school, deadline = report.school, report.deadline
            submitted_at = report.first_submitted_at
            timeliness = words[deadline.timeliness(submitted_at, now).value]
            if submitted_at is None:
                local = None
            else:
                local = timezone.localtime(submitted_at, shanghai).replace(tzinfo=None)
            texts = report.sections if isinstance(report.sections, dict) else {}
            ws.append(
                [safe_cell(school.code), safe_cell(school.name),
                 types.get(school.school_type, school.school_type), deadline.due_date,
                 kinds.get(deadline.kind, deadline.kind),
                 statuses.get(report.status, report.status), timeliness, local]
                + [_text(texts.get(key)) for key, _label in sections]
                + [_text(ticked[report.pk].get(value)) for value, _label in measures]
            )
        written += len(chunk)
        after = chunk[-1].pk
        if progress:
            progress(written, max(total, written))
        if not more:
            break
    if progress and not written:
        progress(0, 0)
    _finish_sheet(ws, len(columns), written)
    wb.save(out)
    return written
