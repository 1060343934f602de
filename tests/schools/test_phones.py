"""One phone rule for the roster importer and the pupil's forms
(schools.phones), and the demo's unassignable 100 numbers."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from schools.phones import InvalidPhone, normalise_phone
from schools.pupil_forms import normalise_phone as form_phone
from schools.roster.parse import ParseError, parse_phone


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(("typed", "kept"), [
    ("139 1234 5678", "13912345678"), ("+86 139-1234-5678", "13912345678"),
    ("(0571) 8800-1234", "0571-88001234"), ("010-12345678转123", "010-12345678#123"),
    ("１３９１２３４５６７８", "13912345678"), ("", ""),
])
def test_numbers_people_write_are_kept_one_way(typed, kept):
    assert normalise_phone(typed) == kept


@pytest.mark.parametrize("typed", ["12345678901", "1391234567", "010-1234567", "电话", "100"])
def test_other_text_is_refused_by_the_importer_and_the_forms_alike(typed):
    with pytest.raises(InvalidPhone):
        normalise_phone(typed)
    with pytest.raises(forms.ValidationError):
        form_phone(typed)
    with pytest.raises(ParseError):
        parse_phone(typed)


def test_the_demos_100_numbers_pass_only_where_the_demo_prefix_is_set(settings):
    settings.DEMO_PHONE_PREFIX = ""
    with pytest.raises(InvalidPhone):
        normalise_phone("10012345678")
    settings.DEMO_PHONE_PREFIX = "100"
    assert normalise_phone("10012345678") == "10012345678"
    assert parse_phone("100 1234 5678") == "10012345678"
    with pytest.raises(InvalidPhone):
        normalise_phone("1001234567")  # still 11 digits

