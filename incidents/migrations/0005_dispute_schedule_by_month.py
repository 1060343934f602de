import datetime

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """A bureau's due day is kept per month it takes effect from, so that a
    change never moves a past month's due date (and its late marks)."""

    dependencies = [
        ('incidents', '0004_dispute_screening'),
        ('schools', '0010_designation_roles'),
    ]

    operations = [
        migrations.AlterField(
            model_name='disputeschedule',
            name='bureau',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='schools.bureau', verbose_name='bureau'),
        ),
        migrations.AddField(
            model_name='disputeschedule',
            name='effective_from',
            field=models.DateField(default=datetime.date(2000, 1, 1), verbose_name='from the month'),
        ),
        migrations.AlterModelOptions(
            name='disputeschedule',
            options={'ordering': ['bureau_id', 'effective_from'], 'verbose_name': 'dispute-screening schedule', 'verbose_name_plural': 'dispute-screening schedules'},
        ),
        migrations.AddConstraint(
            model_name='disputeschedule',
            constraint=models.UniqueConstraint(fields=('bureau', 'effective_from'), name='dispute_schedule_once_a_month'),
        ),
    ]
