"""Small-cell suppression: the one rule for every count a bureau page or a
bureau export shows about pupils (architecture.md: "Bureau pages show counts,
never a child, and any count under 5 as '<5'"; issue 9 item 4).

The rule (statistical disclosure control, threshold rule):

* Primary suppression: a count from 1 to threshold − 1 (1–4 with the default
  threshold of 5, settings.SMALL_CELL_THRESHOLD) is shown as "<5", never as
  the number.
* A zero is shown as 0. A zero names nobody, and the common public-statistics
  practice publishes zeros and suppresses only 1..threshold−1 (e.g. the UK
  Office for National Statistics' and NHS England's small-number rules, the
  U.S. National Center for Education Statistics' "n < 5" reporting rule). The
  residual risk — a zero next to a total that tells "all the others are in
  the group" — is not a single child's disclosure at the sizes of a school; it
  is left to the page not to show complements (the pupil-count page shows no
  "not in the group" column).
* Secondary (complementary) suppression: where a table shows additive totals
  (a column's district total is the sum of its schools), a lone suppressed
  cell in a line could be worked out by subtraction. `suppress_table` then
  withholds one more cell of that line — the smallest positive one, else a
  zero, else the line's total — and repeats until no line holds exactly one
  withheld entry. Such a cell is shown as WITHHELD ("*"), not as "<5", which
  would be untrue. This is the usual "next smallest" heuristic, not an audit by
  linear programming: it stops recovery by one subtraction along a row or a
  column, which is what a reader of a bureau table can do.

Pure Python, no database: any app's page, template or Excel writer uses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings

# The mark of a cell withheld to protect another one (secondary suppression).
WITHHELD = "*"


def threshold_default() -> int:
    """settings.SMALL_CELL_THRESHOLD, 5 when unset."""
    return int(getattr(settings, "SMALL_CELL_THRESHOLD", 5))


def small_mark(threshold: int | None = None) -> str:
    """What a suppressed small count shows: "<5" for the threshold 5."""
    return f"<{threshold_default() if threshold is None else threshold}"


def is_small(count: int, *, threshold: int | None = None) -> bool:
    """Whether `count` must not be shown: 1 <= count < threshold."""
    limit = threshold_default() if threshold is None else threshold
    return 0 < count < limit


def suppress(count: int | None, *, threshold: int | None = None) -> str | int:
    """`count` as a bureau may see it: the count itself when it is 0 or at
    least `threshold` (default settings.SMALL_CELL_THRESHOLD, 5), "<5" for
    1..threshold−1. None (nothing to count) is returned as "" (blank).
    Raises ValueError for a negative count (a count cannot be negative: a bug
    upstream must not show as a small number)."""
    if count is None:
        return ""
    count = int(count)
    if count < 0:
        raise ValueError(f"a count cannot be negative: {count}")
    return small_mark(threshold) if is_small(count, threshold=threshold) else count


class Cell(NamedTuple):
    """One cell of a suppressed table: the true `value` (kept for nobody but
    the code; never render it) and what may be shown (`shown`). A named
    tuple, not a dataclass: a district table makes thousands of them per
    view (benchmarks: bureau_priority_counts_ms_1000000)."""

    value: int
    shown: str | int
    primary: bool = False  # small count
    secondary: bool = False  # withheld to protect another cell

    @property
    def suppressed(self) -> bool:
        return self.primary or self.secondary


@dataclass(frozen=True)
class SuppressedTable:
    """`cells[r][c]`, `row_totals[r]` (or []), `column_totals[c]` (or []) and
    `grand_total` (or None), each a Cell."""

    cells: list[list[Cell]]
    row_totals: list[Cell]
    column_totals: list[Cell]
    grand_total: Cell | None


def suppress_table(cells: Sequence[Sequence[int]], *, row_totals: bool = False,
                   column_totals: bool = False, threshold: int | None = None
                   ) -> SuppressedTable:
    """Primary and secondary suppression of an r × c table of counts.

    `row_totals=True`: the table shows, for each row, the sum of its cells
    (computed here) and the rows are additive; `column_totals=True` likewise
    for columns; with both, a grand total too. Only declare a total additive
    when it is the sum of the cells (pupils counted in two groups make a
    "row total" that is not the sum: do not declare it).

    Returns a SuppressedTable. Every count 1..threshold−1 (cells and totals)
    is shown as "<5"; then, while some line (a row with its total, a column
    with its total, the totals row with the grand total) has exactly one
    suppressed entry, one more entry of that line is withheld ("*"): its
    smallest positive unsuppressed cell, else a zero cell, else the line's
    total. Lines without a shown total are not lines (nothing to subtract
    from). Raises ValueError for ragged rows or a negative count."""
    grid = [[int(v) for v in row] for row in cells]
    n_cols = len(grid[0]) if grid else 0
    if any(len(row) != n_cols for row in grid):
        raise ValueError("every row of the table needs the same number of cells")
    if any(v < 0 for row in grid for v in row):
        raise ValueError("a count cannot be negative")
    n_rows = len(grid)

    # An extended grid: cells, then the row-total column, then the totals row.
    row_sum = [sum(row) for row in grid]
    col_sum = [sum(grid[r][c] for r in range(n_rows)) for c in range(n_cols)]
    values: dict[tuple[int, int], int] = {
        (r, c): grid[r][c] for r in range(n_rows) for c in range(n_cols)}
    total_col, total_row = n_cols, n_rows  # the positions of the totals
    if row_totals:
        for r in range(n_rows):
            values[(r, total_col)] = row_sum[r]
    if column_totals:
        for c in range(n_cols):
            values[(total_row, c)] = col_sum[c]
    if row_totals and column_totals:
        values[(total_row, total_col)] = sum(row_sum)

    limit = threshold_default() if threshold is None else threshold
    primary = {pos for pos, v in values.items() if 0 < v < limit}
    withheld: set[tuple[int, int]] = set()

    # Each line: its cells (positions) and the position of its total.
    lines: list[tuple[list[tuple[int, int]], tuple[int, int]]] = []
    if row_totals:
        for r in range(n_rows):
            lines.append(([(r, c) for c in range(n_cols)], (r, total_col)))
        if column_totals:  # the totals row adds up to the grand total
            lines.append(([(total_row, c) for c in range(n_cols)], (total_row, total_col)))
    if column_totals:
        for c in range(n_cols):
            lines.append(([(r, c) for r in range(n_rows)], (total_row, c)))
        if row_totals:  # the totals column adds up to the grand total
            lines.append(([(r, total_col) for r in range(n_rows)], (total_row, total_col)))

    # How many entries of each line are hidden, kept up to date as cells are
    # withheld, so that a pass over the lines costs one look per line (the
    # order of the passes, and so the cells chosen, is the rule's).
    lines_of: dict[tuple[int, int], list[int]] = {}
    for i, (members, total) in enumerate(lines):
        for pos in (*members, total):
            lines_of.setdefault(pos, []).append(i)
    hidden_in = [sum(1 for pos in (*members, total) if pos in primary)
                 for members, total in lines]

    def hide(pos) -> None:
        withheld.add(pos)
        for i in lines_of[pos]:
            hidden_in[i] += 1

    changed = True
    while changed:
        changed = False
        for i, (members, total) in enumerate(lines):
            if hidden_in[i] != 1:
                continue
            candidates = [pos for pos in members if pos not in primary and pos not in withheld]
            positive = [pos for pos in candidates if values[pos] > 0]
            if positive:
                pick = min(positive, key=lambda pos: (values[pos], pos))
            elif candidates:
                pick = candidates[0]  # a zero cell
            else:
                pick = total
            hide(pick)
            changed = True

    mark = small_mark(threshold)

    def cell(pos) -> Cell:
        value = values[pos]
        if pos in primary:
            return Cell(value, mark, primary=True)
        if pos in withheld:
            return Cell(value, WITHHELD, secondary=True)
        return Cell(value, value)

    # Most cells are shown as they are: built straight from the grid (a
    # district table has thousands of cells).
    hidden_cells = primary | withheld
    return SuppressedTable(
        cells=[[Cell(v, v) if (r, c) not in hidden_cells else cell((r, c))
                for c, v in enumerate(row)] for r, row in enumerate(grid)],
        row_totals=[cell((r, total_col)) for r in range(n_rows)] if row_totals else [],
        column_totals=[cell((total_row, c)) for c in range(n_cols)] if column_totals else [],
        grand_total=(cell((total_row, total_col)) if row_totals and column_totals else None),
    )
