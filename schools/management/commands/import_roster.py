"""Import a school's roster from the command line (deployment staff, the
bureau's first set-up): `manage.py import_roster FILE --school CODE
[--commit] [--full] [--include-hidden]`.

Prints the preview as JSON (UTF-8, not escaped): counts, errors (row, column,
field, message), pupils by row number and masked 学籍号 only. Being run by
deployment staff, it names the school a refused pupil is enrolled at. Without
--commit nothing is written. Exit status 1 when the file is refused, or when
--commit was asked and the file has errors or the roster changed meanwhile
(nothing written then); 0 otherwise.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schools.models import School
from schools.roster.plan import RosterHasErrors, StalePlan, commit_import, plan_import
from schools.roster.table import RosterFileError
from schools.roster.uploads import MAX_BYTES, read


class Command(BaseCommand):
    help = "Preview (and with --commit, do) the import of a roster file into a school."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The roster (.xlsx or .csv).")
        parser.add_argument("--school", required=True, help="The school's code.")
        parser.add_argument("--commit", action="store_true",
                            help="Import when the file has no errors (default: preview only).")
        parser.add_argument("--full", action="store_true",
                            help="The file is the school's whole roster: pupils it no longer "
                                 "lists leave (毕业 for the last grade, else 转出).")
        parser.add_argument("--include-hidden", action="store_true",
                            help="Also import the rows Excel hid.")

    def _print(self, data: dict) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))

    def handle(self, *args, file: str, school: str, commit: bool, full: bool,
               include_hidden: bool, **options):
        try:
            target = School.objects.get(code=school)
        except School.DoesNotExist:
            raise CommandError(f"no school with code {school!r}") from None
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        data = path.read_bytes()[: MAX_BYTES + 1]
        kind = path.suffix.lstrip(".").lower() or "bin"
        try:
            table = read(data, kind)
        except RosterFileError as exc:
            self._print({"refused": exc.code, "message": exc.message})
            raise CommandError(exc.message, returncode=1) from None
        plan = plan_import(table, target, full_roster=full, by=None,
                           file_sha256=hashlib.sha256(data).hexdigest(),
                           reveal_other_school=True)
        out = plan.as_json()
        if not commit:
            out["committed"] = False
            self._print(out)
            return
        try:
            result = commit_import(plan, by=None, include_hidden=include_hidden)
        except RosterHasErrors:
            out["committed"] = False
            self._print(out)
            raise CommandError("the file has errors: nothing was imported", returncode=1) \
                from None
        except StalePlan:
            out["committed"] = False
            self._print(out)
            raise CommandError("the roster changed meanwhile: nothing was imported; run "
                               "again", returncode=1) from None
        out["committed"] = True
        out["result"] = result.as_dict()
        self._print(out)
