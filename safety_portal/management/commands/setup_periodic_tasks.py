"""Declare every Celery beat schedule (run on each deploy and by `make run`).

Each app lists its own schedules in `<app>/schedules.py` as SCHEDULES =
{name: (task, crontab fields)}; this command gathers them from every installed
app through core.discovery. Idempotent: existing
entries are updated, stale ones of ours removed. Times are Asia/Shanghai
(CELERY_TIMEZONE), never beat's UTC default."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from core.discovery import app_modules

PREFIX = "[portal] "


def all_schedules() -> dict:
    """name -> (task, crontab fields), from every app's schedules module."""
    found: dict = {}
    for module in app_modules("schedules"):
        duplicate = found.keys() & module.SCHEDULES.keys()
        if duplicate:
            raise ValueError(f"schedules declared twice: {sorted(duplicate)}")
        found.update(module.SCHEDULES)
    return found


class Command(BaseCommand):
    help = "Create or update the portal's periodic tasks for Celery beat."

    @transaction.atomic
    def handle(self, *args, **options):
        names = []
        for name, (task, cron) in all_schedules().items():
            fields = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*",
                      "month_of_year": "*", **cron}
            schedule, _ = CrontabSchedule.objects.get_or_create(
                timezone=settings.CELERY_TIMEZONE, **fields
            )
            PeriodicTask.objects.update_or_create(
                name=PREFIX + name,
                defaults={"task": task, "crontab": schedule, "interval": None, "enabled": True},
            )
            names.append(PREFIX + name)
        stale = PeriodicTask.objects.filter(name__startswith=PREFIX).exclude(name__in=names)
        removed, _ = stale.delete()
        if options["verbosity"]:
            self.stdout.write(f"{len(names)} periodic tasks set up, {removed} stale removed.")
