"""Recount the dashboard's tallies from the reports (after a bulk import, or to
check them): `manage.py rebuild_tallies [--campaign ID ...]`."""

from django.core.management.base import BaseCommand, CommandError

from reporting import tallies
from reporting.models import Campaign


class Command(BaseCommand):
    help = "Recount the dashboard's per-deadline tallies from the reports."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, action="append", dest="campaigns",
                            help="only this campaign (may be given more than once)")

    def handle(self, *args, campaigns=None, **options):
        selected = None
        if campaigns:
            selected = list(Campaign.objects.filter(pk__in=campaigns))
            missing = set(campaigns) - {c.pk for c in selected}
            if missing:
                raise CommandError(f"No campaign with id {', '.join(map(str, sorted(missing)))}.")
        deadlines, wrong = tallies.rebuild_all(selected)
        self.stdout.write(f"{deadlines} deadlines recounted; {wrong} tally rows were wrong.")
