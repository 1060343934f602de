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
