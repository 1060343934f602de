"""manage.py import_roster: the preview as JSON for deployment staff, and the
import with --commit only when the file has no errors."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from schools.models import Pupil
from tests.schools.roster_helpers import g_number, pupil

HEADER = "学籍号,姓名,性别,出生日期,年级,班级,监护人1姓名,监护人1关系,监护人1电话\n"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def csv_file(tmp_path, lines, name="roster.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("import_roster", *args, stdout=out)
    return json.loads(out.getvalue())


def test_a_preview_writes_nothing_and_shows_rows_and_masked_numbers(world, tmp_path):
    number = g_number()
    path = csv_file(tmp_path, [f"{number},张小明,男,2015-03-05,三年级,2,张大山,爸爸,13812345678"])
    out = run(path, "--school", world.school_a.code)
    assert out["counts"]["new"] == 1
    assert out["committed"] is False
    assert out["new"][0]["row"] == 2
    assert "*" in out["new"][0]["student_number"]
    text = json.dumps(out, ensure_ascii=False)
    assert "张小明" not in text
    assert number not in text
    assert "13812345678" not in text
    assert not Pupil.objects.exists()


def test_commit_imports_a_clean_file(world, tmp_path):
    path = csv_file(tmp_path, [f"{g_number()},张小明,男,2015-03-05,三年级,2,张大山,爸爸,"
                               "13812345678"])
    out = run(path, "--school", world.school_a.code, "--commit", "--full")
    assert out["committed"] is True
    assert out["result"]["created"] == 1
    assert Pupil.objects.get().guardians.get().is_primary


def test_a_file_with_errors_is_not_imported_and_exits_1(world, tmp_path, capsys):
    path = csv_file(tmp_path, [f"{g_number()},张小明,男,2015-03-05,三年级,2,,,",
                               f"{g_number()},李四,未知,2015-03-05,三年级,2,,,"])
    with pytest.raises(CommandError) as caught:
        call_command("import_roster", path, "--school", world.school_a.code, "--commit")
    assert caught.value.returncode == 1
    assert not Pupil.objects.exists()


def test_the_command_names_the_school_a_refused_pupil_is_enrolled_at(world, tmp_path):
    number = g_number()
    pupil(world.school_b, number)
    path = csv_file(tmp_path, [f"{number},张小明,男,2015-03-05,三年级,2,,,"])
    out = run(path, "--school", world.school_a.code)
    assert world.school_b.name in out["errors"][0]["message"]
    assert out["errors"][0]["row"] == 2
    assert out["errors"][0]["column"] == "1"


def test_a_refused_file_exits_1_with_the_readers_message(world, tmp_path):
    path = tmp_path / "roster.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(CommandError) as caught:
        call_command("import_roster", str(path), "--school", world.school_a.code)
    assert caught.value.returncode == 1


def test_an_unknown_school_is_an_error(world, tmp_path):
    with pytest.raises(CommandError, match="no school"):
        call_command("import_roster", csv_file(tmp_path, []), "--school", "NOPE")
