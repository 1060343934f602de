"""Cells that are safe to put in an Excel sheet, for every app's exports.

Any app's writer (reporting's exports, audit's log export) passes user-provided
values through `safe_cell`, so core holds it and nobody imports another app for
it. openpyxl is a library, not an app: core may import it.
"""

from __future__ import annotations

import re
from typing import Any

# Excel refuses longer cells (the file then opens "with errors").
MAX_CELL_CHARS = 32_767
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 cannot carry (its Char production): C0 controls but tab, newline
# and CR; U+FFFE and U+FFFF; and lone surrogates (a Python str may hold one, from
# a browser or a bad decode; lxml refuses it and the whole export dies).
# openpyxl's own ILLEGAL_CHARACTERS_RE misses the last two kinds.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def safe_cell(value: Any) -> Any:
    """`value` made safe for a cell. Text: control characters XML cannot carry
    are dropped, text starting like a formula (=, +, -, @, tab, CR) gets a
    leading apostrophe so Excel shows it as text, and it is cut at Excel's
    32,767 characters. Anything else (numbers, dates, None) is returned as is.
    Raises nothing."""
    if not isinstance(value, str):
        return value
    value = XML_ILLEGAL.sub("", value)
    if value.startswith(FORMULA_PREFIXES):
        value = "'" + value
    return value[:MAX_CELL_CHARS]


def print_setup(ws, *, title_rows: str | None = "1:1", title_cols: str | None = "A:B") -> None:
    """Make sheet `ws` print like a 台账 (issue 8 item 8): A4 landscape, every
    column on one page width (as many pages down as needed), the rows
    `title_rows` (e.g. "1:1", the header row) repeated at the top of each page
    and the columns `title_cols` (e.g. "A:B", the school code and name)
    repeated at the left of each page; None repeats nothing. Works on
    write-only sheets too. Raises ValueError for a range openpyxl cannot read."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4 (ECMA-376 ST_PaperSize)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # 0: as many pages down as the rows need
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
