"""Demo data of the ground floor: one district, 30 schools of every type,
people in every role (called first by `manage.py seed_demo`; each app above adds
its own in `<app>/demo.py`).

Idempotent: run it again and nothing is duplicated, and passwords that were
changed are left alone. Demo passwords are set only with DEBUG on; under
production settings the accounts get unusable passwords.

With DEBUG on, the bureau accounts (who must enter a TOTP code at sign-in) get a
TOTP device with a fixed demo key (`demo_totp_key`), and `manage.py totp_code
USERNAME` prints its current code; a device someone enrolled is left alone.
School staff get none: they enrol when a page first asks (step-up).
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from core import clock

from . import demo_roster
from .models import (
    Bureau,
    Membership,
    Role,
    School,
    SchoolType,
    TaskForceMember,
    User,
)
from .school_year import current_school_year
from .second_factor import demo_device
from .services import task_force_add_member

DEMO_PASSWORD = "Demo-2026-anquan"
BUREAU_CODE = "DEMO-EDU"
BUREAU_NAME = "示例区教育和体育局"
# 机关代字: the short name before 〔year〕 in the bureau's document numbers.
BUREAU_DOC_CODE = "示例区教体局"

GRADES = {
    SchoolType.KINDERGARTEN: range(1, 4),
    SchoolType.PRIMARY: range(1, 7),
    SchoolType.JUNIOR: range(7, 10),
    SchoolType.SENIOR: range(10, 13),
    SchoolType.NINE_YEAR: range(1, 10),
    SchoolType.COMPLETE_SECONDARY: range(7, 13),
    SchoolType.TWELVE_YEAR: range(1, 13),
    SchoolType.SPECIAL: range(1, 10),
}

# (type, name); 30 schools covering every type. Number 29 is closed and 30 is
# outside the campaign, so rates and "expected" counts have something to skip.
SCHOOLS = [
    (SchoolType.PRIMARY, "示例区实验小学"),
    (SchoolType.PRIMARY, "示例区第二小学"),
    (SchoolType.PRIMARY, "示例区第三小学"),
    (SchoolType.PRIMARY, "东城镇中心小学"),
    (SchoolType.PRIMARY, "西河镇中心小学"),
    (SchoolType.PRIMARY, "南湖小学"),
    (SchoolType.PRIMARY, "北关小学"),
    (SchoolType.PRIMARY, "柳林小学"),
    (SchoolType.PRIMARY, "桃园小学"),
    (SchoolType.KINDERGARTEN, "示例区第一幼儿园"),
    (SchoolType.KINDERGARTEN, "示例区第二幼儿园"),
    (SchoolType.KINDERGARTEN, "东城镇中心幼儿园"),
    (SchoolType.KINDERGARTEN, "西河镇中心幼儿园"),
    (SchoolType.KINDERGARTEN, "阳光幼儿园"),
    (SchoolType.JUNIOR, "示例区第一初级中学"),
    (SchoolType.JUNIOR, "示例区第二初级中学"),
    (SchoolType.JUNIOR, "东城镇初级中学"),
    (SchoolType.JUNIOR, "西河镇初级中学"),
    (SchoolType.SENIOR, "示例区第一高级中学"),
    (SchoolType.SENIOR, "示例区第二高级中学"),
    (SchoolType.NINE_YEAR, "南湖九年一贯制学校"),
    (SchoolType.NINE_YEAR, "北山九年一贯制学校"),
    (SchoolType.NINE_YEAR, "青石九年一贯制学校"),
    (SchoolType.COMPLETE_SECONDARY, "示例区实验中学"),
    (SchoolType.TWELVE_YEAR, "示例区外国语学校"),
    (SchoolType.SPECIAL, "示例区特殊教育学校"),
    (SchoolType.PRIMARY, "红星小学"),
    (SchoolType.KINDERGARTEN, "红星幼儿园"),
    (SchoolType.PRIMARY, "石桥村小学"),
    (SchoolType.JUNIOR, "示例区民办育才中学"),
]
CLOSED = {29}
OUT_OF_CAMPAIGN = {30}

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ["建国", "海燕", "志强", "丽娟", "伟", "静", "秀英", "敏", "军", "洋", "艳", "勇",
         "杰", "娜", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "文", "华"]

SCHOOL_ROLE_ACCOUNTS = [
    # (username suffix, role, duty on the task force or None)
    ("principal", Role.PRINCIPAL, "组长：全面负责"),
    ("safety", Role.SAFETY_OFFICER, "校园安全与进度报告"),
    ("teacher-a", Role.HEAD_TEACHER, None),
    ("teacher-b", Role.HEAD_TEACHER, None),
    ("counselor", Role.COUNSELOR, "心理健康"),
    ("staff", Role.STAFF, None),
]
BUREAU_ACCOUNTS = [
    ("bureau-admin", Role.BUREAU_ADMIN, "刘建华"),
    ("inspector", Role.INSPECTOR, "陈志明"),
    ("inspector2", Role.INSPECTOR, "赵丽"),
    ("auditor", Role.AUDITOR, "孙敏"),
    ("protection", Role.PROTECTION_OFFICER, "周晓红"),
]
# 强制报告负责人: the principal designates themself and the safety officer
# (issue 10); the designation is a second membership beside the own role.
REPORTING_LEAD_SUFFIXES = ("principal", "safety")


@dataclass
class District:
    """What seed_district made: the bureau, the logins worth printing, how many
    users were new."""

    bureau: Bureau | None = None
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    created_users: int = 0
    created_pupils: int = 0


def demo_totp_key(username: str) -> str:
    """The fixed demo TOTP key of a demo account: 40 hex digits (20 bytes),
    the same on every machine, so a tester can also add it to a phone."""
    return hashlib.sha256(f"safety-portal-demo-totp:{username}".encode()).hexdigest()[:40]


def _name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]


def seed_district(*, schools: int = len(SCHOOLS), only: set[int] | None = None,
                  pupils: bool = True) -> District:
    """The demo bureau, its first `schools` schools (or the school numbers in
    `only`, 1-based: tests pick a few types) with this and last school year's
    classes, staff in every role and, with `pupils`, their roster
    (schools.demo_roster), and the bureau's accounts."""
    district = District()
    bureau, _ = Bureau.objects.get_or_create(code=BUREAU_CODE, defaults={
        "name": BUREAU_NAME, "doc_code": BUREAU_DOC_CODE})
    district.bureau = bureau
    for username, role, full_name in BUREAU_ACCOUNTS:
        user = _user(district, username, full_name)
        Membership.objects.get_or_create(user=user, role=role, bureau=bureau)
        if settings.DEBUG and not user.totpdevice_set.filter(confirmed=True).exists():
            demo_device(user, demo_totp_key(username))
        district.logins.append((username, role.label, BUREAU_NAME))
    for number, (school_type, name) in enumerate(SCHOOLS[:schools], start=1):
        if only is not None and number not in only:
            continue
        _school(district, bureau, number, school_type, name, pupils=pupils)
        if number <= 2:
            district.logins += [(f"s{number:02d}-{suffix}", role.label, name)
                                for suffix, role, _ in SCHOOL_ROLE_ACCOUNTS]
    return district


def _user(district: District, username: str, full_name: str) -> User:
    # example.org addresses: make run writes their notices to var/mail/.
    user, created = User.objects.get_or_create(
        username=username, defaults={"full_name": full_name,
                                     "email": f"{username}@example.org"}
    )
    if created:
        if settings.DEBUG:
            user.set_password(DEMO_PASSWORD)
        else:
            user.set_unusable_password()
        user.save(update_fields=["password"])
    district.created_users += int(created)
    return user


def _school(district: District, bureau: Bureau, number: int, school_type: str,
            name: str, *, pupils: bool = True) -> School:
    school, _ = School.objects.get_or_create(
        code=f"S{number:03d}",
        defaults={
            "bureau": bureau,
            "name": name,
            "school_type": school_type,
            "address": f"示例区{name[:2]}路{number}号",
            "is_open": number not in CLOSED,
            "in_campaign": number not in OUT_OF_CAMPAIGN,
            # In the campaign since New Year: the demo's past deadlines
            # (reporting.demo) expect it (issue 8 item 3).
            "joined_on": dt.date(clock.today().year, 1, 1),
        },
    )
    plan = demo_roster.plan_for(number, school_type, name)
    classes = demo_roster.ensure_classes(school, GRADES[school_type], plan)
    this_year = classes[current_school_year()]
    has_task_force = TaskForceMember.objects.filter(school=school).exists()
    for index, (suffix, role, duty) in enumerate(SCHOOL_ROLE_ACCOUNTS):
        user = _user(district, f"s{number:02d}-{suffix}", _name(number * 10 + index))
        membership, _ = Membership.objects.get_or_create(
            user=user, role=role, school=school
        )
        if role == Role.HEAD_TEACHER:
            demo_roster.seed_head_teacher_classes(
                membership, this_year, first=0 if suffix.endswith("a") else 1)
        if suffix in REPORTING_LEAD_SUFFIXES:
            Membership.objects.get_or_create(user=user, role=Role.REPORTING_LEAD, school=school)
        if not has_task_force and duty is not None:
            task_force_add_member(
                school=school, user=user, duty=duty, is_leader=role == Role.PRINCIPAL
            )
    if pupils and school.is_open:
        district.created_pupils += demo_roster.seed_school_roster(school, number, plan, classes)
    return school


# The school whose roster the sample file holds (示例区实验小学), and who to
# sign in as to try it: its safety officer manages the roster.
SAMPLE_SCHOOL = 1


def write_sample_roster():
    """Write var/demo/学生名册样例.xlsx (settings.VAR_DIR) for demo school
    SAMPLE_SCHOOL, to try the roster importer on (schools.demo_roster.
    write_sample_roster says what it changes). Returns its Path, or None when
    that school has no pupils (not seeded)."""
    school = School.objects.filter(code=f"S{SAMPLE_SCHOOL:03d}", bureau__code=BUREAU_CODE).first()
    if school is None or not school.pupils.exists():
        return None
    path = Path(settings.VAR_DIR) / "demo" / demo_roster.SAMPLE_FILE_NAME
    demo_roster.write_sample_roster(school, SAMPLE_SCHOOL, path)
    return path
