"""ReportTransition becomes a core.models.TransitionRecord: from/to_status are
renamed from/to_state, the transition's name (action) is kept, and the actor
may be empty for changes the system makes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import core.clock

ACTION_OF = {"submitted": "submit", "resubmitted": "resubmit", "returned": "return",
             "approved": "approve"}


def name_past_transitions(apps, schema_editor):
    ReportTransition = apps.get_model("reporting", "ReportTransition")
    for to_state, action in ACTION_OF.items():
        ReportTransition.objects.filter(to_state=to_state).update(action=action)


class Migration(migrations.Migration):

    dependencies = [
        ("reporting", "0005_deadlinetally"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField("reporttransition", "from_status", "from_state"),
        migrations.RenameField("reporttransition", "to_status", "to_state"),
        migrations.AlterField(
            model_name="reporttransition", name="from_state",
            field=models.CharField(choices=[("draft", "Draft"), ("submitted", "Submitted"), ("returned", "Returned"), ("resubmitted", "Resubmitted"), ("approved", "Approved")], max_length=20, verbose_name="from"),
        ),
        migrations.AlterField(
            model_name="reporttransition", name="to_state",
            field=models.CharField(choices=[("draft", "Draft"), ("submitted", "Submitted"), ("returned", "Returned"), ("resubmitted", "Resubmitted"), ("approved", "Approved")], max_length=20, verbose_name="to"),
        ),
        migrations.AddField(
            model_name="reporttransition", name="action",
            field=models.CharField(default="", max_length=30, verbose_name="action"),
            preserve_default=False,
        ),
        migrations.RunPython(name_past_transitions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="reporttransition", name="actor",
            field=models.ForeignKey(blank=True, help_text="Empty when the system made the change (a scheduled job).", null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="by"),
        ),
        migrations.AlterField(
            model_name="reporttransition", name="at",
            field=models.DateTimeField(default=core.clock.now, verbose_name="at"),
        ),
    ]
