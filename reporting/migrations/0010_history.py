"""History cannot be rewritten silently (issue 8 item 3).

* Every deadline move becomes a DeadlineMove row. The one move each deadline
  kept (original_due_date → due_date, moved_reason, moved_by, moved_at: only
  the last reason survived) is copied into one row; a deadline whose date
  differs from its original without a recorded time is dated at its last
  change (updated_at), reason "(not recorded)". The moved_* fields go.
* A published 通报 can be superseded by a later move (superseded_at, _by).
* Schools (schools 0004) joined at their creation date; here, when that is
  before the first campaign of their bureau started, at the campaign's start
  instead ("whichever is later"), and a closing day is never before it.
* Expected schools are counted per deadline (DeadlineTally.expected) instead of
  per bureau (ExpectedSchoolTally, dropped). Every tally row is deleted: the
  tallies rebuild a deadline without rows on first read (reporting.tallies),
  under the new rule; `manage.py rebuild_tallies` does it at once.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def moves_from_fields(apps, schema_editor):
    Deadline = apps.get_model("reporting", "Deadline")
    DeadlineMove = apps.get_model("reporting", "DeadlineMove")
    rows = []
    for d in Deadline.objects.filter(
            models.Q(moved_at__isnull=False) | ~models.Q(due_date=models.F("original_due_date"))):
        rows.append(DeadlineMove(
            deadline_id=d.pk, old_date=d.original_due_date, new_date=d.due_date,
            reason=d.moved_reason or "(not recorded)", moved_by_id=d.moved_by_id,
            moved_at=d.moved_at or d.updated_at))
    DeadlineMove.objects.bulk_create(rows)


def fields_from_moves(apps, schema_editor):
    Deadline = apps.get_model("reporting", "Deadline")
    DeadlineMove = apps.get_model("reporting", "DeadlineMove")
    for move in DeadlineMove.objects.order_by("deadline_id", "moved_at", "pk"):
        Deadline.objects.filter(pk=move.deadline_id).update(
            moved_reason=move.reason[:200], moved_by_id=move.moved_by_id, moved_at=move.moved_at)


def joined_at_campaign_start(apps, schema_editor):
    School = apps.get_model("schools", "School")
    Campaign = apps.get_model("reporting", "Campaign")
    first = {}
    for bureau_id, start in Campaign.objects.order_by("start_month").values_list(
            "bureau_id", "start_month"):
        first.setdefault(bureau_id, start)
    for bureau_id, start in first.items():
        School.objects.filter(bureau_id=bureau_id, joined_on__lt=start).update(joined_on=start)
        School.objects.filter(bureau_id=bureau_id, closed_on__lt=start).update(closed_on=start)


def drop_tallies(apps, schema_editor):
    apps.get_model("reporting", "DeadlineTally").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('schools', '0004_school_period'),
        ('reporting', '0009_expectedschooltally'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DeadlineMove',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('old_date', models.DateField(verbose_name='from')),
                ('new_date', models.DateField(verbose_name='to')),
                ('reason', models.CharField(max_length=200, verbose_name='reason for the move')),
                ('moved_at', models.DateTimeField(verbose_name='moved at')),
                ('revises_history', models.BooleanField(default=False, verbose_name='after the notice or the date')),
                ('deadline', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='moves', to='reporting.deadline', verbose_name='deadline')),
                ('moved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='moved by')),
            ],
            options={
                'verbose_name': 'deadline move',
                'verbose_name_plural': 'deadline moves',
                'ordering': ['deadline', 'moved_at', 'pk'],
            },
        ),
        migrations.RunPython(moves_from_fields, fields_from_moves),
        migrations.RemoveField(
            model_name='deadline',
            name='moved_at',
        ),
        migrations.RemoveField(
            model_name='deadline',
            name='moved_by',
        ),
        migrations.RemoveField(
            model_name='deadline',
            name='moved_reason',
        ),
        migrations.AddField(
            model_name='bulletin',
            name='superseded_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='superseded at'),
        ),
        migrations.AddField(
            model_name='deadlinetally',
            name='expected',
            field=models.PositiveIntegerField(default=0, verbose_name='expected schools'),
        ),
        migrations.AddField(
            model_name='bulletin',
            name='superseded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='reporting.deadlinemove', verbose_name='superseded by the move'),
        ),
        migrations.DeleteModel(
            name='ExpectedSchoolTally',
        ),
        migrations.RunPython(joined_at_campaign_start, migrations.RunPython.noop),
        migrations.RunPython(drop_tallies, migrations.RunPython.noop),
    ]
