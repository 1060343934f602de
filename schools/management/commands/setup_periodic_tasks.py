"""Declare every Celery beat schedule (run on each deploy and by `make run`).

Each app lists its own schedules in `<app>/schedules.py` as SCHEDULES =
{name: (task, crontab fields)}; this command gathers them from every installed
app, so schools (the ground floor) imports no other app. Idempotent: existing
entries are updated, stale ones of ours removed. Times are Asia/Shanghai
(CELERY_TIMEZONE), never beat's UTC default."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

# This app's own: name -> (task, crontab fields). https://crontab.guru explains each line.
SCHEDULES = {
    # https://crontab.guru/#30_3_*_*_*  every day at 03:30
    "Clear expired sessions": ("schools.clear_expired_sessions",
                               {"minute": "30", "hour": "3"}),
    # https://crontab.guru/#45_3_*_*_0  Sundays at 03:45
    "Prune old sign-in logs": ("schools.prune_login_logs",
                               {"minute": "45", "hour": "3", "day_of_week": "0"}),
}
PREFIX = "[portal] "


def all_schedules() -> dict:
    found = dict(SCHEDULES)
    for config in apps.get_app_configs():
        if config.name == "schools" or find_spec(f"{config.name}.schedules") is None:
            continue
        found.update(import_module(f"{config.name}.schedules").SCHEDULES)
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
