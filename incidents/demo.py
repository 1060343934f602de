"""Mandatory reporting's demo data (called by `manage.py seed_demo`): at the
two schools whose logins the demo prints (S001, S002), a handful of made-up
concerns and referrals in every state — a concern no lead has opened yet, a
referral whose police report is overdue, one reported, one accepted, one in
cooperation long enough to be due for review, one closed, and a child not on
the roll. Every child is a demo pupil (fictional) or described in general
words. Back-dated through the services' `at=`; the leads are not told of
history (notify=False). Idempotent: a school with any concern is left alone.

The monthly dispute screening (矛盾纠纷排查): every school of the district
files a return for each past month since it joined — most "none found",
about one in four listing a dispute or two (kinds, risks and mediation of
every sort, the recent ones still being mediated), about one in eight filed
late, and a few of the last months not filed at all. Back-dated with `at=`;
the follow-ups of the current and last month are armed as the nightly job
would. Idempotent: a school with any return is left alone."""

from __future__ import annotations

import datetime as dt

from core import clock
from schools.models import Bureau, Pupil, PupilStatus, School, User

from . import disputes, services
from .models import Concern, DisputeReturn

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
    """The cases above at S001 and S002 of `bureau`, and every school's
    dispute returns (see the module docstring)."""
    _seed_referrals(bureau)
    _seed_disputes(bureau)


# (kind, parties by role, what it is about, risk); mediation follows from the age.
DISPUTES = [
    ("student_student", "七年级两名男生", "课间打篮球发生口角并推搡", "low"),
    ("home_school", "一名学生家长与学校", "对孩子座位安排不满，多次到校反映", "medium"),
    ("teacher_student", "一名教师与一名学生", "课堂上没收手机引发顶撞", "low"),
    ("student_student", "八年级两个学生小团体", "网络群聊中互相辱骂，有约架苗头", "high"),
    ("home_school", "两名学生的家长之间", "孩子间磕碰受伤，对医药费分担有争议", "medium"),
    ("other", "学生家长与校门口商户", "商户向学生赊销，家长要求学校介入", "low"),
]


def _seed_disputes(bureau: Bureau) -> None:
    now = clock.now()
    today = clock.today(now)
    due_day = disputes.due_day_of(bureau.pk)
    this_month = disputes.month_start(today)
    for school in School.objects.filter(bureau=bureau).order_by("code"):
        if DisputeReturn.objects.filter(school=school).exists():
            continue
        number = int(school.code[1:])
        principal = User.objects.filter(username=f"s{number:02d}-principal").first()
        safety = User.objects.filter(username=f"s{number:02d}-safety").first()
        if principal is None or safety is None:
            continue
        month = disputes.next_month(disputes.month_start(school.joined_on))
        while month < this_month:
            due = disputes.due_date(month, due_day)
            if school.closed_on is not None and due >= school.closed_on:
                break
            index = number * 13 + month.month * 7
            recent = disputes.next_month(month) >= this_month
            if recent and index % 5 == 0:  # last month, not filed yet
                month = disputes.next_month(month)
                continue
            listed = []
            if index % 4 == 0:
                for n in range(1 + (index // 4) % 2):
                    kind, parties, summary, risk = DISPUTES[(index // 4 + n) % len(DISPUTES)]
                    found = month.replace(day=min(3 + 9 * n + index % 7, 28))
                    listed.append(disputes.dispute_add(
                        school=school, month=month, by=safety, kind=kind, parties=parties,
                        summary=summary, risk=risk, responsible_id=safety.pk, found_on=found,
                        at=disputes_time(found)))
            filed_on = due + dt.timedelta(days=3) if index % 8 == 3 else due - dt.timedelta(
                days=index % 4)
            disputes.dispute_return_submit(school=school, month=month, by=principal,
                                           none_found=not listed,
                                           at=disputes_time(min(filed_on, today)))
            for n, dispute in enumerate(listed):
                settled_on = dispute.found_on + dt.timedelta(days=5 + 6 * n)
                if recent or settled_on > today:
                    continue  # still being mediated
                name = "transfer" if dispute.risk == "high" else "resolve"
                disputes.dispute_settle(
                    dispute=dispute, name=name, on=settled_on, by=safety,
                    transferred_to="镇人民调解委员会" if name == "transfer" else "",
                    at=disputes_time(settled_on))
            month = disputes.next_month(month)
    disputes.arm_dispute_returns(at=now)


def disputes_time(day: dt.date) -> dt.datetime:
    """16:00 on `day`, Asia/Shanghai: when the demo's school staff write."""
    return clock.start_of_day(day) + dt.timedelta(hours=16)


def _seed_referrals(bureau: Bureau) -> None:
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
