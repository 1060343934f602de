"""The 学籍号 and the ID number it may embed (issue 9 item 1): normalised,
checked (GB 11643-1999), masked for everyone but the roster's manager."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from schools import school_year
from schools.student_numbers import (
    InvalidStudentNumber,
    birth_date_in_id,
    clean_text,
    embeds_id_number,
    id_check_character,
    is_valid_id_number,
    mask,
    normalise,
)


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The parsers' messages are matched in English here (the Chinese ones are
    checked by the page tests and the catalogue tests)."""
    with translation.override("en"):
        yield


def id_number(region="990101", born="20130315", seq="123") -> str:
    first17 = f"{region}{born}{seq}"
    return first17 + id_check_character(first17)


class TestNormalise:
    def test_full_width_digits_spaces_and_invisible_characters_go(self):
        number = "G" + id_number()
        messy = "ｇ" + "".join(chr(ord(c) + 0xFEE0) for c in number[1:8]) + " \u200b" \
            + number[8:] + "\u00a0"
        assert normalise(messy) == number

    def test_a_lower_case_x_check_character_is_upper_cased(self):
        first17 = "99010120130315" + "000"
        for seq in range(1000):
            candidate = f"99010120130315{seq:03d}"
            if id_check_character(candidate) == "X":
                first17 = candidate
                break
        assert normalise(f"g{first17}x") == f"G{first17}X"

    @pytest.mark.parametrize("value", [9.90101201303151e17, "9.90101201303151E+17",
                                       "990101201303151E+17"])
    def test_a_number_excel_rounded_is_refused_saying_format_as_text(self, value):
        with pytest.raises(InvalidStudentNumber, match="text"):
            normalise(value)

    def test_a_wrong_check_digit_inside_a_g_number_is_refused(self):
        good = id_number()
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        with pytest.raises(InvalidStudentNumber, match="check digit"):
            normalise("G" + bad)

    @pytest.mark.parametrize("value", ["", "   ", None, "G12", "学籍号123456", "A" * 33])
    def test_empty_short_long_or_non_alphanumeric_is_refused(self, value):
        with pytest.raises(InvalidStudentNumber):
            normalise(value)

    def test_an_int_cell_becomes_text(self):
        assert normalise(20130315001) == "20130315001"

    @settings(max_examples=1000, deadline=None)
    @given(st.one_of(st.text(max_size=60), st.integers(), st.floats(), st.none()))
    def test_any_input_is_a_number_or_the_parsers_own_error(self, value):
        try:
            result = normalise(value)
        except InvalidStudentNumber:
            return
        assert result == clean_text(result).upper()
        assert 6 <= len(result) <= 32


class TestIdNumbers:
    def test_check_character_and_birth_date(self):
        number = id_number()
        assert is_valid_id_number(number)
        assert birth_date_in_id(number) == dt.date(2013, 3, 15)

    def test_the_published_example_of_the_standard_is_valid(self):
        # GB 11643-1999's own example; a check character off by one is not.
        assert is_valid_id_number("11010519491231002X")
        assert not is_valid_id_number("110105194912310021")

    def test_every_remainder_gets_the_check_character_of_the_standard(self):
        # GB 11643-1999 / ISO 7064 MOD 11-2: the check character is
        # (12 − Σ(digit × weight) mod 11) mod 11, written X for 10. Each of the
        # eleven remainders is tried (the sequence digits vary the sum).
        weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        seen = set()
        for seq in range(200):
            first17 = f"11010520130315{seq:03d}"
            remainder = sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11
            value = (12 - remainder) % 11
            expected = "X" if value == 10 else str(value)
            assert id_check_character(first17) == expected, first17
            seen.add(remainder)
        assert seen == set(range(11))

    def test_an_impossible_birth_date_is_not_valid(self):
        assert not is_valid_id_number(id_number(born="20130230"))

    def test_only_g_plus_18_embeds_an_id_number(self):
        assert embeds_id_number("G" + id_number())
        assert not embeds_id_number("J" + id_number())
        assert not embeds_id_number("G12345678")


class TestMask:
    def test_an_embedded_id_number_keeps_four_digits_each_side(self):
        number = "G" + id_number(region="330106")
        assert mask(number) == f"G3301{'*' * 10}{number[-4:]}"

    def test_other_numbers_are_shown_as_they_are(self):
        assert mask("J0000000001") == "J0000000001"


class TestSchoolYear:
    def test_the_year_turns_on_1_september(self):
        assert school_year.school_year_of(dt.date(2027, 8, 31)) == 2026
        assert school_year.school_year_of(dt.date(2027, 9, 1)) == 2027
        assert school_year.first_day(2026) == dt.date(2026, 9, 1)
