"""The campaign's reporting days: progress reports on the 13th and the 24th of
every month, the year-end work summary on 24 December. services.deadline_dates
turns them into Deadline rows, which a bureau admin may then move."""

from __future__ import annotations

REPORT_DAYS = (13, 24)
YEAR_END = (12, 24)
