"""The audit log as an Excel file (openpyxl write-only): one row per event of
the filtered log, Chinese headers, values that look like formulas kept as text
(core.excel.safe_cell). The file holds what the page shows: references and
outcomes, never a record's content."""

from __future__ import annotations

import json
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.excel import safe_cell

from . import actions
from .models import AuditEvent

MAX_ROWS = 100_000  # an export is for an inquiry, not a backup; narrow the filter


def write_audit_workbook(events: QuerySet[AuditEvent], out: IO[bytes],
                         chunk_size: int = 2000) -> int:
    """Write `events` (filtered by the caller, in their order, at most MAX_ROWS)
    to `out` as .xlsx and return how many rows were written. Reads with
    `iterator(chunk_size)`, so memory stays flat; one query per chunk plus none
    per row (the school's name comes with select_related)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Audit log"))
    ws.append([_("Time"), _("User"), _("Action"), _("Action code"), _("record type"),
               _("record code"), _("School"), _("Reference"), _("details"), _("Outcome"),
               _("HTTP status"), _("IP address")])
    rows = 0
    zone = timezone.get_default_timezone()
    for e in events.select_related("school")[:MAX_ROWS].iterator(chunk_size=chunk_size):
        ws.append([
            timezone.localtime(e.at, zone).replace(tzinfo=None),
            safe_cell(e.username), safe_cell(actions.label(e.action)), safe_cell(e.action),
            safe_cell(e.target_type), safe_cell(e.target_code),
            safe_cell(e.school.name if e.school else ""), safe_cell(e.target),
            safe_cell(json.dumps(e.extra, ensure_ascii=False, sort_keys=True) if e.extra else ""),
            str(e.get_outcome_display()), e.status, e.ip,
        ])
        rows += 1
    wb.save(out)
    return rows
