"""One tolerant parser per roster field: a raw cell value as the reader handed
it over (str, int, float, date, datetime, bool or None; schools.roster.table)
in, the value the portal stores out, or `ParseError` whose text is a translated
sentence saying how to fix the cell.

Tolerance follows what Chinese school rosters hold: full-width digits, spaces
and invisible characters pasted from the 学籍系统, dates in every usual shape
and as Excel serial numbers, grade words (三年级, 初一, 高二, 小班), the 学籍系统
gender codes (1=男, 2=女), yes/no words (是/否, 住校/走读, √) and the everyday
words for a guardian (爸爸, 外婆). Blank cells are the caller's business:
`is_blank` says whether a value is empty; the parsers refuse blanks.

Rule sources: GB 11643-1999 (ID-card numbers, via schools.student_numbers),
GB/T 2261.1 and the 学籍系统 export (gender codes 1/2), the mainland numbering
plan (mobile numbers 1[3-9] + 9 digits; landlines 0 + area code + 7–8 digits).
No parser's message repeats an ID-card number (issue 9 item 1).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

from django.utils.translation import gettext as _

from .. import phones, student_numbers
from ..pupil_models import Gender, GuardianRelationship, PupilStatus
from . import table

# Zero-width and other invisible characters (not ordinary spaces: a name may
# hold one between a given name and a family name written in Latin letters).
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e]")
_SPACES = re.compile(r"\s+")

# Excel's day 0 for the 1900 date system (serial 60, the non-existent
# 29 February 1900, is why the epoch is the 30th and not the 31st).
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serials we take as dates: 1 January 1950 .. 31 December 2099. Anything else
# in a date column is a typing error, not a birthday.
EXCEL_SERIAL_RANGE = (18264, 73415)
# A pupil's age on the import day, in whole years (kindergarten to senior
# secondary school, with room for late starters and repeaters).
MIN_AGE, MAX_AGE = 2, 20
MAX_NAME = 50
MAX_PLACE = 100
MAX_CLASS_NUMBER = 99


class ParseError(ValueError):
    """A cell that cannot be read as its field; `str()` (and `.message`) is a
    translated sentence saying how to fix it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def clean(value) -> str:
    """The cell as text: NFKC (full-width to ASCII), invisible characters
    removed, runs of white space as one space, trimmed. None → ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip()


def is_blank(value) -> bool:
    """An empty cell: None, or text that is nothing once cleaned."""
    if value is None:
        return True
    if isinstance(value, str):
        return clean(value) == ""
    return False


def _key(value) -> str:
    """`clean` without any space, lower case: for looking words up."""
    return clean(value).replace(" ", "").lower()


# ------------------------------------------------------------------ 学籍号, names


def parse_student_number(value) -> str:
    """The 学籍号 as stored (schools.student_numbers.normalise: NFKC, no spaces,
    upper case). Raises ParseError: missing, rounded by Excel (a float), wrong
    shape, or a G-number whose ID part has a wrong check digit."""
    if isinstance(value, (bool, dt.date, dt.datetime)):
        raise ParseError(_(
            "This is not a student number. Type the 学籍号 as text (e.g. G + the "
            "18-character ID number)."))
    try:
        return student_numbers.normalise(value)
    except student_numbers.InvalidStudentNumber as exc:
        raise ParseError(str(exc)) from None


def parse_name(value) -> str:
    """A pupil's or guardian's name: invisible characters removed, spaces
    collapsed, 1–50 characters, not only digits. Raises ParseError."""
    if isinstance(value, (bool, dt.date, dt.datetime)):
        raise ParseError(_("This is not a name. Type the name as it is on the roll."))
    text = clean(value)
    if not text:
        raise ParseError(_("The name is missing. Type the name as it is on the roll."))
    if len(text) > MAX_NAME:
        raise ParseError(_("A name has at most %(max)s characters; shorten this one.")
                         % {"max": MAX_NAME})
    if re.fullmatch(r"[\d\s.\-]+", text):
        raise ParseError(_(
            "The name is a number: the columns may be shifted. Put the name in the name "
            "column."))
    return text


def parse_text(value, *, max_length: int = MAX_PLACE) -> str:
    """Free text (a village, a place of work): cleaned, at most `max_length`
    characters. Raises ParseError when longer."""
    text = clean(value)
    if len(text) > max_length:
        raise ParseError(_("At most %(max)s characters; shorten this text.") % {"max": max_length})
    return text


# ------------------------------------------------------------------ gender


_GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE, "m": Gender.MALE, "f": Gender.FEMALE,
            "male": Gender.MALE, "female": Gender.FEMALE, "1": Gender.MALE,
            "2": Gender.FEMALE, "男性": Gender.MALE, "女性": Gender.FEMALE,
            "男生": Gender.MALE, "女生": Gender.FEMALE}


def parse_gender(value) -> str:
    """"M" or "F" from 男/女, M/F, male/female or the 学籍系统 codes 1 (男) and
    2 (女). Raises ParseError."""
    found = None if isinstance(value, bool) else _GENDERS.get(_key(value))
    if found is None:
        raise ParseError(_("Write the gender as 男 or 女 (or the 学籍系统 codes 1 and 2)."))
    return str(found)


# ------------------------------------------------------------------ dates

_DATE_TIME = re.compile(r"^(.+?)[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_YMD = re.compile(r"^(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*[.\-/月]\s*(\d{1,2})\s*日?$")
_YMD_PACKED = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YM = re.compile(r"^(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*月?$")


def _how_to_write_a_date() -> str:
    return _("Write the date as 2013-03-05 (or 2013年3月5日).")


def _make_date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except (ValueError, OverflowError):
        raise ParseError(_("There is no such date (%(value)s). ") % {
            "value": f"{year}-{month:02d}-{day:02d}"} + _how_to_write_a_date()) from None


def _from_number(number: int | float) -> dt.date:
    if isinstance(number, float):
        if not math.isfinite(number):
            raise ParseError(_("This is not a date. ") + _how_to_write_a_date())
        if number.is_integer() and 19000101 <= number <= 29991231:
            number = int(number)
    if isinstance(number, int) and 19000101 <= number <= 29991231:
        text = str(number)
        return _make_date(int(text[:4]), int(text[4:6]), int(text[6:]))
    low, high = EXCEL_SERIAL_RANGE
    if low <= number <= high:
        return EXCEL_EPOCH + dt.timedelta(days=int(number))
    raise ParseError(_("This number is not a date. ") + _how_to_write_a_date())


def parse_date(value) -> dt.date:
    """A date from a date/datetime, an Excel serial number (1900 system,
    1950–2099), or text: "2013.3.5", "2013-03-05", "2013/3/5", "2013年3月5日",
    "20130305" (a time after it is ignored). Raises ParseError for anything
    else, an impossible date (2013-02-30) and a month without a day
    ("2013.03")."""
    if isinstance(value, bool):
        raise ParseError(_("This is not a date. ") + _how_to_write_a_date())
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        return _from_number(value)
    text = clean(value)
    if not text:
        raise ParseError(_("The date is missing. ") + _how_to_write_a_date())
    with_time = _DATE_TIME.match(text)
    if with_time:
        text = with_time.group(1).strip()
    for pattern in (_YMD, _YMD_PACKED):
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return _make_date(year, month, day)
    if _YM.match(text):
        raise ParseError(_("The day is missing (%(value)s). ") % {"value": text[:20]}
                         + _how_to_write_a_date())
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _from_number(float(text))
    raise ParseError(_("This is not a date (%(value)s). ") % {"value": text[:20]}
                     + _how_to_write_a_date())


def age_on(born: dt.date, day: dt.date) -> int:
    """Whole years from `born` to `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def parse_date_of_birth(value, *, today: dt.date) -> dt.date:
    """`parse_date`, and a pupil aged MIN_AGE to MAX_AGE years on `today` (the
    import day). Raises ParseError."""
    born = parse_date(value)
    if born > today:
        raise ParseError(_("The date of birth is in the future: check the year."))
    age = age_on(born, today)
    if not MIN_AGE <= age <= MAX_AGE:
        raise ParseError(_(
            "With this date of birth the pupil would be %(age)s years old; a pupil is "
            "%(min)s to %(max)s. Check the year.") % {"age": age, "min": MIN_AGE,
                                                       "max": MAX_AGE})
    return born


def parse_id_number(value) -> str:
    """An 18-character resident ID number (身份证号) with a right check
    character and birth date (GB 11643-1999), upper case. Only for checking the
    date of birth and the 学籍号: never stored. The message never repeats it.
    Raises ParseError."""
    if isinstance(value, float):
        raise ParseError(_(
            "The ID number was stored as a number and Excel has rounded it. Format the "
            "column as text (文本) and type the number again."))
    text = student_numbers.clean_text(str(value if value is not None else "")).upper()
    if not student_numbers.is_valid_id_number(text):
        raise ParseError(_(
            "The ID number (身份证号) is not 18 characters with a right check digit and "
            "date of birth: check it against the ID card or the 学籍系统."))
    return text


# ------------------------------------------------------------------ grades and classes

_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
           "十": 10, "十一": 11, "十二": 12}
_STAGES = {"初": 6, "高": 9}  # 初一 = 7, 高一 = 10
_KINDERGARTEN = {"小班": 1, "中班": 2, "大班": 3}
_GRADE = re.compile(r"^(小学|初中|高中)?(\d{1,2}|十[一二]?|[一二三四五六七八九])年级$")
_STAGE = re.compile(r"^(初|高)([一二三123])$")


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return _DIGITS.get(text)


def _grade_from_word(word: str) -> int | None:
    if word in _KINDERGARTEN:
        return _KINDERGARTEN[word]
    match = _STAGE.match(word)
    if match:
        return _STAGES[match.group(1)] + _number(match.group(2))
    match = _GRADE.match(word)
    if match:
        stage, number = match.group(1), _number(match.group(2))
        if stage == "初中" and number is not None and number <= 3:
            number += 6
        elif stage == "高中" and number is not None and number <= 3:
            number += 9
        return number
    if word.isdigit():
        return int(word)
    return None


def parse_grade(value) -> int:
    """A grade 1–12: 一年级..六年级 = 1..6, 初一/七年级 = 7 .. 初三/九年级 = 9,
    高一 = 10 .. 高三 = 12, 小班/中班/大班 = 1..3 (kindergarten years), or the
    digits. Raises ParseError."""
    grade = None if isinstance(value, bool) else _grade_from_word(_key(value))
    if grade is None or not 1 <= grade <= 12:
        raise ParseError(_(
            "Write the grade as 三年级, 初一, 高二, 小班 or a number from 1 to 12."))
    return grade


_CLASS = re.compile(r"^[(\[]?(\d{1,2}|十[一二三四五六七八九]?|[一二三四五六七八九])[)\]]?班?$")


def parse_class_number(value) -> int:
    """A class number 1–99 from "2", "2班", "(2)班", "（2）班", "二班". Raises
    ParseError."""
    number = None
    if not isinstance(value, bool):
        match = _CLASS.match(_key(value))
        if match:
            word = match.group(1)
            number = int(word) if word.isdigit() else (
                10 + _DIGITS.get(word[1:], 0) if word.startswith("十") else _DIGITS.get(word))
    if number is None or not 1 <= number <= MAX_CLASS_NUMBER:
        raise ParseError(_("Write the class as a number (2, 2班 or (2)班)."))
    return number


_CLASS_NAME = re.compile(
    r"^((?:小学|初中|高中)?(?:\d{1,2}|十[一二]?|[一二三四五六七八九])年级|[初高][一二三123]|[小中大]班)"
    r"[(\[]?(\d{1,2}|十[一二三四五六七八九]?|[一二三四五六七八九])[)\]]?班?$")
_CLASS_CODE = re.compile(r"^(\d{1,2})(\d{2})班?$")


def parse_class_name(value) -> tuple[int, int]:
    """(grade, class number) from a class written in one cell: "三年级2班",
    "3年级(2)班", "初一（3）班", "高二1班", "302班" (grade 3, class 2), "1203"
    (grade 12, class 3). Raises ParseError."""
    text = "" if isinstance(value, bool) else _key(value)
    match = _CLASS_NAME.match(text)
    if match:
        try:
            return parse_grade(match.group(1)), parse_class_number(match.group(2))
        except ParseError:
            pass
    match = _CLASS_CODE.match(text)
    if match:
        grade, number = int(match.group(1)), int(match.group(2))
        if 1 <= grade <= 12 and 1 <= number <= MAX_CLASS_NUMBER:
            return grade, number
    raise ParseError(_("Write the class as 三年级2班, 3年级(2)班 or 302班 (grade 3, class 2)."))


# ------------------------------------------------------------------ choices

_STATUSES = {**{word: key for key, word in table.STATUS_WORDS.items()},
             **{str(key): str(key) for key in PupilStatus}, "在校": PupilStatus.ENROLLED,
             "在籍": PupilStatus.ENROLLED, "正常": PupilStatus.ENROLLED,
             "已毕业": PupilStatus.GRADUATED, "已转出": PupilStatus.TRANSFERRED_OUT}


def parse_status(value) -> str:
    """A PupilStatus value from 在读 (在校), 转出, 休学, 辍学, 毕业, 死亡 (table.
    STATUS_WORDS) or the English value. Raises ParseError."""
    found = _STATUSES.get(_key(value))
    if found is None:
        raise ParseError(_("Write the status as one of 在读, 转出, 休学, 辍学, 毕业, 死亡."))
    return str(found)


_YES = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "住校", "住宿", "寄宿", "有", "对"}
_NO = {"否", "n", "no", "false", "0", "×", "✗", "✘", "走读", "不住校", "无", "不是"}


def parse_yes_no(value) -> bool:
    """True from 是/Y/yes/1/√/住校, False from 否/N/no/0/×/走读. Raises ParseError."""
    if isinstance(value, bool):
        return value
    key = _key(value)
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ParseError(_("Write 是 or 否."))


def parse_phone(value) -> str:
    """A guardian's phone as schools.phones.normalise_phone writes it (one rule
    for the importer and the forms). Raises ParseError."""
    if isinstance(value, (bool, dt.date, dt.datetime)):
        raise ParseError(_("This is not a phone number."))
    try:
        text = phones.normalise_phone(value)
    except phones.InvalidPhone as exc:
        raise ParseError(str(exc)) from None
    if not text:
        raise ParseError(_("This is not a phone number."))
    return text


_RELATIONSHIPS = {
    **{word: key for key, word in table.RELATIONSHIP_WORDS.items()},
    **{str(key): str(key) for key in GuardianRelationship},
    "父": "father", "爸爸": "father", "父子": "father", "父女": "father",
    "母": "mother", "妈妈": "mother", "母子": "mother", "母女": "mother",
    "爷爷": "grandfather", "祖父母": "grandfather",
    "奶奶": "grandmother",
    "外公": "maternal_grandfather", "姥爷": "maternal_grandfather",
    "外婆": "maternal_grandmother", "姥姥": "maternal_grandmother",
    "哥哥": "sibling", "姐姐": "sibling", "弟弟": "sibling", "妹妹": "sibling",
    "兄": "sibling", "姐": "sibling", "兄弟": "sibling", "姐妹": "sibling",
    "叔叔": "relative", "伯伯": "relative", "伯父": "relative", "叔父": "relative",
    "舅舅": "relative", "姑姑": "relative", "姨妈": "relative", "阿姨": "relative",
    "婶婶": "relative", "伯母": "relative", "舅妈": "relative", "姑父": "relative",
    "姨父": "relative", "亲属": "relative", "亲戚": "relative",
    "其他": "other", "其它": "other", "监护人": "other",
}


def parse_relationship(value) -> str:
    """A GuardianRelationship value from the template's words (父亲, 外祖母, …)
    and the everyday ones (爸爸, 外婆, 姥姥, 哥哥, 舅舅, …). Raises ParseError."""
    found = _RELATIONSHIPS.get(_key(value))
    if found is None:
        raise ParseError(_(
            "Write the relationship as 父亲, 母亲, 祖父, 祖母, 外祖父, 外祖母, 兄弟姐妹, "
            "其他亲属 or 其他监护人."))
    return found
