"""Mandatory reporting's demo data (called by `manage.py seed_demo`): at the
two schools whose logins the demo prints (S001, S002), a handful of made-up
concerns and referrals in every state — a concern no lead has opened yet, a
referral whose police report is overdue, one reported, one accepted, one in
cooperation long enough to be due for review, one closed, and a child not on
the roll. Every child is a demo pupil (fictional) or described in general
words. Back-dated through the services' `at=`; the leads are not told of
history (notify=False). Idempotent: a school with any concern is left alone."""

from __future__ import annotations

import datetime as dt

from core import clock
from schools.models import Bureau, Pupil, PupilStatus, School, User

from . import services
from .models import Concern

SCHOOL_CODES = ("S001", "S002")

# (hours ago logged, what was seen, the child's words, where, done at once,
#  the situations, the steps: a list of ("report" | transition name, hours after logging))
CASES = [
    (2, "课间发现该生左臂有多处新旧淤青，询问时躲闪。", "爸爸喝了酒就打我。", "教室",
     "已带到校医室检查并拍照，未通知家长。", None, []),
    (30, "连续三天未到校，电话无人接听，邻居说家中无人。", "", "家访",
     "已报告校长，继续联系其他亲属。", ["missing"], []),
    (72, "该生在心理课上说想自杀，手腕有划痕。", "活着没意思。", "心理咨询室",
     "心理教师全程陪同，已联系监护人到校。", ["disability_death"], [("report", 0.5)]),
    (240, "女生反映放学路上被陌生成年男子尾随并拉扯。", "他拉我的书包让我跟他走。", "校门外",
     "已调取校门监控，安排教师护送。", ["other_serious"], [("report", 1), ("accept", 20)]),
    (24 * 45, "多名学生反映该生长期被高年级学生索要钱财并殴打。", "他们说告诉老师就打死我。",
     "厕所", "已隔离相关学生，通知双方家长。", ["injury_neglect"],
     [("report", 2), ("accept", 30), ("cooperate", 48)]),
    (24 * 90, "该生长期由年迈祖母照顾，冬季衣着单薄、经常饥饿。", "", "班级",
     "已提供校服和午餐补助。", ["abandoned"],
     [("report", 3), ("accept", 48), ("close", 24 * 20)]),
]
STRANGER = "约8岁男孩，非本校学生，傍晚独自在校门口徘徊"


def seed(bureau: Bureau) -> None:
    """The cases above at S001 and S002 of `bureau` (see the module docstring)."""
    now = clock.now()
    for code in SCHOOL_CODES:
        school = School.objects.filter(bureau=bureau, code=code).first()
        if school is None or Concern.objects.filter(school=school).exists():
            continue
        number = int(code[1:])
        teacher = User.objects.get(username=f"s{number:02d}-teacher-a")
        lead = User.objects.get(username=f"s{number:02d}-safety")
        pupils = list(Pupil.objects.filter(school=school, status=PupilStatus.ENROLLED,
                                           current_class__isnull=False)
                      .order_by("student_number")[:len(CASES)])
        for index, (hours, seen, words, place, done, situations, steps) in enumerate(CASES):
            logged = now - dt.timedelta(hours=hours)
            pupil = pupils[index] if index < len(pupils) else None
            concern = services.concern_log(
                school=school, by=teacher, pupil=pupil,
                child_description="" if pupil else STRANGER, observed=seen,
                child_words=words, observed_at=logged - dt.timedelta(minutes=20), place=place,
                immediate_actions=done, at=logged, notify=False)
            if situations is None:
                continue
            referral = services.referral_open(concern=concern, situations=situations, by=lead,
                                              at=logged + dt.timedelta(minutes=10))
            for step, after in steps:
                at = logged + dt.timedelta(hours=after)
                if step == "report":
                    services.referral_record_report(
                        referral=referral, agency="police", reported_at=at,
                        receiving_unit="城关派出所", method="call_110", officer="值班民警",
                        receipt_number=f"DEMO-{number:02d}{index:02d}", by=lead,
                        at=at + dt.timedelta(minutes=5))
                else:
                    services.referral_transition(
                        referral=referral, name=step, by=lead, at=at,
                        reason="经公安机关调查处理完毕，儿童已由民政部门安置。"
                        if step == "close" else "")
        services.concern_log(
            school=school, by=teacher, child_description=STRANGER,
            observed="傍晚放学后该儿童独自在校门口，说找不到妈妈。",
            child_words="妈妈说在这里等我。",
            observed_at=now - dt.timedelta(hours=5, minutes=20), place="校门口",
            immediate_actions="已带到门卫室，等待其家人。", at=now - dt.timedelta(hours=5),
            notify=False)
