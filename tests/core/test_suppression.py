"""Small-cell suppression (core.suppression): the rule every bureau page and
export about pupils shows its counts by."""

import itertools

import pytest
from django.template import Context, Template

from core.suppression import WITHHELD, suppress, suppress_table


@pytest.mark.parametrize(("count", "shown"), [
    (0, 0), (1, "<5"), (2, "<5"), (3, "<5"), (4, "<5"), (5, 5), (6, 6), (120, 120)])
def test_counts_from_one_to_four_show_as_under_five_and_zero_shows_as_zero(count, shown):
    assert suppress(count) == shown


def test_the_threshold_comes_from_settings_unless_given(settings):
    settings.SMALL_CELL_THRESHOLD = 10
    assert suppress(9) == "<10"
    assert suppress(10) == 10
    assert suppress(9, threshold=5) == 9
    assert suppress(3, threshold=3) == 3


def test_a_negative_count_is_a_bug_not_a_small_number():
    with pytest.raises(ValueError, match="negative"):
        suppress(-1)


def test_nothing_to_count_is_blank():
    assert suppress(None) == ""


def test_the_template_filter_applies_the_same_rule():
    template = Template("{% load suppression %}{{ a|suppress }}|{{ b|suppress }}|"
                        "{{ c|suppress }}|{{ d|suppress }}")
    assert template.render(Context({"a": 3, "b": 0, "c": 17, "d": None})) == "&lt;5|0|17|"


def shown(table):
    return [[cell.shown for cell in row] for row in table.cells]


def test_without_totals_only_small_cells_are_suppressed():
    table = suppress_table([[3, 10], [0, 7]])
    assert shown(table) == [["<5", 10], [0, 7]]
    assert table.column_totals == []
    assert table.row_totals == []
    assert table.grand_total is None


def test_a_lone_small_cell_in_a_column_with_a_total_takes_the_next_smallest_with_it():
    # Column 0 sums to 3 + 10 + 8 = 21; showing 10, 8 and 21 would give 3 away.
    table = suppress_table([[3, 20], [10, 30], [8, 40]], column_totals=True)
    assert shown(table) == [["<5", 20], [10, 30], [WITHHELD, 40]]
    assert [c.shown for c in table.column_totals] == [21, 90]
    assert table.cells[2][0].secondary
    assert not table.cells[2][0].primary


def test_two_small_cells_in_a_column_protect_each_other():
    table = suppress_table([[3, 20], [2, 30], [8, 40]], column_totals=True)
    assert shown(table) == [["<5", 20], ["<5", 30], [8, 40]]


def test_a_withheld_cell_is_never_shown_as_under_five():
    table = suppress_table([[1], [50]], column_totals=True)
    assert shown(table) == [["<5"], [WITHHELD]]
    assert table.cells[1][0].value == 50  # kept for the code, shown as "*"


def test_zeros_are_withheld_only_when_no_positive_cell_is_left():
    table = suppress_table([[2], [0], [0]], column_totals=True)
    # Column total 2 is itself small: two suppressed entries, nothing more to do.
    assert shown(table) == [["<5"], [0], [0]]
    assert table.column_totals[0].shown == "<5"


def test_a_total_is_withheld_when_the_line_has_nothing_else_to_hide():
    # One school: the cell is the column total; both small, both shown as <5.
    table = suppress_table([[3, 9]], column_totals=True)
    assert shown(table) == [["<5", 9]]
    assert [c.shown for c in table.column_totals] == ["<5", 9]


def test_secondary_suppression_spreads_across_rows_and_columns_until_every_line_is_safe():
    cells = [[2, 10, 12], [15, 11, 30], [20, 25, 6]]
    table = suppress_table(cells, row_totals=True, column_totals=True)
    hidden_lines = []
    grid = [[*row, total] for row, total in zip(table.cells, table.row_totals, strict=True)]
    grid.append([*table.column_totals, table.grand_total])
    for row in grid:
        hidden_lines.append(sum(cell.suppressed for cell in row))
    for col in zip(*grid, strict=True):
        hidden_lines.append(sum(cell.suppressed for cell in col))
    assert 1 not in hidden_lines
    assert table.cells[0][0].shown == "<5"


def recoverable(table, row_totals, column_totals) -> bool:
    """Whether some line has exactly one hidden entry and its others shown:
    the hidden one would then be its total minus the rest."""
    grid = [list(row) for row in table.cells]
    if row_totals:
        for row, total in zip(grid, table.row_totals, strict=True):
            row.append(total)
    if column_totals:
        extra = list(table.column_totals)
        if row_totals:
            extra.append(table.grand_total)
        grid.append(extra)
    lines = []
    if row_totals:
        lines += grid
    if column_totals:
        lines += [list(col) for col in zip(*grid, strict=True)]
    return any(sum(c.suppressed for c in line) == 1 for line in lines)


@pytest.mark.parametrize("totals", [(True, True), (True, False), (False, True)])
def test_no_suppressed_cell_of_a_small_table_can_be_recovered_by_one_subtraction(totals):
    row_totals, column_totals = totals
    for values in itertools.product([0, 1, 4, 5, 9], repeat=6):  # every 2 x 3 table
        cells = [list(values[:3]), list(values[3:])]
        table = suppress_table(cells, row_totals=row_totals, column_totals=column_totals)
        assert not recoverable(table, row_totals, column_totals), cells
        for row, original in zip(table.cells, cells, strict=True):
            for cell, value in zip(row, original, strict=True):
                assert cell.value == value
                if 0 < value < 5:
                    assert cell.shown == "<5"
                elif not cell.suppressed:
                    assert cell.shown == value


def test_ragged_or_negative_tables_are_refused():
    with pytest.raises(ValueError, match="same number"):
        suppress_table([[1, 2], [3]])
    with pytest.raises(ValueError, match="negative"):
        suppress_table([[1, -2]])
