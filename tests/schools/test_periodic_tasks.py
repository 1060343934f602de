import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

pytestmark = pytest.mark.django_db


def test_schedules_are_declared_once_in_asia_shanghai():
    call_command("setup_periodic_tasks", verbosity=0)
    call_command("setup_periodic_tasks", verbosity=0)
    tasks = PeriodicTask.objects.filter(name__startswith="[portal] ")
    assert set(tasks.values_list("task", flat=True)) == {
        "schools.clear_expired_sessions", "schools.prune_login_logs",
        "schools.abandon_expired_roster_uploads", "schools.refresh_pupil_counts",
        "notifications.deliver_notices", "reporting.scan_notices",
        "reporting.check_tallies", "reporting.arm_followups", "followups.scan_followups",
        "audit.purge_expired", "reporting.sweep_exports", "incidents.arm_dispute_returns",
        "incidents.recount_tallies"}
    assert {str(t.crontab.timezone) for t in tasks} == {"Asia/Shanghai"}


def test_a_schedule_removed_from_the_code_is_removed_from_beat():
    call_command("setup_periodic_tasks", verbosity=0)
    PeriodicTask.objects.create(name="[portal] Gone", task="x",
                                crontab=PeriodicTask.objects.first().crontab)
    call_command("setup_periodic_tasks", verbosity=0)
    assert not PeriodicTask.objects.filter(name="[portal] Gone").exists()


def test_the_housekeeping_tasks_run(world):
    from schools.tasks import clear_expired_sessions, prune_login_logs

    clear_expired_sessions.delay()
    prune_login_logs.delay()
