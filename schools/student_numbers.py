"""The national student number (全国中小学生学籍号) and the ID-card number it
may embed: normalising, checking and masking.

Shapes: a 学籍号 is "G" + an 18-character resident ID number (GB 11643-1999)
for a pupil who has one, else "J" or "L" + a number the 学籍系统 assigned; we
also accept any other 6–32 letters and digits a school's roll holds (older
provincial numbers). The portal stores the 学籍号 as the key within a bureau
and never stores an ID-card number on its own (issue 9 item 1); an embedded one
is shown masked (`mask`) to everyone but the roster's manager.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

# Characters people paste that are not there: zero-width spaces and joiners,
# the BOM, word joiner, soft hyphen, and every kind of space.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e\u3000\u00a0\\s]")
_SHAPE = re.compile(r"^[A-Z0-9]{6,32}$")
_ID_18 = re.compile(r"^\d{17}[\dX]$")

# GB 11643-1999: weights of the first 17 digits and the check characters.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


class InvalidStudentNumber(ValueError):
    """A 学籍号 that cannot be right; `str()` is a translated message saying
    how to fix it."""


def clean_text(value: str) -> str:
    """NFKC (full-width digits and letters to ASCII) and no invisible or space
    characters: "Ｇ３３０１ ２…\u200b" → "G33012…"."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", value))


def id_check_character(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def is_valid_id_number(value: str) -> bool:
    """An 18-character resident ID number whose check character and birth date
    are right (GB 11643-1999)."""
    if not _ID_18.match(value):
        return False
    if id_check_character(value[:17]) != value[17]:
        return False
    return birth_date_in_id(value) is not None


def birth_date_in_id(value: str) -> dt.date | None:
    """The date of birth in positions 7–14 of an 18-character ID number, or None."""
    try:
        return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def normalise(value) -> str:
    """The 学籍号 as stored: text, NFKC, no spaces or invisible characters,
    upper case ("ｇ３３０…x" → "G330…X"). Raises InvalidStudentNumber when it
    is empty, not 6–32 letters and digits, was a number Excel rounded
    (9.90101201303151E+17), or is "G" + an ID number whose check character
    (GB 11643-1999) is wrong."""
    from django.utils.translation import gettext as _

    if isinstance(value, float):
        raise InvalidStudentNumber(_(
            "The student number was stored as a number and Excel has rounded it. "
            "Format the column as text (文本) and type the number again."))
    text = clean_text(str(value if value is not None else "")).upper()
    if not text:
        raise InvalidStudentNumber(_("The student number is missing."))
    if re.search(r"E\+\d+$", text) or re.match(r"^\d+\.\d+E", text):
        raise InvalidStudentNumber(_(
            "The student number was stored as a number and Excel has rounded it "
            "(%(value)s). Format the column as text (文本) and type the number again.")
            % {"value": text})
    if not _SHAPE.match(text):
        raise InvalidStudentNumber(_(
            "A student number is 6 to 32 letters and digits (e.g. G + the 18-character "
            "ID number); this one is not."))
    if embeds_id_number(text) and not is_valid_id_number(text[1:]):
        raise InvalidStudentNumber(_(
            "The ID number inside this student number has a wrong check digit or date: "
            "check it against the 学籍系统."))
    return text


def embeds_id_number(number: str) -> bool:
    """Whether a normalised 学籍号 is "G" + an 18-character ID number."""
    return len(number) == 19 and number[0] == "G" and bool(_ID_18.match(number[1:]))


def mask(number: str) -> str:
    """The 学籍号 with an embedded ID number hidden: G3301**********1234 (the
    region's first four digits and the last four kept); other numbers as they
    are. Rule: issue 9 item 1 (no ID-card number shown but to the roster's
    manager)."""
    if embeds_id_number(number):
        return f"{number[:5]}{'*' * 10}{number[-4:]}"
    return number
