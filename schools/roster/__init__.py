"""Roster import from Excel (issue 9 item 3).

- table.py: what a reader hands over (RosterTable, SourceRow) and the
  canonical field names of a roster's columns.
- reader.py: any file a school uploads → a RosterTable, or RosterFileError
  with a Chinese message saying what to do (.xls, HTML, images, CSV in GBK,
  encrypted or corrupt workbooks, zip bombs, title rows, two-row headers,
  hidden rows and sheets, formulas, invisible characters).
- headers.py: header texts (our template's and a 学籍系统 export's) → fields.
- template.py: the downloadable template (Chinese headers, drop-down lists,
  an instructions sheet).
- parse.py / plan.py / commit.py: cell values → pupils; the preview (new,
  changed, missing from a full roster, every error by row and column); the
  all-or-nothing commit.
"""
