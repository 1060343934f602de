"""Run the follow-up scan once, now, in this process: what the every-minute beat
task (followups.scan_followups) does, for an operator whose worker or beat is
down, or who wants to see the counts (README "Production": running the scan by
hand). Safe beside a running beat: rows are claimed under SKIP LOCKED and every
notice has a dedupe key, so nothing is told twice."""

from django.core.management.base import BaseCommand

from followups import services


class Command(BaseCommand):
    help = ("Run the follow-up scan once, now (reminders and overdue notices that are "
            "due), and print what it did. Safe to run beside beat.")

    def handle(self, *args, **options):
        result = services.scan()
        self.stdout.write(
            f"Follow-up scan: {result.claimed} due, {result.told} steps told, "
            f"{result.notices} notices written (the delivery task sends them within "
            f"a minute).")
