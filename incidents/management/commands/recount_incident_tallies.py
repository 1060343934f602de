"""Recount the bureau view's tallies of referrals and bullying cases from the
records (after a bulk load, or to check them): `manage.py
recount_incident_tallies`."""

from django.core.management.base import BaseCommand

from incidents import tallies


class Command(BaseCommand):
    help = "Recount the mandatory-reporting tallies of every bureau and year from the records."

    def handle(self, *args, **options):
        years, wrong = tallies.recount_all()
        self.stdout.write(f"{years} bureau-years recounted; {wrong} tally rows were wrong.")
