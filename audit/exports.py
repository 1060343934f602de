"""The audit log as an Excel file (openpyxl write-only): one row per event of
the filtered log, Chinese headers (bold, frozen, with an autofilter), set
column widths, values that look like formulas kept as text
(core.excel.safe_cell). The file holds what the page shows: references and
outcomes, never a record's content.

The record type is written as its name (进度报告), the details as readable
"key: value" pairs in the reader's language (`describe_extra`): the fixed keys
of models.EXTRA_KEYS translated, roles by their name, yes/no for flags, an
export's filters by their labels; statuses, dates, permissions, platforms and
kinds stay as their codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.excel import print_setup, safe_cell
from schools.models import Role

from . import actions
from .filters import AuditEventFilter
from .models import EXTRA_LABELS, AuditEvent

MAX_ROWS = 100_000  # an export is for an inquiry, not a backup; narrow the filter

# What each key of models.EXTRA_KEYS is called in the file.
# (header, column width in characters), in the order of the row.
COLUMNS = [
    (gettext_lazy("Time"), 20), (gettext_lazy("User"), 16), (gettext_lazy("Action"), 22),
    (gettext_lazy("Action code"), 22), (gettext_lazy("record type"), 16),
    (gettext_lazy("record code"), 38), (gettext_lazy("School"), 24),
    (gettext_lazy("Reference"), 30), (gettext_lazy("details"), 60),
    (gettext_lazy("Outcome"), 10), (gettext_lazy("HTTP status"), 10),
    (gettext_lazy("IP address"), 16),
]


def _value_text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value is None:
        return "—"
    if key == "role" and value in Role.values:
        return str(Role(value).label)
    if key == "filters" and isinstance(value, Mapping):
        labels = AuditEventFilter.base_filters
        return ", ".join(
            f"{labels[name].label if name in labels else name}={item}"
            for name, item in sorted(value.items()))
    return str(value)


def describe_extra(extra: Mapping[str, Any] | None) -> str:
    """A row's `extra` as "key: value" pairs joined by "；", keys in
    EXTRA_LABELS order and translated (an older, unknown key as it is). ""
    for none. Raises nothing."""
    if not extra:
        return ""
    order = list(EXTRA_LABELS)
    keys = sorted(extra, key=lambda k: (order.index(k) if k in order else len(order), k))
    return "；".join(f"{EXTRA_LABELS.get(k, k)}: {_value_text(k, extra[k])}" for k in keys)


def write_audit_workbook(events: QuerySet[AuditEvent], out: IO[bytes],
                         chunk_size: int = 2000) -> int:
    """Write `events` (filtered by the caller, in their order, at most MAX_ROWS)
    to `out` as .xlsx and return how many rows were written. Reads with
    `iterator(chunk_size)`, so memory stays flat; one query per chunk plus none
    per row (the school's name comes with select_related)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Audit log"))
    # Widths and the frozen header go before the first row (write-only mode
    # writes them with it); the autofilter's range is known at the end.
    for index, (_header, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    # Each printed page repeats the header row and the time column.
    print_setup(ws, title_rows="1:1", title_cols="A:A")
    bold = Font(bold=True)
    header = []
    for title, _width in COLUMNS:
        cell = WriteOnlyCell(ws, value=str(title))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    rows = 0
    zone = timezone.get_default_timezone()
    for e in events.select_related("school")[:MAX_ROWS].iterator(chunk_size=chunk_size):
        ws.append([
            timezone.localtime(e.at, zone).replace(tzinfo=None),
            safe_cell(e.username), safe_cell(actions.label(e.action)), safe_cell(e.action),
            safe_cell(actions.record_type_label(e.target_type)), safe_cell(e.target_code),
            safe_cell(e.school.name if e.school else ""), safe_cell(e.target),
            safe_cell(describe_extra(e.extra)),
            str(e.get_outcome_display()), e.status, e.ip,
        ])
        rows += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{rows + 1}"
    wb.save(out)
    return rows
