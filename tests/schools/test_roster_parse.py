"""The roster's field parsers: what Chinese school rosters hold is read, what
cannot be right is refused with a message that says how to fix it."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schools.roster import parse
from schools.roster.parse import ParseError
from schools.student_numbers import id_check_character

TODAY = dt.date(2026, 12, 1)


def an_id(born="20130305", region="330102", seq="123"):
    first17 = region + born + seq
    return first17 + id_check_character(first17)


# ------------------------------------------------------------------ 学籍号


def test_student_number_is_normalised_from_full_width_and_spaces():
    number = "G" + an_id()
    wide = "ｇ" + " ".join(an_id()[:9]) + "\u200b" + an_id()[9:]
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")
    assert parse.parse_student_number(wide.translate(full_width)) == number


def test_student_number_as_a_whole_number_is_taken_as_text():
    assert parse.parse_student_number(12345678) == "12345678"


def test_a_rounded_student_number_is_refused_with_how_to_fix_it():
    with pytest.raises(ParseError, match="Excel"):
        parse.parse_student_number(9.90101201303151e17)


def test_a_g_number_with_a_wrong_check_digit_is_refused():
    good = an_id()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ParseError):
        parse.parse_student_number("G" + bad)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.none(), st.text(), st.integers(), st.floats(allow_nan=True),
                 st.booleans(), st.dates()))
def test_the_student_number_parser_raises_only_its_own_error(value):
    try:
        result = parse.parse_student_number(value)
    except ParseError:
        return
    assert 6 <= len(result) <= 32
    assert result.isalnum()
    assert result == result.upper()


# ------------------------------------------------------------------ names


@pytest.mark.parametrize(("raw", "name"), [
    ("张三", "张三"), ("  张\u200b三 ", "张三"), ("阿依古丽·买买提", "阿依古丽·买买提"),
    ("Anna   Lee", "Anna Lee"),
])
def test_names_are_cleaned(raw, name):
    assert parse.parse_name(raw) == name


@pytest.mark.parametrize("raw", ["", "   ", None, "12345", 12345, "张" * 51])
def test_missing_numeric_and_overlong_names_are_refused(raw):
    with pytest.raises(ParseError):
        parse.parse_name(raw)


# ------------------------------------------------------------------ gender


@pytest.mark.parametrize(("raw", "code"), [
    ("男", "M"), ("女", "F"), ("M", "M"), ("f", "F"), ("Male", "M"), ("female", "F"),
    (1, "M"), (2, "F"), ("1", "M"), ("２", "F"), (1.0, "M"),
])
def test_gender_words_and_the_register_codes(raw, code):
    assert parse.parse_gender(raw) == code


@pytest.mark.parametrize("raw", ["3", "男女", "x", None, True])
def test_unknown_genders_are_refused(raw):
    with pytest.raises(ParseError, match="男"):
        parse.parse_gender(raw)


# ------------------------------------------------------------------ dates


@pytest.mark.parametrize("raw", [
    dt.date(2013, 3, 5), dt.datetime(2013, 3, 5, 0, 0, tzinfo=dt.UTC), "2013.3.5", "2013-03-05",
    "2013/3/5",
    "2013年3月5日", "20130305", 20130305, "２０１３－０３－０５", "2013-03-05 00:00:00",
    41338, 41338.0, "41338",
])
def test_dates_in_every_usual_shape(raw):
    assert parse.parse_date(raw) == dt.date(2013, 3, 5)


@pytest.mark.parametrize(("raw", "words"), [
    ("2013.03", "day is missing"), ("2013年3月", "day is missing"),
    ("2013-02-30", "no such date"), ("20131345", "no such date"),
    ("next tuesday", "not a date"), (5, "not a date"), (float("nan"), "not a date"),
    (True, "not a date"), ("", "missing"),
])
def test_impossible_or_incomplete_dates_are_refused(raw, words):
    with pytest.raises(ParseError, match=words):
        parse.parse_date(raw)


def test_a_date_of_birth_must_make_a_pupil_of_2_to_20():
    assert parse.parse_date_of_birth("2013-03-05", today=TODAY) == dt.date(2013, 3, 5)
    assert parse.parse_date_of_birth("2006-12-01", today=TODAY) == dt.date(2006, 12, 1)
    with pytest.raises(ParseError, match="21 years"):
        parse.parse_date_of_birth("2005-11-30", today=TODAY)
    with pytest.raises(ParseError, match="1 years"):
        parse.parse_date_of_birth("2025-06-01", today=TODAY)
    with pytest.raises(ParseError, match="future"):
        parse.parse_date_of_birth("2027-01-01", today=TODAY)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.none(), st.text(), st.integers(), st.floats(allow_nan=True),
                 st.booleans(), st.dates(), st.datetimes(),
                 st.from_regex(r"\d{4}[.\-/年]\d{1,2}[.\-/月]\d{1,2}日?", fullmatch=True),
                 st.from_regex(r"\d{8}", fullmatch=True)))
def test_the_date_parsers_raise_only_their_own_error(value):
    try:
        result = parse.parse_date(value)
    except ParseError:
        pass
    else:
        assert isinstance(result, dt.date)
    try:
        born = parse.parse_date_of_birth(value, today=TODAY)
    except ParseError:
        return
    assert 2 <= parse.age_on(born, TODAY) <= 20


# ------------------------------------------------------------------ ID numbers


def test_an_id_number_is_checked_and_its_value_never_in_the_message():
    good = an_id()
    assert parse.parse_id_number(good.lower()) == good.upper()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ParseError) as caught:
        parse.parse_id_number(bad)
    assert bad not in caught.value.message
    with pytest.raises(ParseError, match="Excel"):
        parse.parse_id_number(3.30102201303051e17)


# ------------------------------------------------------------------ grades and classes


@pytest.mark.parametrize(("raw", "grade"), [
    ("一年级", 1), ("三年级", 3), ("六年级", 6), ("3年级", 3), ("初一", 7), ("七年级", 7),
    ("初三", 9), ("九年级", 9), ("初中二年级", 8), ("高一", 10), ("高三", 12),
    ("十二年级", 12), ("小班", 1), ("中班", 2), ("大班", 3), ("3", 3), (3, 3), (3.0, 3),
    ("１２", 12),
])
def test_grade_words(raw, grade):
    assert parse.parse_grade(raw) == grade


@pytest.mark.parametrize("raw", ["13", 0, "十三年级", "初四", "三班", "", None])
def test_unknown_grades_are_refused(raw):
    with pytest.raises(ParseError, match="三年级"):
        parse.parse_grade(raw)


@pytest.mark.parametrize(("raw", "number"), [
    ("2", 2), (2, 2), ("2班", 2), ("(2)班", 2), ("（2）班", 2), ("二班", 2), ("12班", 12),
    ("十一班", 11),
])
def test_class_numbers(raw, number):
    assert parse.parse_class_number(raw) == number


@pytest.mark.parametrize("raw", ["0", "100", "A班", "三年级2班", None])
def test_unknown_class_numbers_are_refused(raw):
    with pytest.raises(ParseError):
        parse.parse_class_number(raw)


@pytest.mark.parametrize(("raw", "key"), [
    ("三年级2班", (3, 2)), ("3年级(2)班", (3, 2)), ("3年级（2）班", (3, 2)), ("302班", (3, 2)),
    ("302", (3, 2)), (302, (3, 2)), ("1203", (12, 3)), ("初一(3)班", (7, 3)),
    ("高二1班", (11, 1)), ("大班(2)班", (3, 2)), ("六年级十班", (6, 10)),
])
def test_a_grade_and_class_in_one_cell(raw, key):
    assert parse.parse_class_name(raw) == key


@pytest.mark.parametrize("raw", ["3班", "1302", "十三年级2班", "", "三年级"])
def test_unknown_class_names_are_refused(raw):
    with pytest.raises(ParseError, match="302"):
        parse.parse_class_name(raw)


# ------------------------------------------------------------------ choices


@pytest.mark.parametrize(("raw", "status"), [
    ("在读", "enrolled"), ("在校", "enrolled"), ("转出", "transferred_out"),
    ("休学", "suspended"), ("辍学", "dropped_out"), ("毕业", "graduated"),
    ("死亡", "deceased"), ("enrolled", "enrolled"),
])
def test_status_words(raw, status):
    assert parse.parse_status(raw) == status


def test_an_unknown_status_is_refused():
    with pytest.raises(ParseError, match="在读"):
        parse.parse_status("出国")


@pytest.mark.parametrize(("raw", "value"), [
    ("是", True), ("否", False), ("Y", True), ("n", False), ("住校", True), ("走读", False),
    ("√", True), (1, True), (0, False), (True, True),
])
def test_yes_no_words(raw, value):
    assert parse.parse_yes_no(raw) is value


def test_an_unknown_yes_no_word_is_refused():
    with pytest.raises(ParseError, match="是"):
        parse.parse_yes_no("也许")


@pytest.mark.parametrize(("raw", "phone"), [
    ("13812345678", "13812345678"), (13812345678, "13812345678"),
    (13812345678.0, "13812345678"), ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"), ("+86 138 1234 5678", "13812345678"),
    ("８６13812345678", "13812345678"), ("0571-12345678", "057112345678"),
    ("(010)1234567", "0101234567"),
])
def test_phone_numbers_are_cleaned(raw, phone):
    assert parse.parse_phone(raw) == phone


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "12345678", "电话", "138123456789"])
def test_phone_numbers_that_cannot_be_dialled_are_refused(raw):
    with pytest.raises(ParseError, match="11-digit"):
        parse.parse_phone(raw)


@pytest.mark.parametrize(("raw", "rel"), [
    ("父亲", "father"), ("爸爸", "father"), ("妈妈", "mother"), ("爷爷", "grandfather"),
    ("奶奶", "grandmother"), ("外公", "maternal_grandfather"), ("姥爷", "maternal_grandfather"),
    ("外婆", "maternal_grandmother"), ("姥姥", "maternal_grandmother"), ("哥哥", "sibling"),
    ("姐姐", "sibling"), ("舅舅", "relative"), ("其他亲属", "relative"),
    ("其他监护人", "other"), ("外祖母", "maternal_grandmother"),
])
def test_relationship_words(raw, rel):
    assert parse.parse_relationship(raw) == rel


def test_an_unknown_relationship_is_refused():
    with pytest.raises(ParseError, match="父亲"):
        parse.parse_relationship("邻居")
