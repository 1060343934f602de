"""Roster workbooks as a school really fills them in, for the browser tests:
a printable 花名册 (a merged title row, a 学校（盖章） row, a two-row header with
监护人信息 over 姓名 / 与学生关系 / 联系电话), built with openpyxl.

The messy one has, on these Excel rows (the header ends on row 4):
  row 5  a good pupil, 学籍号 typed in full-width characters (Ｇ３３０…)
  row 6  a good pupil born "2013.3.5"
  row 7  a 学籍号 whose check digit is wrong
  row 8  the 学籍号 of row 5 again (a duplicate)
The corrected one has rows 5 and 6 unchanged, row 7 with the right check
digit and row 8 with its own 学籍号."""

from __future__ import annotations

import io

from openpyxl import Workbook

from schools.student_numbers import id_check_character

HEADER_TOP = ("学籍号", "姓名", "性别", "出生日期", "年级", "班级", "监护人信息", None, None)
HEADER_SUB = (None, None, None, None, None, None, "姓名", "与学生关系", "联系电话")


def student_number(born: str, seq: int) -> str:
    """A valid 学籍号: "G" + an ID number (GB 11643) born on `born` (YYYYMMDD)."""
    first17 = f"330102{born}{seq:03d}"
    return f"G{first17}{id_check_character(first17)}"


def wrong_check_digit(number: str) -> str:
    last = number[-1]
    return number[:-1] + ("0" if last != "0" else "1")


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


FIRST = student_number("20150305", 11)
SECOND = student_number("20130305", 12)
THIRD = student_number("20150607", 13)
FOURTH = student_number("20150305", 14)


def _workbook(rows: list[tuple]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append(["示例区实验小学2026—2027学年学生花名册"])
    sheet.merge_cells("A1:I1")
    sheet.append(["学校（盖章）：", None, None, None, "填表日期：2026年9月1日"])
    sheet.append(HEADER_TOP)
    sheet.append(HEADER_SUB)
    for column in "ABCDEF":
        sheet.merge_cells(f"{column}3:{column}4")
    sheet.merge_cells("G3:I3")
    for row in rows:
        sheet.append(row)
    sheet.append([])
    sheet.append(["制表人：示例老师"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row(number, name, born, cls, guardian, phone):
    return (number, name, "男" if name.endswith(("一", "三")) else "女", born, "三年级", cls,
            guardian, "父亲", phone)


def messy_roster() -> bytes:
    return _workbook([
        _row(full_width(FIRST), "李测一", "2015-03-05", "2班", "李家长", "13800000001"),
        _row(SECOND, "王测二", "2013.3.5", "2班", "王家长", "13800000002"),
        _row(wrong_check_digit(THIRD), "赵测三", "2015-06-07", "3班", "赵家长", "13800000003"),
        _row(FIRST, "钱测四", "2015-03-05", "3班", "钱家长", "13800000004"),
    ])


def corrected_roster() -> bytes:
    return _workbook([
        _row(full_width(FIRST), "李测一", "2015-03-05", "2班", "李家长", "13800000001"),
        _row(SECOND, "王测二", "2013.3.5", "2班", "王家长", "13800000002"),
        _row(THIRD, "赵测三", "2015-06-07", "3班", "赵家长", "13800000003"),
        _row(FOURTH, "钱测四", "2015-03-05", "3班", "钱家长", "13800000004"),
    ])
