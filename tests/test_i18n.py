"""Both catalogues are complete and their compiled .mo files match the .po."""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def catalogue(path: Path) -> dict:
    with path.open("rb") as fh:
        return gettext.GNUTranslations(fh)._catalog


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_compiled_catalogue_matches_its_source(language, tmp_path):
    if not shutil.which("msgfmt"):
        pytest.skip("msgfmt (gettext) is not installed")
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(po)], check=True)
    assert catalogue(fresh) == catalogue(po.with_suffix(".mo")), (
        "run `make messages` and commit the .mo"
    )


def test_every_chinese_message_is_translated():
    if not shutil.which("msgfmt"):
        pytest.skip("msgfmt (gettext) is not installed")
    po = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
    result = subprocess.run(["msgfmt", "--statistics", "-o", "/dev/null", str(po)],
                            capture_output=True, text=True, check=True)
    assert "untranslated" not in result.stderr, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr


@pytest.mark.django_db
def test_the_language_switch_remembers_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get(reverse("login")).content.decode()
    assert "Sign in" in body


@pytest.mark.django_db
def test_chinese_is_the_default_whatever_the_browser_says_when_unsupported(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr")
    assert response["Content-Language"] == "zh-hans"


def test_a_word_with_two_meanings_keeps_both_translations():
    """"Continue" is 继续填写 on a report and 继续 after the recovery codes (its
    own msgctxt): merging one catalogue entry must not overwrite the other."""
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext("Continue") == "继续填写"
        assert translation.pgettext("leave the recovery codes", "Continue") == "继续"


def test_a_closed_referral_is_closed_as_a_case_not_as_a_school():
    """"Closed" is 已停办 for a school; a referral's state is 已结案 (found: the
    reporter read their concern as 已停办)."""
    from django.utils import translation

    from incidents.models import ReferralState

    with translation.override("zh-hans"):
        assert translation.gettext("Closed") == "已停办"
        assert str(ReferralState.CLOSED.label) == "已结案"


# The names makemessages (xgettext with Django's keywords) finds: a
# translation function imported under any other name leaves its strings out
# of the catalogue, in English on every page (found: incidents' state
# buttons under `_lazy`).
EXTRACTED_NAMES = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext",
                   "ngettext_lazy", "pgettext", "pgettext_lazy", "npgettext",
                   "npgettext_lazy"}
ALIAS = re.compile(r"\b(gettext\w*|ngettext\w*|pgettext\w*|npgettext\w*)\s+as\s+(\w+)")


def test_translation_functions_keep_a_name_makemessages_reads():
    root = LOCALE.parent
    hidden = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if parts[0] in {".venv", "staticfiles", "node_modules"} or "site-packages" in parts:
            continue
        for function, alias in ALIAS.findall(path.read_text(encoding="utf-8")):
            if alias not in EXTRACTED_NAMES:
                hidden.append(f"{path.relative_to(root)}: {function} as {alias}")
    assert not hidden
