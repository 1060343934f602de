"""The roster reader (issue 9 item 3): files as schools really hold them.

One test per fixture in /work/shared/fixtures/rosters (its README names each
fault) and one per kind of bad upload, built here. The reader hands over raw
values; parsing them is the importer's job and tested there.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from django.utils import translation

from schools.roster import headers
from schools.roster.reader import missing_required, read_roster
from schools.roster.table import (
    RELATIONSHIP_WORDS,
    STATUS_WORDS,
    TEMPLATE_COLUMNS,
    RosterFileError,
)
from schools.roster.template import build_template

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


# --- what kind of file it really is -------------------------------------------

def ole2_file(*stream_names: str) -> bytes:
    """The start of an OLE2 compound file: the signature and a directory
    sector naming the streams (UTF-16LE, 128-byte entries). Not a complete
    file; the reader decides from these bytes alone."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    entries = b""
    for name in ("Root Entry", *stream_names):
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        entries += encoded.ljust(64, b"\x00") + struct.pack("<H", len(encoded)) + bytes(62)
    return header + entries.ljust(512, b"\x00")


def test_an_xls_workbook_is_refused_and_told_to_save_as_xlsx():
    error = refused(ole2_file("Workbook", "\x05SummaryInformation"), "花名册.xls")

    assert error.code == "xls"
    assert "Excel 97–2003" in error.message


def test_a_password_protected_xlsx_is_told_apart_from_xls_by_its_encryption_stream():
    # A real encrypted .xlsx is an OLE2 file with EncryptionInfo and
    # EncryptedPackage streams (MS-OFFCRYPTO); no tool here writes one, so
    # the test builds the header and directory entries.
    error = refused(ole2_file("EncryptionInfo", "EncryptedPackage"), "花名册.xlsx")

    assert error.code == "encrypted"
    assert "remove the password" in error.message


@pytest.mark.parametrize("page", [
    b"<html><head><meta charset='utf-8'></head><body><table><tr><td>\xe5\xa7\x93\xe5\x90"
    b"\x8d</td></tr></table></body></html>",
    b"\xef\xbb\xbf  <table border=1><tr><td>x</td></tr></table>",
    b'<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?>'
    b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
])
def test_a_web_page_saved_as_xls_is_refused_with_what_to_do(page):
    error = refused(page, "花名册.xls")

    assert error.code == "html"
    assert "Save As (另存为)" in error.message


@pytest.mark.parametrize("start", [
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0\x00\x10JFIF", b"%PDF-1.7\n",
    b"\x00\x00\x00\x18ftypheic",
])
def test_a_picture_or_pdf_renamed_xlsx_is_refused(start):
    error = refused(start + bytes(200), "花名册.xlsx")

    assert error.code == "image"


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types xmlns='http://schemas.openxmlformats"
                         ".org/package/2006/content-types'/>")
        archive.writestr("word/document.xml", "<w:document/>")

    assert refused(out.getvalue()).code == "unsupported"


def test_a_damaged_zip_is_corrupt():
    data = workbook_bytes(roster_workbook([["G1234567", "王测"]]))

    assert refused(data[: len(data) // 2]).code == "corrupt"


def test_a_zip_member_whose_content_fails_its_checksum_is_corrupt():
    data = bytearray(workbook_bytes(roster_workbook([["G1234567", "王测"]])))
    # Flip bytes inside the first member's compressed data.
    name_length, extra_length = struct.unpack("<HH", data[26:30])
    start = 30 + name_length + extra_length
    data[start + 5:start + 15] = bytes(10)

    assert refused(bytes(data)).code == "corrupt"


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 1024 * 1024))
    data = out.getvalue()
    assert len(data) < 1024 * 1024

    assert refused(data).code == "zip_bomb"


def test_a_zip_whose_declared_sizes_lie_is_refused_while_inflating():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (4 * 1024 * 1024))
    data = bytearray(out.getvalue())
    # Declare the big member as 1 KB in its central directory entry.
    entry = data.rfind(b"PK\x01\x02")
    data[entry + 24:entry + 28] = struct.pack("<I", 1024)

    assert refused(bytes(data)).code in {"zip_bomb", "corrupt"}


def test_a_file_over_the_size_limit_is_refused_before_reading():
    error = refused(b"PK\x03\x04" + bytes(11 * 1024 * 1024))

    assert error.code == "too_large"
    assert "10 MB" in error.message


def test_an_empty_upload_and_an_empty_workbook_say_which_columns_are_needed():
    assert refused(b"").code == "empty"
    error = refused(workbook_bytes(openpyxl.Workbook()))

    assert error.code == "empty"
    assert "“学籍号”、“姓名”" in error.message


def test_a_sheet_without_a_recognisable_header_says_which_headings_are_required():
    wb = openpyxl.Workbook()
    wb.active.append(["编号", "备注"])
    wb.active.append([1, "甲"])

    error = refused(workbook_bytes(wb))

    assert error.code == "no_header"
    assert "“学籍号”、“姓名”" in error.message


def test_binary_junk_is_neither_a_workbook_nor_a_csv():
    assert refused(bytes(range(256)) * 4, "x.csv").code == "unsupported"


# --- csv -------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "delimiter"), [
    ("utf-8-sig", ","), ("utf-8", ";"), ("gbk", "\t"), ("utf-16", "\t")])
def test_a_csv_is_decoded_and_its_delimiter_found(encoding, delimiter):
    text = delimiter.join(["学籍号", "姓名", "联系电话"]) + "\r\n" + \
        delimiter.join(["G990101201303153015", "王测3", "10000000003"]) + "\r\n\r\n"

    table = read_roster(text.encode(encoding), "花名册.csv")

    assert table.file_kind == "csv"
    assert table.columns == {"student_number": "1", "name": "2", "guardian1_phone": "3"}
    assert [(r.number, r.cells) for r in table.rows] == [
        (2, {"student_number": "G990101201303153015", "name": "王测3",
             "guardian1_phone": "10000000003"})]


def test_a_csv_from_a_system_that_wraps_numbers_for_excel_and_names_it_xls():
    # Many web systems "export to Excel" as tab-separated GBK text named .xls,
    # writing ="…" around long numbers so Excel keeps them as text.
    text = '学籍号\t姓名\t身份证号\r\n="G990101201303153015"\t王测3\t="990101201303153015"\r\n'

    table = read_roster(text.encode("gbk"), "学生名单.xls")

    assert table.file_kind == "csv"
    assert table.rows[0].cells == {"student_number": "G990101201303153015", "name": "王测3",
                                   "id_number": "990101201303153015"}


def test_a_csv_has_the_same_row_limit():
    text = "学籍号,姓名\n" + "".join(f"G{i:08d},王测{i}\n" for i in range(6))

    assert refused(text.encode(), "x.csv", max_rows=5).code == "too_many_rows"
    assert read_roster(text.encode(), "x.csv", max_rows=6).row_count == 6


# --- workbooks built here ---------------------------------------------------------

def test_a_chinese_sheet_name_blank_and_trailing_rows_and_row_numbers():
    wb = roster_workbook([["G1234567", "王测1"], [None, None], ["", "  "],
                          ["G1234568", "王测2"]], title="三年级（2）班")
    wb.active.cell(row=400, column=1, value=None).number_format = "@"  # styled, empty

    table = read_roster(workbook_bytes(wb), "三年级.xlsx")

    assert table.sheet == "三年级（2）班"
    assert [(r.number, r.cells["name"]) for r in table.rows] == [(2, "王测1"), (5, "王测2")]


def test_formulas_without_saved_values_are_problems_by_cell():
    wb = roster_workbook([["G1234567", '=CONCATENATE("王","测")', "男", "=DATE(2013,3,15)"],
                          ["G1234568", "李测", "女", "2013-3-15"]])

    table = read_roster(workbook_bytes(wb), "公式.xlsx")

    assert [(p.row, p.column, p.field) for p in table.problems] == [
        (2, "B", "name"), (2, "D", "date_of_birth")]
    assert "选择性粘贴为数值" in table.problems[0].message
    assert table.rows[0].cells == {"student_number": "G1234567", "gender": "男"}
    assert table.rows[1].cells["name"] == "李测"


def with_cell_xml(data: bytes, ref: str, xml: str) -> bytes:
    """The workbook with cell `ref` of its first sheet rewritten as `xml`, as
    Excel or WPS would have written it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                body, count = re.subn(rf'<c r="{ref}"[ >].*?</c>'.encode(), xml.encode(), body)
                assert count == 1
            dst.writestr(item, body)
    return out.getvalue()


def test_formulas_with_saved_values_read_as_their_values():
    data = workbook_bytes(roster_workbook([["G1234567", "王测"]]))
    data = with_cell_xml(data, "B2", '<c r="B2" t="str"><f>"王"&amp;"测"</f><v>王测</v></c>')

    table = read_roster(data, "x.xlsx")

    assert table.problems == []
    assert table.rows[0].cells["name"] == "王测"


def test_a_formula_whose_saved_result_is_empty_is_an_empty_cell_not_a_problem():
    data = workbook_bytes(roster_workbook([["G1234567", "王测", "男"]]))
    data = with_cell_xml(data, "C2", '<c r="C2" t="str"><f>IF(A2="","","")</f><v></v></c>')

    table = read_roster(data, "x.xlsx")

    assert table.problems == []
    assert table.rows[0].cells == {"student_number": "G1234567", "name": "王测"}


def test_an_error_value_in_a_cell_is_a_problem():
    wb = roster_workbook([["G1234567", "#N/A"]])
    wb.active["B2"].data_type = "e"

    table = read_roster(workbook_bytes(wb), "x.xlsx")

    assert [(p.row, p.column) for p in table.problems] == [(2, "B")]
    assert "#N/A" in table.problems[0].message


def test_merged_cells_in_data_rows_take_the_top_left_value():
    wb = roster_workbook([["G1", "王测1", "男", None, "2"], ["G2", "王测2", "女", None, None],
                          ["G3", "王测3", "男", None, None]],
                         header=("学籍号", "姓名", "性别", "出生日期", "班级"))
    wb.active.merge_cells("E2:E4")

    table = read_roster(workbook_bytes(wb), "x.xlsx")

    assert [r.cells["class_number"] for r in table.rows] == ["2", "2", "2"]


def test_a_two_row_header_with_a_second_guardian_group():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["学生花名册"])
    ws.merge_cells("A1:H1")
    ws.append(["学籍号", "姓名", "第一监护人", None, None, "第二监护人", None, None])
    ws.append([None, None, "姓名", "关系", "联系电话", "姓名", "关系", "联系电话"])
    for column in "AB":
        ws.merge_cells(f"{column}2:{column}3")
    ws.merge_cells("C2:E2")
    ws.merge_cells("F2:H2")
    ws.append(["G1234567", "王测", "王父", "父亲", 10000000001, "李母", "母亲", "10000000002"])

    table = read_roster(workbook_bytes(wb), "x.xlsx")

    assert table.header_row == 3
    assert table.headers["guardian2_phone"] == "第二监护人/联系电话"
    assert table.headers["student_number"] == "学籍号"
    assert table.rows[0].cells == {
        "student_number": "G1234567", "name": "王测", "guardian1_name": "王父",
        "guardian1_relationship": "父亲", "guardian1_phone": "10000000001",
        "guardian2_name": "李母", "guardian2_relationship": "母亲",
        "guardian2_phone": "10000000002"}


def test_dates_in_a_1904_workbook_use_its_epoch():
    wb = roster_workbook([["G1234567", "王测", "男", 39886]])  # 2013-03-15 in 1904 dates
    wb.epoch = openpyxl.utils.datetime.MAC_EPOCH
    wb.active["D2"].number_format = "yyyy-mm-dd"

    table = read_roster(workbook_bytes(wb), "mac.xlsx")

    assert table.rows[0].cells["date_of_birth"] == dt.date(2013, 3, 15)


def test_a_roster_without_a_student_number_column_is_read_and_says_so():
    table = read_roster(fixture("09_hidden_rows_cols_and_sheets.xlsx"), "09.xlsx")

    assert missing_required(table) == ["student_number"]


def test_too_many_rows_are_refused_with_a_message():
    wb = roster_workbook([[f"G{i:07d}", f"王测{i}"] for i in range(11)])

    error = refused(workbook_bytes(wb), max_rows=10)

    assert error.code == "too_many_rows"
    assert "10" in error.message


def excel_like_workbook(rows) -> bytes:
    """A one-sheet .xlsx as Excel and WPS write it: text in the shared
    strings table. (openpyxl 3.1 writes inline strings instead, which it
    reads back markedly slower, and writes 50,000 rows ten times slower than
    this.)"""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    strings: dict[str, int] = {}
    body = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row, start=1):
            ref = f"{openpyxl.utils.get_column_letter(c)}{r}"
            if isinstance(value, str):
                index = strings.setdefault(value, len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        body.append(f'<row r="{r}">{"".join(cells)}</row>')
    shared = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            f'<Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            '</Relationships>'))
        archive.writestr("xl/worksheets/sheet1.xml", (
            f'<worksheet xmlns="{main}"><sheetData>{"".join(body)}</sheetData></worksheet>'))
        archive.writestr("xl/sharedStrings.xml", (
            f'<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            f"{shared}</sst>"))
    return out.getvalue()


def test_fifty_thousand_rows_are_read():
    # Slow (~10 s idle, minutes on a loaded machine), nearly all of it openpyxl
    # parsing the sheet.
    rows = [["学籍号", "姓名", "性别", "监护人1电话"]] + [
        [f"G{i:08d}", f"王测{i}", "男", 10000000000 + i] for i in range(50_000)]

    table = read_roster(excel_like_workbook(rows), "big.xlsx")

    assert table.row_count == 50_000
    assert table.rows[-1].number == 50_001
    assert table.rows[-1].cells == {"student_number": "G00049999", "name": "王测49999",
                                    "gender": "男", "guardian1_phone": "10000049999"}


def test_fifty_thousand_and_one_rows_are_too_many():
    rows = [["学籍号", "姓名"]] + [[f"G{i:08d}", f"王测{i}"] for i in range(3)]

    assert refused(excel_like_workbook(rows), max_rows=2).code == "too_many_rows"
    assert read_roster(excel_like_workbook(rows), "x.xlsx", max_rows=3).row_count == 3


# --- headings -----------------------------------------------------------------------

@pytest.mark.parametrize(("heading", "field"), [
    ("学籍号", "student_number"), ("全国学籍号", "student_number"),
    ("学籍辅号", "student_number"), ("个人标识码", "student_number"),
    ("\ufeff学生姓名 ", "name"), ("身份证件号", "id_number"), ("证件号码", "id_number"),
    ("出生年月", "date_of_birth"), ("所在班级", "class_number"), ("班号", "class_number"),
    ("在校状态", "status"), ("住宿情况", "boarder"), ("寄宿", "boarder"),
    ("现住址", "home_area"), ("户籍所在地", "home_area"), ("家庭所在村（社区）", "home_area"),
    ("家长姓名", "guardian1_name"), ("监护人1姓名", "guardian1_name"),
    ("父亲姓名", "guardian1_name"), ("母亲姓名", "guardian2_name"),
    ("与学生关系", "guardian1_relationship"), ("手机号码", "guardian1_phone"),
    ("家长电话", "guardian1_phone"), ("是否外出务工", "guardian1_works_away"),
    ("务工地点", "guardian1_works_away_place"), ("是否共同生活", "guardian1_lives_with_child"),
    ("监护人信息/姓名", "guardian1_name"), ("监护人信息/联系电话", "guardian1_phone"),
    ("第二监护人/姓名", "guardian2_name"), ("监护人2电话", "guardian2_phone"),
    ("学生基本信息/姓名", "name"), ("*学籍号（必填）：", "student_number"),
    ("出生日期\u200b", "date_of_birth"), ("学　籍　号", "student_number"),
    ("联系人", "guardian1_name"), ("联系人电话", "guardian1_phone"),
    ("户籍地址", "home_area"), ("是否住校生", "boarder"),
    ("成员1姓名", "guardian1_name"), ("成员2联系电话", "guardian2_phone"),
    ("成员1关系", "guardian1_relationship"), ("身份证件类型", None),
    ("监护人1身份证件类型", None),
    ("学号", None), ("序号", None), ("备注", None), ("是否留守儿童", None),
])
def test_headings_map_to_fields(heading, field):
    assert headers.field_for(heading) == field


def test_every_template_heading_maps_to_its_own_field():
    assert {headers.field_for(h): f for f, h in TEMPLATE_COLUMNS} == {
        f: f for f, _h in TEMPLATE_COLUMNS}


# --- the template --------------------------------------------------------------------

def test_the_template_reads_back_as_an_empty_roster_with_every_column_mapped():
    table = read_roster(build_template(), "模板.xlsx")

    assert table.sheet == "花名册"
    assert table.header_row == 1
    assert table.row_count == 0
    assert table.problems == []
    assert table.ignored_headers == []
    assert table.columns == {f: openpyxl.utils.get_column_letter(i)
                             for i, (f, _h) in enumerate(TEMPLATE_COLUMNS, start=1)}


def test_the_template_has_text_columns_drop_downs_and_instructions():
    wb = openpyxl.load_workbook(io.BytesIO(build_template()))
    data = wb["花名册"]
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in data.data_validations.dataValidation}

    assert wb.sheetnames == ["花名册", "填写说明"]
    assert wb.active.title == "花名册"
    assert data.freeze_panes == "A2"
    assert all(cell.font.b for cell in data[1])
    assert data["A2"].number_format == "@"  # 学籍号
    assert data.column_dimensions["A"].number_format == "@"
    assert data["L2"].number_format == "@"  # 监护人1电话
    assert data["R2"].number_format == "@"  # 监护人2电话
    assert lists["C2"] == '"男,女"'
    assert lists["G2"] == '"' + ",".join(STATUS_WORDS.values()) + '"'
    assert lists["H2"] == '"是,否"'
    assert lists["K2"] == '"' + ",".join(RELATIONSHIP_WORDS.values()) + '"'
    assert lists["M2"] == lists["N2"] == lists["S2"] == lists["T2"] == '"是,否"'
    assert data.max_row <= 1001
    assert all(cell.value is None for row in data.iter_rows(min_row=2) for cell in row)

    notes = wb["填写说明"]
    text = "\n".join(str(c.value) for row in notes.iter_rows() for c in row if c.value)
    assert "9.90101E+17" in text
    assert "2013年3月15日" in text
    assert "are not stored" in text
    sample = [row for row in notes.iter_rows() if row[0].value == "G990101201303153015"]
    assert len(sample) == 1
    assert all(c.font.i and c.font.color.rgb.endswith("808080") for c in sample[0])


def test_a_merged_class_running_on_below_the_last_pupil_adds_no_rows():
    wb = roster_workbook([["G1", "王测1", "男", None, "2"], ["G2", "王测2", "女", None, None]],
                         header=("学籍号", "姓名", "性别", "出生日期", "班级"))
    wb.active.merge_cells("E2:E9")

    table = read_roster(workbook_bytes(wb), "x.xlsx")

    assert [r.number for r in table.rows] == [2, 3]


def test_an_id_number_written_as_an_integer_is_exact_unless_excel_zeroed_its_tail():
    data = workbook_bytes(roster_workbook([["G1", "王测1", 1], ["G2", "王测2", 2]],
                                          header=("学籍号", "姓名", "身份证号")))
    data = with_cell_xml(data, "C2", '<c r="C2"><v>990101201303153015</v></c>')
    data = with_cell_xml(data, "C3", '<c r="C3"><v>990101201303153000</v></c>')

    table = read_roster(data, "x.xlsx")

    assert table.rows[0].cells["id_number"] == "990101201303153015"
    assert [(p.row, p.field) for p in table.problems] == [(3, "id_number")]


def test_a_csv_whose_first_heading_starts_with_bm_is_not_taken_for_a_bitmap():
    table = read_roster("BMI,学籍号,姓名\n19.5,G1234567,王测\n".encode(), "x.csv")

    assert table.row_count == 1


def test_a_workbook_with_far_more_cells_than_a_roster_is_refused_before_loading(monkeypatch):
    monkeypatch.setattr("schools.roster.reader.MAX_CELLS", 100)
    wb = roster_workbook([[f"G{i:07d}", f"王测{i}"] for i in range(60)])

    assert refused(workbook_bytes(wb)).code == "too_large"


def test_a_merged_range_covering_millions_of_cells_is_refused_before_loading():
    data = workbook_bytes(roster_workbook([["G1234567", "王测"]]))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"</sheetData>", b'</sheetData><mergeCells count="1">'
                                    b'<mergeCell ref="C2:AZ900000"/></mergeCells>')
            dst.writestr(item, body)

    assert refused(out.getvalue()).code == "too_large"


def test_a_stray_cell_far_below_the_roster_adds_no_rows():
    wb = roster_workbook([["G1234567", "王测"]])
    wb.active["Z1000000"] = "备注"
    wb.active["A999999"] = "  "

    table = read_roster(workbook_bytes(wb), "x.xlsx")

    assert [r.number for r in table.rows] == [2]
