"""The contract between the roster reader and the importer.

A reader turns an uploaded file into a `RosterTable`: the rows under the header
it found, each cell keyed by a canonical field name (FIELDS), the raw value as
the file held it (str, int, float, datetime/date, bool or None; never yet
parsed), the 1-based row number the school sees in Excel, and whether Excel hid
the row. Cells the reader already knows are wrong (a formula without a saved
value, a number Excel rounded) come as `CellProblem`s, not as values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Canonical fields of a roster row. Guardians are numbered 1 and 2 (a third
# and further guardians are added on the pupil's page). `id_number` (身份证号)
# is read only to cross-check the date of birth and the 学籍号: it is never
# stored (issue 9 item 1).
PUPIL_FIELDS = (
    "student_number",  # 学籍号 / 全国学籍号 / 学籍辅号
    "name",  # 姓名 / 学生姓名
    "gender",  # 性别
    "date_of_birth",  # 出生日期
    "id_number",  # 身份证号 / 身份证件号 (checked, never stored)
    "grade",  # 年级 ("三年级", "3", "初一", "七年级", "小班")
    "class_number",  # 班级 / 班号 ("2", "2班", "(2)班")
    "class_name",  # a grade and class in one cell: "三年级2班", "3年级(2)班", "302班"
    "status",  # 学籍状态 / 在校状态 (在读, 转出, 休学, 辍学, 毕业, 死亡)
    "boarder",  # 是否住校 / 住宿情况 (是/否, 住校/走读)
    "home_area",  # 家庭住址所在村（社区） / 户籍所在地 (village or community only)
)
GUARDIAN_FIELDS = (
    "name",  # 监护人姓名 / 监护人1姓名
    "relationship",  # 与学生关系 / 关系
    "phone",  # 联系电话 / 手机号码
    "lives_with_child",  # 是否与学生共同生活
    "works_away",  # 是否外出务工
    "works_away_place",  # 务工地点
)
GUARDIAN_SLOTS = (1, 2)
FIELDS = PUPIL_FIELDS + tuple(
    f"guardian{n}_{f}" for n in GUARDIAN_SLOTS for f in GUARDIAN_FIELDS)

# At least these must be found for a header row to be a roster's header.
REQUIRED_FIELDS = ("student_number", "name")


@dataclass(frozen=True)
class CellProblem:
    """A cell the reader could not hand over as a value. `message` is a
    translated sentence saying how to fix it (e.g. "公式没有保存计算结果：请复制后
    选择性粘贴为数值")."""

    row: int  # 1-based Excel row number
    column: str  # Excel column letters ("C"), or the CSV column number as text
    field: str  # a FIELDS name
    message: str


@dataclass
class SourceRow:
    number: int  # 1-based row number in the sheet (what the school sees in Excel)
    cells: dict[str, Any]  # FIELDS name → raw value; absent when the column is absent
    hidden: bool = False  # Excel hid this row (often: pupils who left)


@dataclass
class RosterTable:
    """One sheet's roster, as read. `columns` maps each found field to its
    column letters (for "第 12 行 C 列" messages) and `headers` to the header
    text as the file wrote it (two header levels joined with "/")."""

    sheet: str  # the sheet's name ("" for a CSV)
    header_row: int  # the (last) header row, 1-based
    columns: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    rows: list[SourceRow] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)  # columns we do not use
    hidden_sheets: list[str] = field(default_factory=list)  # skipped, shown in the preview
    file_kind: str = "xlsx"  # "xlsx" or "csv"

    @property
    def row_count(self) -> int:
        return len(self.rows)


class RosterFileError(Exception):
    """The whole file cannot be read. `message` is a translated sentence that
    says what is wrong and what to do (另存为 .xlsx, remove the password, …);
    `code` a short stable reason for tests and the JSON preview ("xls",
    "html", "image", "encrypted", "corrupt", "too_large", "zip_bomb",
    "too_many_rows", "empty", "no_header")."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# The columns of our template, in order, with the header each carries (Chinese:
# the template is for Chinese schools; the reader maps these and the common
# 学籍系统 headings to FIELDS). The roster export writes the same columns, so
# an exported roster can be edited and imported again.
TEMPLATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("student_number", "学籍号"),
    ("name", "姓名"),
    ("gender", "性别"),
    ("date_of_birth", "出生日期"),
    ("grade", "年级"),
    ("class_number", "班级"),
    ("status", "学籍状态"),
    ("boarder", "是否住校"),
    ("home_area", "家庭所在村（社区）"),
    ("guardian1_name", "监护人1姓名"),
    ("guardian1_relationship", "监护人1关系"),
    ("guardian1_phone", "监护人1电话"),
    ("guardian1_lives_with_child", "监护人1是否共同生活"),
    ("guardian1_works_away", "监护人1是否外出务工"),
    ("guardian1_works_away_place", "监护人1务工地点"),
    ("guardian2_name", "监护人2姓名"),
    ("guardian2_relationship", "监护人2关系"),
    ("guardian2_phone", "监护人2电话"),
    ("guardian2_lives_with_child", "监护人2是否共同生活"),
    ("guardian2_works_away", "监护人2是否外出务工"),
    ("guardian2_works_away_place", "监护人2务工地点"),
)
# How the template writes choices (drop-down lists), read back by the importer.
STATUS_WORDS = {"enrolled": "在读", "transferred_out": "转出", "suspended": "休学",
                "dropped_out": "辍学", "graduated": "毕业", "deceased": "死亡"}
GENDER_WORDS = {"M": "男", "F": "女"}
RELATIONSHIP_WORDS = {
    "father": "父亲", "mother": "母亲", "grandfather": "祖父", "grandmother": "祖母",
    "maternal_grandfather": "外祖父", "maternal_grandmother": "外祖母",
    "sibling": "兄弟姐妹", "relative": "其他亲属", "other": "其他监护人",
}
YES_NO_WORDS = {True: "是", False: "否"}
