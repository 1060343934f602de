"""The roster reader (issue 9 item 3): files as schools really hold them.

One test per fixture in /work/shared/fixtures/rosters (its README names each
fault) and one per kind of bad upload, built here. The reader hands over raw
values; parsing them is the importer's job and tested there.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from schools.roster.reader import read_roster
from schools.roster.table import RosterFileError

FIXTURES = Path("/work/shared/fixtures/rosters")


@pytest.fixture(autouse=True)
def _english():
    # Messages are English msgids with a Chinese catalogue; assert on the msgid.
    with translation.override("en"):
        yield


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def workbook_bytes(wb: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def roster_workbook(rows, *, header=("学籍号", "姓名", "性别", "出生日期"), title="学生名单"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    return wb


def refused(data: bytes, filename: str = "花名册.xlsx", **kwargs) -> RosterFileError:
    with pytest.raises(RosterFileError) as caught:
        read_roster(data, filename, **kwargs)
    return caught.value


# --- the fixtures -------------------------------------------------------------

def test_a_sheet_whose_stored_dimension_is_too_small_still_gives_every_pupil():
    table = read_roster(fixture("01_dimension_too_small.xlsx"), "01.xlsx")

    assert table.row_count == 40
    assert [r.number for r in table.rows] == list(range(2, 42))
    assert table.rows[-1].cells["name"] == "张测40"
    assert table.columns["student_number"] == "D"
    assert table.headers["guardian1_name"] == "监护人"
    assert table.ignored_headers == ["序号", "是否留守儿童"]
    assert table.rows[0].cells["date_of_birth"] == dt.date(2013, 2, 8)
    assert table.problems == []


def test_id_numbers_stored_as_numbers_are_refused_by_row_and_text_ones_read_as_text():
    table = read_roster(fixture("03_id_numbers_stored_as_numbers.xlsx"), "03.xlsx")

    assert table.row_count == 5
    # 9.90101201303151e+17 (typed into a General cell), 9.901012013031512e+17
    # (written by a program) and a number formatted as text afterwards.
    assert [(p.row, p.column, p.field) for p in table.problems] == [
        (2, "B", "id_number"), (3, "B", "id_number"), (5, "B", "id_number")]
    assert "Text (文本)" in table.problems[0].message
    assert "id_number" not in table.rows[0].cells
    assert table.rows[2].cells["id_number"] == "99010120130315005X"
    # A phone number stored as a number is text, with all its digits.
    assert table.rows[0].cells["guardian1_phone"] == "10000000001"
    assert table.rows[0].cells["student_number"] == "G990101201303151116"
    # 学号 (a school's own number, 0012 stored as 12) is not the 学籍号.
    assert "学号" in table.ignored_headers
    assert table.rows[0].cells["class_number"] == 1


def test_dates_in_date_formats_become_dates_with_cjk_builtins_and_text_passes_through():
    table = read_roster(fixture("04_dates_mixed_forms.xlsx"), "04.xlsx")

    births = {r.number: r.cells["date_of_birth"] for r in table.rows}
    march_15 = dt.date(2013, 3, 15)
    assert births[2] == march_15  # yyyy-mm-dd
    assert births[3] == march_15  # custom yyyy"年"m"月"d"日"
    assert births[4] == march_15  # built-in 31, unknown to openpyxl
    assert births[5] == march_15  # built-in 57
    assert births[10] == march_15  # a bare serial pasted as a value
    assert births[6] == "2013年3月15日"
    assert births[7] == "2013.03.15"
    assert births[8] == 20130315  # YYYYMMDD as a number: the importer's to parse
    assert births[9] == "2013/3/15"
    assert births[11] == "2013-03-15 00:00:00"
    assert births[12] == "2013-3-15"  # leading space gone
    assert table.row_count == 11


def test_title_rows_and_a_two_level_header_are_found_and_joined():
    table = read_roster(fixture("07_title_rows_two_level_header.xlsx"), "07.xlsx")

    assert table.sheet == "花名册"
    assert table.header_row == 4
    assert table.headers["guardian1_name"] == "监护人信息/姓名"
    assert table.headers["guardian1_phone"] == "监护人信息/联系电话"
    assert table.columns["guardian1_name"] == "G"
    assert table.columns["name"] == "B"
    # Five pupils; the 制表人/审核人 line under them is not a pupil.
    assert [r.number for r in table.rows] == [5, 6, 7, 8, 9]
    assert table.rows[0].cells["guardian1_name"] == "李家长1"
    assert table.rows[0].cells["name"] == "李测1"


def test_the_roster_sheet_is_chosen_over_the_active_one_hidden_rows_are_marked():
    table = read_roster(fixture("09_hidden_rows_cols_and_sheets.xlsx"), "09.xlsx")

    assert table.sheet == "学生名单"
    assert table.hidden_sheets == ["上学期名单"]
    assert [(r.number, r.hidden) for r in table.rows] == [
        (2, False), (3, True), (4, False), (5, False), (6, True), (7, False)]
    assert table.rows[1].cells["status"] == "已转出"
    assert table.ignored_headers == ["内部备注"]


def test_invisible_and_full_width_characters_are_cleaned_in_headers_and_cells():
    table = read_roster(fixture("10_invisible_and_fullwidth_chars.xlsx"), "10.xlsx")

    assert set(table.columns) == {"name", "gender", "id_number", "guardian1_phone",
                                  "class_number"}
    cells = [r.cells for r in table.rows]
    assert [c["name"] for c in cells] == ["张测1", "李 测2", "王测3", "赵测4", "钱测5"]
    assert [c["gender"] for c in cells] == ["男", "女", "男", "女", "男"]
    assert [c["id_number"] for c in cells] == [
        "990101201406012012", "99010120140601005X", "99010120140601005X",
        "990101201406012143", "990101201406012258"]
    assert [c["guardian1_phone"] for c in cells] == [
        "10000000001", "10000000002", "10000000003", "100-0000-0004", "10000000005"]
    assert cells[0]["class_number"] == "1班"
    assert cells[2]["class_number"] == "三(2)班"


def test_an_old_xls_named_xlsx_is_refused_with_what_to_do():
    error = refused(fixture("12_real_xls_renamed.xlsx"), "12.xlsx")

    assert error.code == "xls"
    assert "Save As (另存为)" in error.message
    assert ".xlsx" in error.message


def test_a_csv_saved_by_chinese_excel_in_gbk_is_read_and_rounded_ids_refused_by_row():
    table = read_roster(fixture("15_excel_saved_gbk.csv"), "15.csv")

    assert table.file_kind == "csv"
    assert table.sheet == ""
    assert table.columns == {"name": "1", "gender": "2", "id_number": "3",
                             "date_of_birth": "4", "guardian1_phone": "5"}
    assert table.row_count == 3
    assert table.rows[0].cells == {
        "name": "张测1", "gender": "男", "id_number": "990101201303153015",
        "date_of_birth": "2013/3/15", "guardian1_phone": "10000000001"}
    assert [(p.row, p.column, p.field) for p in table.problems] == [
        (3, "3", "id_number"), (3, "5", "guardian1_phone")]
