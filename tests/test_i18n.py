"""Both catalogues are complete and their compiled .mo files match the .po."""

import gettext
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
