"""The roster template schools download, fill in and upload (issue 9 item 3).

Sheet 花名册: the TEMPLATE_COLUMNS headings (bold, frozen), 学籍号 and phone
columns formatted as text so Excel keeps every digit, drop-down lists with the
choice words of roster.table. Sheet 填写说明: what each column takes, the date
forms accepted, why 学籍号 must be text, that ID numbers are not stored, and a
grey italic sample row (the sample is not on the data sheet, so it can never
be imported by mistake). The headings and choice words are the file format and
stay Chinese; the explanations follow the active language.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from schools.roster.table import (
    GENDER_WORDS,
    RELATIONSHIP_WORDS,
    STATUS_WORDS,
    TEMPLATE_COLUMNS,
    YES_NO_WORDS,
)

DATA_SHEET = "花名册"
INSTRUCTIONS_SHEET = "填写说明"
# Rows prepared (text format, drop-downs) under the heading: the largest
# roster read_roster accepts.
PREPARED_ROWS = 50_000
TEXT_FIELDS = ("student_number", "guardian1_phone", "guardian2_phone")
_YES_NO = tuple(YES_NO_WORDS[v] for v in (True, False))
CHOICES: dict[str, tuple[str, ...]] = {
    "gender": tuple(GENDER_WORDS.values()),
    "status": tuple(STATUS_WORDS.values()),
    "boarder": _YES_NO,
    "guardian1_relationship": tuple(RELATIONSHIP_WORDS.values()),
    "guardian2_relationship": tuple(RELATIONSHIP_WORDS.values()),
    "guardian1_lives_with_child": _YES_NO,
    "guardian1_works_away": _YES_NO,
    "guardian2_lives_with_child": _YES_NO,
    "guardian2_works_away": _YES_NO,
}
# A made-up pupil (region code 990101 does not exist; phone numbers on the
# unassignable 100 prefix).
SAMPLE = {
    "student_number": "G990101201303153015", "name": "张测", "gender": "男",
    "date_of_birth": "2013-03-15", "grade": "四年级", "class_number": "2",
    "status": "在读", "boarder": "否", "home_area": "示例村",
    "guardian1_name": "张测父", "guardian1_relationship": "父亲",
    "guardian1_phone": "10000000001", "guardian1_lives_with_child": "否",
    "guardian1_works_away": "是", "guardian1_works_away_place": "浙江省杭州市",
    "guardian2_name": "李测母", "guardian2_relationship": "母亲",
    "guardian2_phone": "10000000002", "guardian2_lives_with_child": "是",
    "guardian2_works_away": "否", "guardian2_works_away_place": "",
}


def _column_notes() -> dict[str, str]:
    """What goes in each column, for the instructions sheet."""
    yes_no = _("是 or 否 (choose from the list).")
    return {
        "student_number": _(
            "Required. The pupil's national student number (全国学籍号) as in the 学籍系统: "
            "G + ID number, or J/L + number. The column is formatted as text: paste the "
            "numbers with Paste Special → Values, never retype them in a General cell."),
        "name": _("Required. The pupil's name as in the 学籍系统."),
        "gender": _("男 or 女 (choose from the list)."),
        "date_of_birth": _(
            "Any of: 2013-03-15, 2013/3/15, 2013.3.15, 2013年3月15日, 20130315, or an "
            "Excel date."),
        "grade": _("The grade this school year: 一年级 … 九年级 (also 3, 初一), or "
                   "小班/中班/大班."),
        "class_number": _("The class within the grade: 2, 2班 or (2)班."),
        "status": _("在读, 转出, 休学, 辍学, 毕业 or 死亡 (choose from the list)."),
        "boarder": yes_no,
        "home_area": _(
            "Only the village or community (村/社区) the family lives in — not the full "
            "address: the portal does not keep house numbers."),
        "guardian1_name": _("The main guardian, who is contacted first."),
        "guardian1_relationship": _("The guardian's relationship to the pupil (choose from "
                                    "the list)."),
        "guardian1_phone": _("A mobile phone number, 11 digits. The column is formatted "
                             "as text."),
        "guardian1_lives_with_child": _("是 if this guardian lives with the pupil, else 否."),
        "guardian1_works_away": _("是 if this guardian works away from home (外出务工), "
                                  "else 否."),
        "guardian1_works_away_place": _("Where the guardian works, if away: a city or "
                                        "province is enough."),
        "guardian2_name": _("A second guardian, if any (leave the guardian 2 columns empty "
                            "otherwise). Further guardians are added on the pupil's page."),
        "guardian2_relationship": _("As for guardian 1."),
        "guardian2_phone": _("As for guardian 1."),
        "guardian2_lives_with_child": _("As for guardian 1."),
        "guardian2_works_away": _("As for guardian 1."),
        "guardian2_works_away_place": _("As for guardian 1."),
    }


def _general_notes() -> list[str]:
    return [
        _("Fill in one pupil per row on the sheet 花名册, starting in row 2. Do not change "
          "or move the headings in row 1; columns may be left empty except 学籍号 and 姓名."),
        _("学籍号 must be text. If it is typed or pasted into a General cell, Excel keeps only "
          "15 digits and the number becomes 9.90101E+17; such rows are refused. This "
          "template's 学籍号 and phone columns are already text: paste with Paste Special → "
          "Values (选择性粘贴为数值) so the format stays."),
        _("ID card numbers (身份证号) are not stored. If your roster has a 身份证号 column "
          "you may leave it in: it is used only to check the date of birth and the 学籍号, "
          "then discarded."),
        _("Hidden rows are shown in the preview before anything is saved, so you can choose "
          "whether to import them (pupils who left are often hidden rows)."),
        _("Save the file as an Excel workbook (.xlsx). Old .xls files, files with a "
          "password and pictures of a roster cannot be read."),
        _("The grey row below is an example only; it is not imported."),
    ]


def build_template() -> bytes:
    """The roster template as .xlsx bytes: sheet 花名册 (headings of
    TEMPLATE_COLUMNS in row 1, bold and frozen; 学籍号 and phone columns as
    text; drop-down lists for the choice columns over PREPARED_ROWS rows) and
    sheet 填写说明 (explanations in the active language and a grey italic
    sample row). read_roster reads it back as zero rows with every
    TEMPLATE_COLUMNS field mapped."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    bold = Font(bold=True)
    heading_fill = PatternFill("solid", fgColor="DDEBF7")
    last_row = PREPARED_ROWS + 1
    letters = {}
    for index, (field, heading) in enumerate(TEMPLATE_COLUMNS, start=1):
        letter = get_column_letter(index)
        letters[field] = letter
        cell = ws.cell(row=1, column=index, value=heading)
        cell.font = bold
        cell.fill = heading_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[letter].width = max(10, len(heading) * 2 + 4)
    ws.column_dimensions[letters["student_number"]].width = 24
    ws.column_dimensions[letters["home_area"]].width = 20
    ws.freeze_panes = "A2"
    for field in TEXT_FIELDS:
        # The column's own style makes every new cell text in Excel and WPS;
        # the first rows carry it too for programs that ignore column styles.
        dimension = ws.column_dimensions[letters[field]]
        dimension.number_format = "@"
        for row in range(2, 1002):
            ws[f"{letters[field]}{row}"].number_format = "@"
    for field, words in CHOICES.items():
        validation = DataValidation(
            type="list", formula1='"' + ",".join(words) + '"', allow_blank=True,
            showDropDown=False, showErrorMessage=True, errorStyle="warning",
            errorTitle=_("Not in the list"),
            error=_("Choose one of: %(words)s") % {"words": "、".join(words)})
        validation.add(f"{letters[field]}2:{letters[field]}{last_row}")
        ws.add_data_validation(validation)

    notes = wb.create_sheet(INSTRUCTIONS_SHEET)
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 90
    notes.column_dimensions["C"].width = 24
    notes.append([_("Roster template: how to fill it in")])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append([])
    for text in _general_notes():
        notes.append(["•", text])
        notes.cell(row=notes.max_row, column=2).alignment = Alignment(wrap_text=True)
    notes.append([])
    notes.append([_("Column"), _("What to fill in"), _("Example")])
    for cell in notes[notes.max_row]:
        cell.font = bold
    explanations = _column_notes()
    for field, heading in TEMPLATE_COLUMNS:
        notes.append([heading, explanations[field], SAMPLE[field]])
        notes.cell(row=notes.max_row, column=2).alignment = Alignment(wrap_text=True)
    notes.append([])
    notes.append([_("Example row (not imported):")])
    notes.cell(row=notes.max_row, column=1).font = bold
    grey = Font(italic=True, color="808080")
    notes.append([heading for _field, heading in TEMPLATE_COLUMNS])
    for cell in notes[notes.max_row]:
        cell.font = grey
    notes.append([SAMPLE[field] for field, _heading in TEMPLATE_COLUMNS])
    for cell in notes[notes.max_row]:
        cell.font = grey
        cell.number_format = "@"

    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
