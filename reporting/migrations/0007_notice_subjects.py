"""Give reporting's reminder and overdue notices written before subjects existed
their subject (the school × deadline pair, reporting/notice_kinds.py), so a
report that arrives still cancels them. Only pending rows matter: sent and
cancelled ones are never cancelled again. Returned notices carry no report code
in their context and are never cancelled, so they keep an empty subject."""

from django.db import migrations

BATCH = 1000


def forwards(apps, schema_editor):
    Notice = apps.get_model("notifications", "Notice")
    pending = Notice.objects.filter(kind__in=["reminder", "overdue"], status="pending",
                                    subject_type="")
    batch = []
    for notice in pending.only("pk", "context").iterator(chunk_size=BATCH):
        deadline_id = notice.context.get("deadline_id")
        school_id = notice.context.get("school_id")
        if not isinstance(deadline_id, int) or not isinstance(school_id, int):
            continue
        notice.subject_type = "reporting.deadline_school"
        notice.subject_code = f"{deadline_id}:{school_id}"
        batch.append(notice)
        if len(batch) >= BATCH:
            Notice.objects.bulk_update(batch, ["subject_type", "subject_code"])
            batch = []
    if batch:
        Notice.objects.bulk_update(batch, ["subject_type", "subject_code"])


class Migration(migrations.Migration):

    dependencies = [
        ("reporting", "0006_reporttransition_workflow_record"),
        ("notifications", "0002_kinds_subjects_group_robots"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
