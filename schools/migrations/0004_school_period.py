"""A school's campaign period (issue 8 item 3): joined_on / closed_on.

Existing schools: joined on the day they were created (reporting's migration
0010 moves that to the campaign's start when the school is older than its
bureau's first campaign); a closed school or one out of the campaign closed on
the day of its last change (updated_at), the best the old rows know, and never
before it joined. Days are Asia/Shanghai (settings.TIME_ZONE).
"""

import django.utils.timezone
from django.db import migrations, models

import core.clock


def fill_periods(apps, schema_editor):
    School = apps.get_model("schools", "School")
    zone = django.utils.timezone.get_default_timezone()
    for school in School.objects.all().iterator():
        school.joined_on = school.created_at.astimezone(zone).date()
        if not (school.is_open and school.in_campaign):
            school.closed_on = max(school.updated_at.astimezone(zone).date(), school.joined_on)
        school.save(update_fields=["joined_on", "closed_on"])


class Migration(migrations.Migration):

    dependencies = [
        ("schools", "0003_school_bureau_code_idx"),
    ]

    operations = [
        migrations.AddField(
            model_name="school",
            name="joined_on",
            field=models.DateField(null=True, verbose_name="joined the campaign on"),
        ),
        migrations.AddField(
            model_name="school",
            name="closed_on",
            field=models.DateField(blank=True, help_text="The school reports for no deadline from this day on.", null=True, verbose_name="closed or left the campaign on"),
        ),
        migrations.RunPython(fill_periods, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="school",
            name="joined_on",
            field=models.DateField(default=core.clock.today, help_text="The school reports for deadlines after this day.", verbose_name="joined the campaign on"),
        ),
        migrations.AddConstraint(
            model_name="school",
            constraint=models.CheckConstraint(condition=models.Q(models.Q(("closed_on__isnull", True), ("in_campaign", True), ("is_open", True)), models.Q(models.Q(("is_open", False), ("in_campaign", False), _connector="OR"), ("closed_on__isnull", False)), _connector="OR"), name="school_closed_on_matches_flags"),
        ),
    ]
