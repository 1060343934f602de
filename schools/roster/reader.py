"""Read an uploaded roster (.xlsx or CSV) into a `RosterTable`.

The reader knows files, not pupils: it finds the sheet and the header row,
maps columns to FIELDS (roster.headers), and hands over each row's raw values.
What it does beyond copying (issue 9 item 3; the fixtures in
/work/shared/fixtures/rosters and their README name the faults):

- the file type comes from the first bytes, not the name (.xls, an encrypted
  workbook, an HTML table, a picture renamed .xlsx each get a message saying
  what to do); a zip is checked for bombs before openpyxl opens it;
- the sheet's stored dimension is not trusted (openpyxl normal mode);
- the sheet is the visible one whose header matches best; hidden sheets are
  skipped and listed, hidden rows are kept and marked;
- 学籍号, 身份证号 and phone columns come as text; a number Excel already
  rounded (more than 15 digits) is a CellProblem, not a value;
- a number in a date format becomes a datetime.date with the workbook's epoch,
  including the CJK built-in formats openpyxl does not know (numFmtId 27–36,
  50–58);
- a formula without a saved value is a CellProblem;
- text is NFKC-normalised and cleaned of invisible characters.
Everything else (dates as text, 是/否, class names) is for the importer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _

from schools.roster import headers
from schools.roster.table import (
    FIELDS,
    REQUIRED_FIELDS,
    TEMPLATE_COLUMNS,
    CellProblem,
    RosterFileError,
    RosterTable,
    SourceRow,
)
from schools.student_numbers import clean_text

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# Zip bomb limits, checked on the declared sizes and again while inflating:
# a 50,000-row roster unpacks to ~40 MB of XML at a ratio under 30.
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200
_RATIO_FLOOR = 1024 * 1024  # members smaller than this may have any ratio
# openpyxl's normal mode holds every cell of every sheet in memory, and one
# object per cell of a merged range: refuse more cells, or merged ranges
# covering more, than 50,000 pupils × 50 columns (a 学籍系统 export has ~40)
# before it loads them.
MAX_CELLS = 2_500_000
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
HEADER_SCAN_ROWS = 20

# Columns read as text: an identifier or phone number, never a quantity.
TEXT_FIELDS = frozenset(
    {"student_number", "id_number"} | {f for f in FIELDS if f.endswith("_phone")})
# A double keeps 15 significant digits; a longer number was rounded by Excel.
_LARGEST_EXACT = 10**15
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?E[+-]?\d+$", re.IGNORECASE)
# Invisible characters removed from every text cell; spaces are collapsed.
_INVISIBLE = re.compile("[\u200b-\u200d\u2060-\u2064\ufeff\u00ad\u180e\u200e\u200f]")
_SPACES = re.compile(r"\s+")
# Built-in number formats of the CJK Excel locales that openpyxl does not
# know (ECMA-376 part 1, 18.8.30): 27–31, 36, 50–54, 57, 58 are dates
# ("yyyy年m月d日", "yyyy年m月", "m月d日"); 32–35, 55, 56 are times of day.
CJK_DATE_FORMAT_IDS = frozenset({27, 28, 29, 30, 31, 36, 50, 51, 52, 53, 54, 57, 58})
# A General number in the birth-date column between these is an Excel date
# serial (1927-05-18 … 2119-01-10): a school pasted values over a date.
_SERIAL_RANGE = (10_000, 80_000)
# Footer lines under a printed roster ("填表人：", "合计 45 人").
_FOOTER = re.compile(r"^(填表人|制表人|审核人|负责人|校长|合计|总计|共计|备注|说明|注[:：])")

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_IMAGES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"%PDF", b"II*\x00",
           b"MM\x00*")


def _is_image(data: bytes) -> bool:
    """PNG, JPEG, GIF, PDF, TIFF, WebP, HEIC (a phone photo) or BMP by their
    signatures (BMP only when its size field is the file's size: "BM" alone
    could start a CSV)."""
    return (data.startswith(_IMAGES)
            or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
            or data[4:8] == b"ftyp"
            or (data[:2] == b"BM" and int.from_bytes(data[2:6], "little") == len(data)))


def read_roster(data: bytes, filename: str, *, max_rows: int = MAX_ROWS,
                max_bytes: int = MAX_BYTES) -> RosterTable:
    """Read an uploaded roster.

    `data` is the file's bytes, `filename` the name it was uploaded under (used
    only in messages; the type comes from the bytes). Returns the best-matching
    visible sheet as a RosterTable (`file_kind` "xlsx" or "csv"): rows under
    the header with values keyed by FIELDS, 1-based Excel row numbers, hidden
    rows marked, cells that cannot be used as CellProblems. A header needs a
    name column (姓名) and at least one other known column; REQUIRED_FIELDS
    missing from `columns` is for the importer to report (`missing_required`).

    Raises RosterFileError (codes: too_large, empty, xls, encrypted, html,
    image, unsupported, corrupt, zip_bomb, too_many_rows, no_header) with a
    translated message saying what to do."""
    if len(data) > max_bytes:
        raise RosterFileError("too_large", _(
            "The file is larger than %(limit)d MB. Delete pictures and unused sheets, "
            "or split the roster by grade and upload each part.")
            % {"limit": max_bytes // (1024 * 1024)})
    if not data.strip():
        raise RosterFileError("empty", _empty_message())
    head = data[:8]
    if head.startswith(_OLE2):
        _raise_ole2(data)
    if head.startswith(_ZIP):
        return _read_xlsx(data, max_rows=max_rows)
    if _is_image(data):
        raise RosterFileError("image", _(
            "This file is a picture or a PDF, not a spreadsheet. Upload the roster as an "
            "Excel workbook (.xlsx): open the original roster in Excel or WPS and "
            "use Save As (另存为) → Excel workbook (.xlsx)."))
    if _looks_like_markup(data):
        raise RosterFileError("html", _(
            "This file is a web page (HTML or XML) that was saved with an Excel name, "
            "not a real workbook. Open it in Excel or WPS and use Save As (另存为) → "
            "Excel workbook (.xlsx), then upload the new file."))
    text = _decode_text(data)
    if text is None:
        raise RosterFileError("unsupported", _unsupported_message())
    return _read_csv(text, max_rows=max_rows)


def missing_required(table: RosterTable) -> list[str]:
    """REQUIRED_FIELDS the table has no column for (e.g. ["student_number"])."""
    return [f for f in REQUIRED_FIELDS if f not in table.columns]


# --- messages -------------------------------------------------------------

def _empty_message() -> str:
    return _("The file has no roster in it. Fill in the template (at least the "
             "columns %(columns)s) and upload it again.") % {"columns": _required_headings()}


def _no_header_message() -> str:
    return _("No header row was found. The first rows of the sheet must hold column "
             "names such as %(columns)s (as in the template); put them in one row above "
             "the pupils and upload again.") % {"columns": _required_headings()}


def _unsupported_message() -> str:
    return _("This file is not an Excel workbook or a CSV file. Open the roster in Excel "
             "or WPS and use Save As (另存为) → Excel workbook (.xlsx), then upload "
             "the new file.")


def _corrupt_message() -> str:
    return _("The workbook is damaged and cannot be opened. Open it in Excel or WPS; "
             "if it opens, use Save As (另存为) → Excel workbook (.xlsx) and upload "
             "the new file; if it does not, use an earlier copy.")


def _required_headings() -> str:
    names = dict(TEMPLATE_COLUMNS)
    return "、".join(f"“{names[f]}”" for f in REQUIRED_FIELDS)


def _raise_ole2(data: bytes) -> None:
    # An encrypted .xlsx is an OLE2 compound file with an EncryptionInfo and
    # an EncryptedPackage stream; directory entry names are UTF-16LE.
    if "EncryptionInfo".encode("utf-16-le") in data or \
            "EncryptedPackage".encode("utf-16-le") in data:
        raise RosterFileError("encrypted", _(
            "The workbook is protected by a password to open, so it cannot be read. "
            "Open it in Excel or WPS, remove the password (File → Info → Protect "
            "Workbook / 文件 → 文档加密), save it and upload it again."))
    raise RosterFileError("xls", _(
        "This is an old Excel 97–2003 file (.xls), even if its name ends in .xlsx. "
        "Open it in Excel or WPS and use Save As (另存为) → Excel workbook (.xlsx), "
        "then upload the new file. If it asks for a password, remove the password "
        "first."))


def _looks_like_markup(data: bytes) -> bool:
    start = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head")):
        return True
    if start.startswith(b"mime-version:"):  # a single-file web page (.mht)
        return True
    return start.startswith(b"<?xml") and (b"<html" in start or b"urn:schemas-microsoft-com"
                                           in start or b"<workbook" in start)


# --- cell values --------------------------------------------------------------

def clean_cell_text(value: str) -> str:
    """NFKC, no invisible characters, runs of spaces (NBSP, 全角空格 too) as one
    space, no spaces at the ends: " 李\u3000\u3000测2\u200b" → "李 测2"."""
    value = _INVISIBLE.sub("", unicodedata.normalize("NFKC", value))
    return _SPACES.sub(" ", value).strip()


def _text_field_value(value: Any, field: str) -> tuple[Any, str | None]:
    """A 学籍号 / ID / phone cell as text, or a problem message.

    int → str(int); a whole float below 10**15 → its digits; a number of
    10**15 or more lost digits to Excel's 15-digit precision → problem; text
    like "9.90101E+17" (a CSV Excel already rounded) → problem; text → cleaned
    of spaces and invisible characters and of a typed leading apostrophe."""
    if isinstance(value, bool):
        return value, None
    if isinstance(value, int):
        digits = str(abs(value))
        # Written without a decimal point: exact, unless it is 16+ digits
        # ending in the zeros Excel put in place of the digits it dropped
        # (990101201303151000, as WPS writes a rounded number).
        if len(digits) > 15 and set(digits[15:]) == {"0"}:
            return None, _lost_digits_message()
        return str(value), None
    if isinstance(value, float):
        if abs(value) >= _LARGEST_EXACT:
            return None, _lost_digits_message()
        if value.is_integer():
            return str(int(value)), None
        return str(value), None
    if isinstance(value, str):
        text = clean_text(value).lstrip("'‘’`")
        if field != "phone":
            text = text.upper()  # 99010120140601005x: the check character is X
        if _SCIENTIFIC.match(text):
            return None, _lost_digits_message()
        return text, None
    return value, None


def _text_kind(field: str) -> str:
    return "phone" if field.endswith("_phone") else field


def _lost_digits_message() -> str:
    return _("This long number was stored as a number, and Excel has already replaced its "
             "last digits (it shows as 9.90101E+17 or ends in 000). Set the column's format "
             "to Text (文本), type or paste the numbers again "
             "(for 学籍号, copy them from the 学籍系统), and upload again.")


def _formula_message() -> str:
    return _("This cell holds a formula whose result was never saved. In Excel or WPS, "
             "copy the column and use Paste Special → Values (选择性粘贴为数值), save, and "
             "upload again.")


def _error_value_message(value: str) -> str:
    return _("This cell shows the error %(error)s. Correct the cell (or type the value "
             "in) and upload again.") % {"error": value}


def _other_value(value: Any) -> Any:
    if isinstance(value, str):
        return clean_cell_text(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "")


# --- header search (shared by xlsx and csv) -----------------------------------

class _Header:
    """The chosen header: its last row, field → column index (0-based), the
    heading text per field, and unused headings."""

    def __init__(self, row: int, columns: dict[str, int], texts: dict[str, str],
                 ignored: list[str]):
        self.row = row
        self.columns = columns
        self.texts = texts
        self.ignored = ignored

    @property
    def score(self) -> tuple[int, int]:
        return (len(self.columns), sum(1 for f in REQUIRED_FIELDS if f in self.columns))


def _map_headings(row: int, headings: Sequence[str]) -> _Header:
    best: dict[str, tuple[int, int]] = {}  # field → (rank, column index)
    texts: dict[int, str] = {}
    for index, heading in enumerate(headings):
        if not heading:
            continue
        texts[index] = heading
        found = headers.match(heading)
        if found is None:
            continue
        field, rank = found
        if field not in best or rank < best[field][0]:
            best[field] = (rank, index)
    columns = {f: index for f, (_rank, index) in best.items()}
    used = set(columns.values())
    ignored = [texts[i] for i in sorted(texts) if i not in used]
    return _Header(row, columns, {f: texts[i] for f, i in columns.items()}, ignored)


def _find_header(rows: Sequence[Sequence[str]], first_row: int = 1) -> _Header | None:
    """The header among the first rows (lists of heading texts, merged cells
    already filled). Each row is tried alone and joined with the row above
    ("监护人信息" over "姓名" → "监护人信息/姓名"; a heading merged down over
    both rows stays as it is); the mapping with most fields wins, the earlier
    row on a tie. A header needs 姓名 and one more known column."""
    best: _Header | None = None
    for i, row in enumerate(rows):
        number = first_row + i
        candidates = [_map_headings(number, row)]
        if i > 0:
            above = rows[i - 1]
            joined = []
            for c in range(max(len(row), len(above))):
                child = row[c] if c < len(row) else ""
                parent = above[c] if c < len(above) else ""
                if child and parent and parent != child:
                    joined.append(f"{parent}/{child}")
                else:
                    joined.append(child or parent)
            candidates.append(_map_headings(number, joined))
        for candidate in candidates:
            if "name" not in candidate.columns or len(candidate.columns) < 2:
                continue
            if best is None or candidate.score > best.score:
                best = candidate
    return best


def _heading_text(value: Any) -> str:
    if value is None:
        return ""
    return clean_cell_text(str(value))


# --- xlsx ---------------------------------------------------------------------

def _check_zip(data: bytes) -> zipfile.ZipFile:
    """Open the zip and refuse a bomb before anything inflates it: declared
    sizes over MAX_UNCOMPRESSED in total or a member over MAX_RATIO, then the
    same limits while actually inflating (declared sizes can lie)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise RosterFileError("corrupt", _corrupt_message()) from exc
    bomb = RosterFileError("zip_bomb", _(
        "The workbook unpacks to far more data than a roster holds, so it was not "
        "opened. Copy the pupils into the template and upload that."))
    total = 0
    for info in members:
        total += info.file_size
        if total > MAX_UNCOMPRESSED:
            raise bomb
        if info.file_size > _RATIO_FLOOR and \
                info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise bomb
    inflated = 0
    cells = 0
    too_many_cells = RosterFileError("too_large", _(
        "The workbook holds far more cells than a roster. Delete unused sheets, rows "
        "and columns (or copy the pupils into the template), and upload again."))
    try:
        for info in members:
            is_sheet = info.filename.startswith("xl/worksheets/")
            with archive.open(info) as member:
                size = 0
                tail = b""
                while chunk := member.read(1024 * 1024):
                    size += len(chunk)
                    inflated += len(chunk)
                    if size > max(info.file_size, 0) or inflated > MAX_UNCOMPRESSED:
                        raise bomb
                    if is_sheet:
                        # Counted across chunk boundaries: the previous chunk's
                        # tail is searched again, matches wholly inside it not.
                        window = tail + chunk
                        cells += chunk.count(b"<c ") + chunk.count(b"<c>")
                        for match in _MERGE.finditer(window):
                            if match.end() > len(tail):
                                cells += _merge_area(match)
                        if cells > MAX_CELLS:
                            raise too_many_cells
                        tail = chunk[-256:]
    except RosterFileError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error,
            NotImplementedError, RuntimeError) as exc:
        # A damaged member, or an encrypted zip (RuntimeError from zipfile).
        raise RosterFileError("corrupt", _corrupt_message()) from exc
    return archive


def _merge_area(match: re.Match) -> int:
    from openpyxl.utils import column_index_from_string

    first_col, first_row, last_col, last_row = match.groups()
    if last_col is None:
        return 1
    try:
        width = column_index_from_string(last_col.decode()) - \
            column_index_from_string(first_col.decode()) + 1
    except ValueError:
        return MAX_CELLS + 1
    return abs(width) * (abs(int(last_row) - int(first_row)) + 1)


def _sheet_paths(archive: zipfile.ZipFile, workbook_part: str) -> dict[str, str]:
    """Sheet name → worksheet part path ("xl/worksheets/sheet2.xml"), read
    the way openpyxl reads them; {} if that fails (then formulas without a
    saved value show as empty cells)."""
    from openpyxl.reader.workbook import WorkbookParser

    try:
        parser = WorkbookParser(archive, workbook_part)
        parser.parse()
        return {sheet.name: rel.target for sheet, rel in parser.find_sheets()}
    except Exception:  # noqa: BLE001 - a best effort on a file openpyxl has read
        return {}


_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL)
_REF = re.compile(rb'\br="([A-Z]+\d+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*>[^<]")  # a saved, non-empty result
_EMPTY_VALUE = re.compile(rb"<(?:\w+:)?v\b")
_STRING_TYPE = re.compile(rb'\bt="str"')


def _formulas_without_value(xml: bytes) -> set[str]:
    """Cell references ("C5") holding a formula with no saved result. Cheap
    when the sheet has no formula at all (one bytes search)."""
    if not _FORMULA.search(xml):
        return set()
    missing = set()
    for match in _CELL.finditer(xml):
        body = match.group(3)
        if not body or not _FORMULA.search(body) or _VALUE.search(body):
            continue
        # An empty <v></v> is a saved empty text on a t="str" cell (Excel's
        # =IF(…,"",…)); on any other cell it is no result (openpyxl writes
        # formulas so).
        if not (_STRING_TYPE.search(match.group(1)) and _EMPTY_VALUE.search(body)):
            ref = _REF.search(match.group(1))
            if ref:
                missing.add(ref.group(1).decode())
    return missing


def _workbook_part(archive: zipfile.ZipFile) -> str | None:
    """The workbook part of an Excel package (usually "xl/workbook.xml"), or
    None when the zip is not an Excel workbook."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.functions import fromstring

    try:
        manifest = Manifest.from_tree(fromstring(archive.read("[Content_Types].xml")))
    except Exception:  # noqa: BLE001 - no or a broken manifest: not a workbook
        return None
    for override in manifest.Override:
        if override.ContentType.startswith((
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main",
                "application/vnd.ms-excel.sheet.macroEnabled.main",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main",
                "application/vnd.ms-excel.template.macroEnabled.main")):
            return override.PartName.lstrip("/")
    return None


def _read_xlsx(data: bytes, *, max_rows: int) -> RosterTable:
    archive = _check_zip(data)
    names = set(archive.namelist())
    workbook_part = _workbook_part(archive)
    if workbook_part is None:
        # A Word document, an OpenDocument (.ods) sheet or another zip.
        raise RosterFileError("unsupported", _unsupported_message())
    import openpyxl
    from openpyxl.utils.datetime import from_excel

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True,
                                          keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise RosterFileError("corrupt", _corrupt_message()) from exc
    hidden_sheets = [ws.title for ws in workbook.worksheets if ws.sheet_state != "visible"]
    best = None
    any_cells = False
    for ws in workbook.worksheets:
        if ws.sheet_state != "visible":
            continue
        scan = _header_rows(ws)
        any_cells = any_cells or any(any(row) for row in scan)
        header = _find_header(scan)
        if header is None:
            continue
        # On a tie, a sheet not named like instructions (填表说明, 填写说明)
        # wins: they often repeat the headings in an example.
        rank = (header.score, "说明" not in ws.title)
        if best is None or rank > best[2]:
            best = (ws, header, rank)
    if best is None:
        if not any_cells:
            raise RosterFileError("empty", _empty_message())
        raise RosterFileError("no_header", _no_header_message())
    ws, header, _rank = best
    from openpyxl.utils import get_column_letter

    table = RosterTable(
        sheet=ws.title, header_row=header.row,
        columns={f: get_column_letter(c + 1) for f, c in header.columns.items()},
        headers=header.texts, ignored_headers=header.ignored,
        hidden_sheets=hidden_sheets, file_kind="xlsx")
    path = _sheet_paths(archive, workbook_part).get(ws.title)
    no_value = _formulas_without_value(archive.read(path)) if path in names else set()
    merged = _merged_values(ws, header, first_row=header.row + 1)
    epoch = workbook.epoch
    columns = sorted(header.columns.items(), key=lambda item: item[1])
    width = max(c for _f, c in columns) + 1
    header_texts = {f: headers.normalise_header(t) for f, t in header.texts.items()}
    # The rows that hold a cell, in order: ws.iter_rows would create an empty
    # cell for every position up to the last one.
    stored = ws._cells  # openpyxl's (row, column) → cell map, stable since 2.x
    present = sorted({r for r, c in stored if r > header.row and c <= width})
    for number in present:
        values: dict[str, Any] = {}
        problems: list[CellProblem] = []
        from_merge = set()  # fields filled from a merged cell's top-left value
        for field, c in columns:
            cell = stored.get((number, c + 1))
            value = cell.value if cell is not None else None
            if (number, c) in merged:
                value = merged[(number, c)]
                from_merge.add(field)
            letter = table.columns[field]
            if value is None and f"{letter}{number}" in no_value:
                problems.append(CellProblem(number, letter, field, _formula_message()))
                continue
            if _is_blank(value):
                continue
            if cell is not None and getattr(cell, "data_type", None) == "e":
                problems.append(CellProblem(number, letter, field,
                                            _error_value_message(str(value))))
                continue
            if field in TEXT_FIELDS:
                value, message = _text_field_value(value, _text_kind(field))
                if message:
                    problems.append(CellProblem(number, letter, field, message))
                    continue
            else:
                value = _date_value(cell, value, field, epoch, from_excel)
                value = _other_value(value)
            if not _is_blank(value):
                values[field] = value
        if not (values.keys() - from_merge) and not problems:
            # Blank, or only a merged 班级 running on below the last pupil.
            continue
        if _is_footer_or_repeat(values, header_texts):
            continue
        if len(table.rows) >= max_rows:
            raise _too_many_rows(max_rows)
        hidden = number in ws.row_dimensions and bool(ws.row_dimensions[number].hidden)
        table.rows.append(SourceRow(number=number, cells=values, hidden=hidden))
        table.problems.extend(problems)
    return table


def _too_many_rows(max_rows: int) -> RosterFileError:
    return RosterFileError("too_many_rows", _(
        "The roster has more than %(max)d pupils. Split it (for example by grade) and "
        "upload each part.") % {"max": max_rows})


def _header_rows(ws) -> list[list[str]]:
    """The first HEADER_SCAN_ROWS rows as heading texts, merged cells filled
    with their top-left value."""
    last = min(ws.max_row, HEADER_SCAN_ROWS)
    rows = [[_heading_text(v) for v in row]
            for row in ws.iter_rows(min_row=1, max_row=last, values_only=True)]
    for rng in ws.merged_cells.ranges:
        if rng.min_row > last:
            continue
        # A heading merged across (监护人信息 over 姓名 and 联系电话) counts for
        # each column; one merged down (序号 over both header rows) is written
        # in its top row only, so the row below reads as "no sub-heading".
        top_left = _heading_text(ws.cell(rng.min_row, rng.min_col).value)
        row = rows[rng.min_row - 1]
        while len(row) < rng.max_col:
            row.append("")
        for c in range(rng.min_col, rng.max_col + 1):
            row[c - 1] = row[c - 1] or top_left
    return rows


def _merged_values(ws, header: _Header, *, first_row: int) -> dict[tuple[int, int], Any]:
    """(row, column index) → the top-left value, for merged cells in the data
    rows and the mapped columns (a 班级 merged down over its pupils)."""
    wanted = set(header.columns.values())
    values: dict[tuple[int, int], Any] = {}
    last = ws.max_row
    for rng in ws.merged_cells.ranges:
        if rng.max_row < first_row:
            continue
        top_left = ws.cell(rng.min_row, rng.min_col).value
        for r in range(max(rng.min_row, first_row), min(rng.max_row, last) + 1):
            for c in range(rng.min_col - 1, rng.max_col):
                if c in wanted and (r, c + 1) != (rng.min_row, rng.min_col):
                    values[(r, c)] = top_left
    return values


def _is_date_format(cell) -> bool:
    if cell is None:
        return False
    if getattr(cell, "is_date", False):
        return True
    style = getattr(cell, "_style", None)
    return style is not None and style.numFmtId in CJK_DATE_FORMAT_IDS


def _date_value(cell, value: Any, field: str, epoch, from_excel) -> Any:
    """A number in a date format (or a bare serial in the birth-date column)
    as a date, with the workbook's epoch (1900 or 1904)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    serial = _is_date_format(cell) or (
        field == "date_of_birth" and _SERIAL_RANGE[0] <= value < _SERIAL_RANGE[1])
    if not serial:
        return value
    try:
        moment = from_excel(value, epoch)
    except (ValueError, OverflowError, TypeError):
        return value
    if isinstance(moment, dt.datetime):
        return moment.date() if moment.time() == dt.time(0) else moment
    return moment


def _is_footer_or_repeat(values: dict[str, Any], header_texts: dict[str, str]) -> bool:
    """A "填表人：…" line under the roster, or the header repeated for
    printing."""
    texts = [v for v in values.values() if isinstance(v, str)]
    if len(values) == 1 and texts and _FOOTER.match(texts[0]):
        return True
    return len(values) >= 2 and all(
        isinstance(v, str) and headers.normalise_header(v) == header_texts.get(f)
        for f, v in values.items())


# --- csv ----------------------------------------------------------------------

def _decode_text(data: bytes) -> str | None:
    """utf-8 (with or without BOM), UTF-16 with a BOM (Excel's "Unicode text"),
    else gb18030 (Chinese Excel's CSV); None for binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            return None
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in sample or controls > len(sample) // 100:
        return None
    return text


_EXCEL_TEXT = re.compile(r'^\s*="(.*)"\s*$', re.DOTALL)


def _unwrap_excel_text(value: str) -> str:
    """="0012" → 0012: systems that export CSV for Excel wrap long numbers in
    a formula so Excel keeps them as text."""
    match = _EXCEL_TEXT.match(value)
    return match.group(1) if match else value


def _sniff_delimiter(text: str) -> str:
    lines = [line for line in text[:65536].splitlines()[:HEADER_SCAN_ROWS] if line.strip()]
    sample = "\n".join(lines)
    counts = {d: sample.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(text: str, *, max_rows: int) -> RosterTable:
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    scan: list[list[str]] = []
    rest: Iterable[list[str]] = reader
    try:
        for raw in reader:
            scan.append(raw)
            if len(scan) >= HEADER_SCAN_ROWS:
                break
        header_rows = [[_heading_text(v) for v in row] for row in scan]
        if not any(any(row) for row in header_rows):
            raise RosterFileError("empty", _empty_message())
        header = _find_header(header_rows)
        if header is None:
            raise RosterFileError("no_header", _no_header_message())
        table = RosterTable(
            sheet="", header_row=header.row,
            columns={f: str(c + 1) for f, c in header.columns.items()},
            headers=header.texts, ignored_headers=header.ignored, file_kind="csv")
        header_texts = {f: headers.normalise_header(t) for f, t in header.texts.items()}

        def all_rows():
            yield from enumerate(scan[header.row:], start=header.row + 1)
            yield from enumerate(rest, start=len(scan) + 1)

        for number, raw in all_rows():
            values: dict[str, Any] = {}
            problems: list[CellProblem] = []
            for field, c in header.columns.items():
                value = _unwrap_excel_text(raw[c] if c < len(raw) else "")
                if field in TEXT_FIELDS:
                    value, message = _text_field_value(value, _text_kind(field))
                    if message:
                        problems.append(CellProblem(number, str(c + 1), field, message))
                        continue
                else:
                    value = clean_cell_text(value)
                if not _is_blank(value):
                    values[field] = value
            if not values and not problems:
                continue
            if _is_footer_or_repeat(values, header_texts):
                continue
            if len(table.rows) >= max_rows:
                raise _too_many_rows(max_rows)
            table.rows.append(SourceRow(number=number, cells=values))
            table.problems.extend(problems)
    except csv.Error as exc:
        raise RosterFileError("corrupt", _(
            "The CSV file could not be read. Open it in Excel or WPS and use Save As "
            "(另存为) → Excel workbook (.xlsx), then upload the new file.")) from exc
    return table
