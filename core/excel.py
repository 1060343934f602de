"""Cells that are safe to put in an Excel sheet, for every app's exports.

Any app's writer (reporting's exports, audit's log export) passes user-provided
values through `safe_cell`, so core holds it and nobody imports another app for
it. openpyxl is a library, not an app: core may import it.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# Excel refuses longer cells (the file then opens "with errors").
MAX_CELL_CHARS = 32_767
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` made safe for a cell. Text: control characters XML cannot carry
    are dropped, text starting like a formula (=, +, -, @, tab, CR) gets a
    leading apostrophe so Excel shows it as text, and it is cut at Excel's
    32,767 characters. Anything else (numbers, dates, None) is returned as is.
    Raises nothing."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_PREFIXES):
        value = "'" + value
    return value[:MAX_CELL_CHARS]
