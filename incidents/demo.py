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
    _seed_bullying(bureau)


# Bullying cases at S001 and S002, one in every state (hours ago reported,
# acts, what happened, the steps). Steps: ("stop" | "guardians" | "investigate"
# | "decide" | "not_bullying" | "appeal" | "recheck" | "follow_up" | "close" |
# "support" | "visit", hours after the report).
BULLYING_CASES = [
    (2, ["dignity"], "多名同学在课间给该生起侮辱性绰号并起哄。", []),
    (24 * 3, ["physical", "property"],
     "该生多次在放学路上被同校学生拦住索要零花钱，拒绝即被推搡。",
     [("stop", 1), ("guardians", 2), ("support", 20), ("investigate", 24)]),
    (24 * 13, ["exclusion", "online"],
     "班级群中有学生发布该生照片并配侮辱性文字，号召其他同学孤立该生。",
     [("stop", 1), ("guardians", 3), ("investigate", 24)]),
    (24 * 20, ["physical"], "该生在宿舍被同寝室两名学生多次殴打。",
     [("stop", 1), ("guardians", 2), ("support", 30), ("investigate", 24), ("decide", 24 * 8),
      ("visit", 24 * 9)]),
    (24 * 30, ["dignity", "online"], "该生被同学在网络上散布谣言，家长认为学校处理过轻。",
     [("stop", 1), ("guardians", 2), ("support", 30), ("investigate", 24),
      ("decide", 24 * 7), ("appeal", 24 * 10)]),
    (24 * 60, ["physical", "property"], "该生长期被高年级学生索要钱财并殴打。",
     [("stop", 1), ("guardians", 2), ("support", 20), ("investigate", 24),
      ("decide", 24 * 6), ("appeal", 24 * 9), ("recheck", 24 * 20)]),
    (24 * 80, ["dignity"], "两名学生课间互相取笑，一方家长反映孩子被欺负。",
     [("stop", 1), ("guardians", 2), ("support", 24), ("investigate", 24),
      ("not_bullying", 24 * 5), ("close", 24 * 6)]),
]

BULLYING_REASONS = {"recheck": "县防治学生欺凌工作办公室复查，维持学校认定。",
                    "close": "已对双方进行教育，家长认可处理结果，结案。"}


def _demo_pupils(school: School, teacher: User) -> list[Pupil]:
    """Enrolled pupils of the classes `teacher` leads, each the only one of
    their name in the class (the report form matches class and name)."""
    from django.db.models import Count

    led = list(teacher.memberships.filter(school=school).values_list("classes", flat=True))
    unique = (Pupil.objects.filter(school=school, current_class_id__in=[c for c in led if c],
                                   status=PupilStatus.ENROLLED)
              .values("current_class_id", "name").annotate(n=Count("id")).filter(n=1))
    names = {(row["current_class_id"], row["name"]) for row in unique}
    pupils = Pupil.objects.filter(school=school, current_class_id__in=[c for c in led if c],
                                  status=PupilStatus.ENROLLED).order_by("student_number")
    return [p for p in pupils if (p.current_class_id, p.name) in names]


def _seed_bullying(bureau: Bureau) -> None:
    from .bullying import (
        Involved,
        bullying_appeal,
        bullying_decide,
        bullying_inform_guardians,
        bullying_record_stop,
        bullying_record_support,
        bullying_record_visit,
        bullying_report,
        bullying_schedule_visit,
        bullying_start_investigation,
        bullying_transition,
    )
    from .models import BullyingCase

    now = clock.now()
    for code in SCHOOL_CODES:
        school = School.objects.filter(bureau=bureau, code=code).first()
        if school is None or BullyingCase.objects.filter(school=school).exists():
            continue
        number = int(code[1:])
        lead = User.objects.get(username=f"s{number:02d}-safety")
        principal = User.objects.get(username=f"s{number:02d}-principal")
        teacher = User.objects.get(username=f"s{number:02d}-teacher-a")
        counselor = User.objects.filter(username=f"s{number:02d}-counselor").first()
        pupils = _demo_pupils(school, teacher)
        if len(pupils) < 3:
            continue  # a demo without pupils (seed_demo --without-pupils)
        for index, (hours, acts, what, steps) in enumerate(BULLYING_CASES):
            reported = now - dt.timedelta(hours=hours)
            target, other, bystander = (pupils[(index * 3 + k) % len(pupils)] for k in range(3))
            involved = [Involved(target.current_class_id, target.name, "target"),
                        Involved(other.current_class_id, other.name, "perpetrator")]
            if bystander.pk not in (target.pk, other.pk):
                involved.append(Involved(bystander.current_class_id, bystander.name,
                                         "bystander"))
            case = bullying_report(school=school, by=lead, reporter="guardian",
                                   reported_at=reported - dt.timedelta(minutes=40), acts=acts,
                                   description=what, involved=involved,
                                   occurred_on=clock.today(reported), place="校内",
                                   at=reported)
            for step, after in steps:
                at = reported + dt.timedelta(hours=after)
                if step == "stop":
                    case = bullying_record_stop(
                        case=case, stopped_at=at, by=lead, at=at,
                        safety_measures="已将双方分开，课间安排教师值守，上下学由家长接送。")
                elif step == "guardians":
                    for side in ("target", "perpetrator"):
                        bullying_inform_guardians(case=case, side=side, informed_at=at,
                                                  method="in_person", by=lead, at=at)
                elif step == "support" and counselor is not None:
                    bullying_record_support(
                        case=case, text="与被欺凌学生个别心理辅导一次，情绪趋于稳定。",
                        by=counselor, at=at)
                elif step == "investigate":
                    case = bullying_start_investigation(case=case, by=lead, at=at)
                elif step in ("decide", "not_bullying"):
                    case = bullying_decide(
                        case=case, committee_on=clock.today(at),
                        committee_members="校长、法治副校长、德育主任、班主任、家长代表",
                        is_bullying=step == "decide",
                        finding="经调查，行为人多次故意实施，构成学生欺凌。" if step == "decide"
                        else "系同学间玩笑，未造成伤害，不构成欺凌。",
                        investigation_findings="调取监控并分别询问双方及目击学生。",
                        severity="serious" if step == "decide" else "",
                        measures=["education", "discipline"] if step == "decide" else [],
                        by=principal, at=at)
                elif step == "visit":
                    bullying_schedule_visit(case=case, assignee_id=teacher.pk,
                                            due_on=clock.today(now) + dt.timedelta(days=3),
                                            by=lead, at=at)
                    bullying_record_visit(case=case, text="家访：家长表示孩子情绪好转。", by=lead,
                                          at=at)
                elif step == "appeal":
                    case = bullying_appeal(case=case, appealed_on=clock.today(at), by=lead,
                                           at=at)
                elif step in ("recheck", "close", "follow_up"):
                    case = bullying_transition(case=case, name=step, by=principal, at=at,
                                               reason=BULLYING_REASONS.get(step, ""))


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
    schedule = disputes.Schedule(bureau.pk)
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
            due = disputes.due_date(month, schedule(month))
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
