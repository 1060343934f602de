"""The demo's registers (issue 11 item 9): the bureau's terms; at S001 and
S002 the head teachers' classes have the last 10 school days' registers —
today's left to take — with a chronic absentee and yesterday's fever
cluster; seeding again adds nothing."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from attendance.models import AttendanceMark, ClassRegister
from schools.models import SchoolTerm

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def seed():
    call_command("seed_demo", schools=2, stdout=io.StringIO())


def test_ten_school_days_of_registers_with_their_patterns():
    seed()
    assert SchoolTerm.objects.filter(starts_on=dt.date(2026, 9, 1)).exists()
    days = sorted(set(ClassRegister.objects.values_list("day", flat=True)))
    assert len(days) == 10
    assert days[-1] == dt.date(2026, 11, 13)  # the Friday before: today is left to take
    assert dt.date(2026, 11, 14) not in days
    assert TODAY not in days
    assert set(ClassRegister.objects.values_list("school__code", flat=True)) == {"S001", "S002"}
    fevers = AttendanceMark.objects.filter(register__day=days[-1], symptom="fever")
    assert fevers.count() >= 6  # three in one class at each school
    chronic = AttendanceMark.objects.filter(code="truant").values("pupil").distinct().count()
    assert chronic >= 2
    before = (ClassRegister.objects.count(), AttendanceMark.objects.count())
    seed()
    assert (ClassRegister.objects.count(), AttendanceMark.objects.count()) == before


def test_the_last_days_truancy_is_open_and_the_others_were_followed_up():
    from attendance.followup_kinds import GUARDIAN_CONTACT
    from attendance.models import GuardianContact
    from followups.models import FollowUp

    seed()
    last = ClassRegister.objects.order_by("-day").values_list("day", flat=True).first()
    open_rows = FollowUp.objects.filter(kind=GUARDIAN_CONTACT, state="open")
    assert open_rows.exists()
    registers = {int(code.split(":")[0]) for code in
                 open_rows.values_list("subject_code", flat=True)}
    assert set(ClassRegister.objects.filter(pk__in=registers)
               .values_list("day", flat=True)) == {last}
    assert GuardianContact.objects.filter(reached=True).exists()
