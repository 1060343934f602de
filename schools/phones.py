"""Guardians' phone numbers: one rule for the roster importer and the forms.

A mainland mobile number is 11 digits starting 13–19; a landline carries its
area code (010 and 02x take 8-digit numbers, the other area codes 7 or 8) and
may have an extension. The demo's made-up numbers use the prefix 100, which no
operator assigns (so a demo number can never reach a real person); they are
accepted only where settings.DEMO_PHONE_PREFIX names that prefix (DEBUG
deployments: `make run`), never in production.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.translation import gettext as _

from .student_numbers import clean_text

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^(0[12]\d|0[3-9]\d{2})(\d{7,8})(?:#(\d{1,6}))?$")


class InvalidPhone(ValueError):
    """Not a phone number; `str()` is a translated sentence saying what to write."""


def normalise_phone(value) -> str:
    """"139 1234 5678" / "+86 139…" → "13912345678"; "(0571) 8800-1234" →
    "0571-88001234"; an extension after 转, ext or # kept as "#123"; "" stays
    "". Raises InvalidPhone for anything else."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an Excel number cell: 13812345678.0
    text = clean_text(str(value if value is not None else ""))
    if not text:
        return ""
    text = re.sub(r"(转|ext\.?|x)", "#", text, flags=re.IGNORECASE)
    compact = re.sub(r"[\s\-()（）\[\]]", "", text)
    if compact.startswith("+86"):
        compact = compact[3:]
    elif compact.startswith("86") and len(compact) == 13:
        compact = compact[2:]
    demo = getattr(settings, "DEMO_PHONE_PREFIX", "")
    if MOBILE_RE.match(compact) or (
            demo and compact.startswith(demo) and len(compact) == 11 and compact.isdigit()):
        return compact
    match = LANDLINE_RE.match(compact)
    if match and not (len(match.group(1)) == 3 and len(match.group(2)) != 8):
        area, number, ext = match.groups()
        return f"{area}-{number}" + (f"#{ext}" if ext else "")
    raise InvalidPhone(_(
        "Give an 11-digit mobile number (e.g. 13912345678) or a landline with its area "
        "code (e.g. 0571-88001234)."))
