"""The demo district's pupils (issue 9 item 9): a realistic roster for every
open demo school, made up and the same on every run.

Called by schools.demo.seed_district after each school's classes and staff
exist. Per school, a `RosterPlan` (classes per grade, pupils per class, rural
or not, boarders) drives a `random.Random` seeded with the school's code, so
the demo is deterministic; everything is written with bulk_create (a few
queries per school). Idempotent: a school that already has pupils is skipped.

Nothing here can reach or name a real person:
- 学籍号 are "G" + an 18-character ID number on region code 99xxxx, which no
  province has (GB/T 2260 province codes run 11–82), with a correct GB 11643
  check character (schools.student_numbers.id_check_character);
- guardian phones are 100 + 8 digits: the 100 prefix is not assigned to mobile
  numbers (the national numbering plan gives mobiles 13x–19x), so they never ring;
- names are drawn from common surnames and given-name characters; villages and
  communities are invented.

Who is what (rules of the demo, not of the portal):
- age: 6 years old by 31 August in grade 1 (义务教育法 §11, the national
  entry rule); kindergarten 小班/中班/大班 are 3, 4 and 5;
- 留守儿童 (国发〔2016〕13号: both parents work away, or one does and the other
  cannot look after the child): about 15% of pupils of rural schools, living
  with a grandparent, a parent working away (works_away, with the place);
- a few 困境儿童 with a sub-type, 残疾儿童 (every pupil of the special school),
  随迁子女 in town schools; recorded by the school's safety officer.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from itertools import accumulate

from .models import Membership, Role, School, SchoolClass, SchoolType, User
from .pupil_counts import mark_counts_stale
from .pupil_models import (
    Circumstance,
    DifficultyType,
    Enrolment,
    Gender,
    Guardian,
    GuardianRelationship,
    PriorityGroup,
    Pupil,
    PupilStatus,
)
from .school_year import current_school_year, first_day
from .student_numbers import id_check_character

# Region code of every demo 学籍号: "99" is no province (GB/T 2260), so a demo
# number is never someone's ID number. The school's number fills the last two
# digits: 990101 is school S001.
FAKE_REGION_PREFIX = "9901"
# Demo guardian phones: 100 + 8 digits, a prefix no mobile number has.
FAKE_PHONE_PREFIX = "100"

LEFT_BEHIND_SHARE = 0.15  # of a rural school's pupils
WORK_AWAY_PLACES = ["广东东莞", "广东深圳", "广东广州", "浙江宁波", "浙江义乌", "江苏苏州",
                    "上海", "福建晋江", "北京", "江苏昆山", "浙江杭州", "广东佛山"]


@dataclass(frozen=True)
class RosterPlan:
    """How a demo school's roll looks: `classes` per grade (each grade of
    schools.demo.GRADES), `class_size` (pupils per class, ± 3), `rural` (a
    town or village school: 留守儿童, villages as home areas), `boarder_share`
    of pupils in grades 7–12 who board."""

    classes: int
    class_size: int
    rural: bool = False
    boarder_share: float = 0.0


def plan_for(number: int, school_type: str, name: str) -> RosterPlan:
    """The roster plan of demo school `number` (1-based, schools.demo.SCHOOLS).
    Rural: a 镇 (town) or 村 (village) school, or one of the hill schools
    (北山, 青石). Sizes: kindergarten ~300, primary ~700–1,200 (the village
    school ~360), junior ~700–1,100, senior ~1,200, nine-year ~700–1,100,
    special ~100."""
    rural = "镇" in name or "村" in name or name.startswith(("北山", "青石"))
    village = "村" in name
    if school_type == SchoolType.KINDERGARTEN:
        return RosterPlan(classes=3, class_size=33, rural=rural)
    if school_type == SchoolType.PRIMARY:
        if village:
            return RosterPlan(classes=2, class_size=30, rural=True)
        return RosterPlan(classes=3 if rural else 4 + number % 2, class_size=40, rural=rural)
    if school_type == SchoolType.JUNIOR:
        return RosterPlan(classes=5 if rural else 8, class_size=46, rural=rural,
                          boarder_share=0.3 if rural else 0.05)
    if school_type == SchoolType.SENIOR:
        return RosterPlan(classes=8, class_size=50, boarder_share=0.5)
    if school_type == SchoolType.NINE_YEAR:
        return RosterPlan(classes=2 if rural else 3, class_size=40, rural=rural,
                          boarder_share=0.3 if rural else 0.05)
    if school_type == SchoolType.COMPLETE_SECONDARY:
        return RosterPlan(classes=4, class_size=48, boarder_share=0.3)
    if school_type == SchoolType.TWELVE_YEAR:
        return RosterPlan(classes=2, class_size=45, boarder_share=0.2)
    # Special education: small classes, every child has a disability.
    return RosterPlan(classes=1, class_size=12, boarder_share=0.3)


# ------------------------------------------------------------------ names

# Common surnames with their rough share (per mille) of the population
# (the public ranking of the 2020 census); the rest share what is left.
SURNAMES = [
    ("王", 73), ("李", 72), ("张", 69), ("刘", 54), ("陈", 46), ("杨", 31), ("黄", 24),
    ("赵", 23), ("吴", 21), ("周", 21), ("徐", 17), ("孙", 15), ("马", 15), ("朱", 14),
    ("胡", 13), ("郭", 13), ("何", 12), ("林", 12), ("高", 12), ("罗", 11), ("郑", 11),
    ("梁", 10), ("谢", 8), ("宋", 8), ("唐", 8), ("许", 7), ("韩", 7), ("冯", 7),
    ("邓", 7), ("曹", 7), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 6), ("董", 5),
    ("袁", 5), ("潘", 5), ("于", 5), ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 5),
    ("叶", 5), ("程", 5), ("苏", 4), ("魏", 4), ("吕", 4), ("丁", 4), ("任", 4),
    ("沈", 4), ("姚", 4), ("卢", 4), ("姜", 4), ("崔", 4), ("钟", 4), ("谭", 4),
    ("陆", 3), ("汪", 3), ("范", 3), ("金", 3), ("石", 3), ("廖", 3), ("贾", 3),
    ("夏", 3), ("韦", 3), ("付", 3), ("方", 3), ("白", 3), ("邹", 3), ("孟", 3),
]
_SURNAME_CHARS = [s for s, _ in SURNAMES]
_SURNAME_CUM_WEIGHTS = list(accumulate(w for _, w in SURNAMES))

# Given-name characters of children born 2008–2023, by gender, and some used
# for both.
BOY_CHARS = "浩宇轩子辰博文泽皓睿俊杰然涛鑫磊晨航凯明瑞嘉豪翔鹏阳天昊铭一熙宸烨"
GIRL_CHARS = "梓涵欣怡诗雨佳琪思悦可馨若彤婷瑶雅琳语萱晴雪紫颖婉茜蕊妍楠媛菲"
BOTH_CHARS = "子一可思雨安乐宁嘉晨星言"
# Parents (born 1975–1995) and grandparents (born 1945–1965).
PARENT_MALE = ["建华", "志强", "伟", "军", "勇", "磊", "海峰", "建军", "小龙", "国强",
               "俊", "斌", "涛", "鹏", "明", "永刚", "红军", "文杰", "超", "亮"]
PARENT_FEMALE = ["丽", "静", "敏", "艳", "娟", "丽娟", "海燕", "芳", "霞", "玲", "红梅",
                 "秀梅", "晓燕", "小红", "春燕", "慧", "倩", "燕", "娜", "莉"]
ELDER_MALE = ["建国", "国庆", "德福", "长顺", "振华", "富贵", "明德", "新民", "保国", "永福"]
ELDER_FEMALE = ["桂英", "秀兰", "玉兰", "淑珍", "凤英", "桂兰", "秀英", "春兰", "翠花", "素芬"]

_VILLAGE_HEADS = ["张庄", "李家湾", "王家坡", "刘集", "陈家沟", "杨树屯", "赵楼", "河西",
                  "河东", "石桥", "柳树湾", "前营", "后营", "枣林", "桃园", "马家岭",
                  "北洼", "南岗", "高家庄", "孙家堡"]
_COMMUNITY_HEADS = ["河西", "城南", "城北", "建设路", "滨湖", "幸福里", "文化路", "新华",
                    "东关", "西苑", "人民路", "花园", "锦绣", "朝阳", "和平", "光明"]

# How the template writes a grade (the reader takes these and more).
GRADE_WORDS = {
    SchoolType.KINDERGARTEN: {1: "小班", 2: "中班", 3: "大班"},
}
_NUMBERS = "一二三四五六七八九"
_SCHOOL_GRADE_WORDS = {g: f"{_NUMBERS[g - 1]}年级" for g in range(1, 10)} | {
    10: "高一", 11: "高二", 12: "高三"}


def grade_word(school_type: str, grade: int) -> str:
    """"三年级", "七年级", "高一", "小班": how a Chinese roster writes a grade."""
    return GRADE_WORDS.get(school_type, _SCHOOL_GRADE_WORDS).get(grade, str(grade))


def _child_name(rng: random.Random, surname: str, male: bool) -> str:
    pool = BOY_CHARS if male else GIRL_CHARS
    if rng.random() < 0.25:
        return surname + rng.choice(pool)
    first = rng.choice(BOTH_CHARS if rng.random() < 0.2 else pool)
    return surname + first + rng.choice(pool)


def _surname(rng: random.Random) -> str:
    return rng.choices(_SURNAME_CHARS, cum_weights=_SURNAME_CUM_WEIGHTS)[0]


def _phone(rng: random.Random) -> str:
    return f"{FAKE_PHONE_PREFIX}{rng.randrange(10**8):08d}"


# ------------------------------------------------------------------ numbers


def fake_region(number: int) -> str:
    """The made-up region code (6 digits, "99…") of demo school `number`."""
    return f"{FAKE_REGION_PREFIX}{number:02d}"


class StudentNumbers:
    """Hands out distinct demo 学籍号 for one school: "G" + region + date of
    birth + a 3-digit sequence (odd for boys, even for girls, as GB 11643)
    + the check character."""

    def __init__(self, region: str, rng: random.Random):
        self.region = region
        self.rng = rng
        self.next: dict[tuple[dt.date, bool], int] = {}

    def issue(self, born: dt.date, male: bool) -> str:
        key = (born, male)
        n = self.next.get(key)
        if n is None:
            n = self.rng.randrange(0, 300)
        self.next[key] = n + 1
        sequence = n * 2 + (1 if male else 0)
        first17 = f"{self.region}{born:%Y%m%d}{sequence:03d}"
        return "G" + first17 + id_check_character(first17)


# ------------------------------------------------------------------ seeding


def age_on_entry(school_type: str, grade: int) -> int:
    """Age by 31 August of the year a pupil is in `grade`: 6 in grade 1,
    3 in 小班 (kindergarten grade 1)."""
    return grade + 2 if school_type == SchoolType.KINDERGARTEN else grade + 5


def _birth_date(rng: random.Random, school_year: int, age: int) -> dt.date:
    # Born between 1 September and 31 August so as to be `age` by 31 August
    # of the school year's start.
    start = dt.date(school_year - age - 1, 9, 1)
    return start + dt.timedelta(days=rng.randrange(365))


def ensure_classes(school: School, grades, plan: RosterPlan) -> dict[int, list[SchoolClass]]:
    """This school year's and last year's classes of `school` (plan.classes a
    grade, numbered 1…), created when missing. Returns {school year: classes
    in (grade, number) order}. Two queries when all exist."""
    this_year = current_school_year()
    years = (this_year - 1, this_year)
    have = {(c.school_year, c.grade, c.number): c
            for c in SchoolClass.objects.filter(school=school, school_year__in=years)}
    missing = [SchoolClass(school=school, school_year=y, grade=g, number=n)
               for y in years for g in grades for n in range(1, plan.classes + 1)
               if (y, g, n) not in have]
    if missing:
        SchoolClass.objects.bulk_create(missing)
        have.update({(c.school_year, c.grade, c.number): c for c in missing})
    return {y: sorted((c for c in have.values() if c.school_year == y),
                      key=lambda c: (c.grade, c.number)) for y in years}


@dataclass
class _Draft:
    pupil: Pupil
    guardians: list[Guardian]
    circumstances: list[Circumstance]
    enrolments: list[Enrolment]


def seed_school_roster(school: School, number: int, plan: RosterPlan,
                       classes: dict[int, list[SchoolClass]]) -> int:
    """Pupils, guardians, enrolments (last year and this) and circumstances
    for `school`, unless it has pupils already. Returns how many pupils were
    created (0 when skipped). About ten queries whatever the size."""
    if Pupil.objects.filter(school=school).exists():
        return 0
    rng = random.Random(f"safety-portal-demo-roster:{school.code}")  # noqa: S311 (demo data)
    officer = (User.objects.filter(memberships__school=school,
                                   memberships__role=Role.SAFETY_OFFICER)
               .values_list("pk", flat=True).first())
    this_year = current_school_year()
    grades_now = sorted({c.grade for c in classes[this_year]})
    last_year = {(c.grade, c.number): c for c in classes[this_year - 1]}
    heads = _VILLAGE_HEADS if plan.rural else _COMMUNITY_HEADS
    suffix = "村" if plan.rural else "社区"
    areas = [h + suffix for h in rng.sample(heads, 8)]
    numbers = StudentNumbers(fake_region(number), rng)
    today = _today()
    drafts: list[_Draft] = []
    for cls in classes[this_year]:
        size = plan.class_size + rng.randint(-3, 3)
        for _ in range(size):
            drafts.append(_pupil(rng, school, cls, plan, numbers, areas, officer, today,
                                 previous=last_year.get((cls.grade - 1, cls.number))
                                 if cls.grade > grades_now[0] else None))
    Pupil.objects.bulk_create([d.pupil for d in drafts], batch_size=2000)
    guardians, circumstances, enrolments = [], [], []
    for d in drafts:
        for obj in d.guardians + d.circumstances + d.enrolments:
            obj.pupil_id = d.pupil.pk  # known now
        guardians += d.guardians
        circumstances += d.circumstances
        enrolments += d.enrolments
    Guardian.objects.bulk_create(guardians, batch_size=2000)
    Circumstance.objects.bulk_create(circumstances, batch_size=2000)
    Enrolment.objects.bulk_create(enrolments, batch_size=2000)
    mark_counts_stale([school.pk])  # bulk writes send no signals
    return len(drafts)


def _today() -> dt.date:
    from core import clock

    return clock.today()


def _pupil(rng: random.Random, school: School, cls: SchoolClass, plan: RosterPlan,
           numbers: StudentNumbers, areas: list[str], officer, today: dt.date,
           previous: SchoolClass | None) -> _Draft:
    year = cls.school_year
    male = rng.random() < 0.52
    surname = _surname(rng)
    age = age_on_entry(school.school_type, cls.grade) + (1 if rng.random() < 0.03 else 0)
    born = _birth_date(rng, year, age)
    roll = rng.random()
    status, current_class, changed_on = PupilStatus.ENROLLED, cls, first_day(year)
    if previous is None:
        changed_on = first_day(year)
    elif roll < 0.010:
        status, current_class = PupilStatus.TRANSFERRED_OUT, None
        changed_on = _day_this_year(rng, year, today)
    elif roll < 0.015:
        status = PupilStatus.SUSPENDED
        changed_on = _day_this_year(rng, year, today)
    pupil = Pupil(
        code=uuid.UUID(int=rng.getrandbits(128), version=4),
        bureau_id=school.bureau_id, school_id=school.pk,
        student_number=numbers.issue(born, male),
        name=_child_name(rng, surname, male),
        gender=Gender.MALE if male else Gender.FEMALE,
        date_of_birth=born, current_class_id=current_class and current_class.pk,
        status=status,
        status_changed_on=changed_on,
        boarder=cls.grade >= 7 and rng.random() < plan.boarder_share,
        home_area=rng.choice(areas),
    )
    enrolments = [Enrolment(school_year=year, school_id=school.pk, school_class_id=cls.pk)]
    if previous is not None and rng.random() > 0.02:  # a few came this year
        enrolments.append(Enrolment(school_year=year - 1, school_id=school.pk,
                                    school_class_id=previous.pk))
    left_behind = (plan.rural and cls.grade <= 9 and rng.random() < LEFT_BEHIND_SHARE)
    guardians = _guardians(rng, surname, left_behind, plan.rural)
    circumstances = []

    def record(group, since, note, difficulty_type="", until=None):
        circumstances.append(Circumstance(
            code=uuid.UUID(int=rng.getrandbits(128), version=4), group=group,
            difficulty_type=difficulty_type, since=min(since, today), until=until,
            note=note, recorded_by_id=officer))

    if left_behind:
        place = next(g.works_away_place for g in guardians if g.works_away)
        record(PriorityGroup.LEFT_BEHIND, first_day(year - rng.randint(0, 2)),
               f"父母在{place}务工，随祖辈生活；每月电话家访一次。")
    elif plan.rural and rng.random() < 0.02:
        # Was left behind; a parent came home last year.
        since = first_day(year - 3)
        record(PriorityGroup.LEFT_BEHIND, since, "父母外出务工期间随祖辈生活。",
               until=first_day(year) - dt.timedelta(days=rng.randint(30, 300)))
    if school.school_type == SchoolType.SPECIAL or rng.random() < 0.005:
        record(PriorityGroup.DISABLED, born + dt.timedelta(days=365 * 3),
               rng.choice(["持残疾人证（肢体三级）。", "听力残疾，佩戴助听器。",
                           "智力残疾，随班就读。", "视力残疾（低视力）。"]))
    if rng.random() < 0.01:
        kind = rng.choices([DifficultyType.FAMILY, DifficultyType.OWN, DifficultyType.SAFETY,
                            DifficultyType.TEMPORARY, DifficultyType.ORPHAN],
                           [50, 20, 10, 15, 5])[0]
        record(PriorityGroup.IN_DIFFICULTY, first_day(year - rng.randint(0, 1)),
               {DifficultyType.FAMILY: "父亲重病，家庭经济困难，已纳入低保。",
                DifficultyType.OWN: "长期患病，需定期复诊。",
                DifficultyType.SAFETY: "家庭监护缺失，社区已介入。",
                DifficultyType.TEMPORARY: "家中遭遇火灾，临时救助中。",
                DifficultyType.ORPHAN: "父母双亡，由祖母抚养。"}[kind],
               difficulty_type=kind)
    if not plan.rural and rng.random() < 0.05:
        record(PriorityGroup.MIGRANT, first_day(year - rng.randint(0, 3)),
               "随父母从外省迁入，户籍不在本区。")
    return _Draft(pupil, guardians, circumstances, enrolments)


def _day_this_year(rng: random.Random, year: int, today: dt.date) -> dt.date:
    start = first_day(year)
    return start + dt.timedelta(days=rng.randrange(max((today - start).days, 0) + 1))


def _guardians(rng: random.Random, surname: str, left_behind: bool,
               rural: bool) -> list[Guardian]:
    """1–2 guardians, the primary contact first."""
    R = GuardianRelationship
    mother_surname = _surname(rng)
    father = (R.FATHER, surname + rng.choice(PARENT_MALE))
    mother = (R.MOTHER, mother_surname + rng.choice(PARENT_FEMALE))
    if left_behind:
        elder = rng.choice([(R.GRANDMOTHER, surname + rng.choice(ELDER_FEMALE)),
                            (R.GRANDFATHER, surname + rng.choice(ELDER_MALE)),
                            (R.MATERNAL_GRANDMOTHER, mother_surname + rng.choice(ELDER_FEMALE))])
        parent = rng.choice([father, father, mother])
        place = rng.choice(WORK_AWAY_PLACES)
        return [Guardian(relationship=elder[0], name=elder[1], phone=_phone(rng),
                         is_primary=True),
                Guardian(relationship=parent[0], name=parent[1], phone=_phone(rng),
                         lives_with_child=False, works_away=True, works_away_place=place)]
    first, second = (mother, father) if rng.random() < 0.6 else (father, mother)
    guardians = [Guardian(relationship=first[0], name=first[1], phone=_phone(rng),
                          is_primary=True)]
    if rng.random() < 0.85:
        away = rural and rng.random() < 0.2
        guardians.append(Guardian(
            relationship=second[0], name=second[1], phone=_phone(rng),
            lives_with_child=not away, works_away=away,
            works_away_place=rng.choice(WORK_AWAY_PLACES) if away else ""))
    return guardians


def seed_head_teacher_classes(membership: Membership, classes: list[SchoolClass],
                              first: int) -> None:
    """The demo head teacher number `first` (0 or 1) of a school leads class
    `first + 1` of its first three grades this school year (`classes`: this
    year's, in (grade, number) order); with one class a grade, class 1 of
    grades 1–3 or 4–6. Left alone when they already lead a class this year."""
    if membership.classes.filter(school_year=current_school_year()).exists():
        return
    grades = sorted({c.grade for c in classes})
    if any(c.number == 2 for c in classes):
        led = [c for c in classes if c.grade in grades[:3] and c.number == first + 1]
    else:
        led = [c for c in classes if c.grade in grades[first * 3:first * 3 + 3]]
    membership.classes.add(*led)


# ------------------------------------------------------------------ sample file

SAMPLE_FILE_NAME = "学生名册样例.xlsx"
_TEXT_FIELDS = {"student_number", "guardian1_phone", "guardian2_phone"}


@dataclass
class SampleChanges:
    """What the sample roster changes against the school's pupils, for the
    tests and the demo's own description: 学籍号 (normalised) of pupils who
    moved class, whose first guardian's phone changed, who are new, who are
    missing from the file; the Excel row numbers of the messy cells."""

    moved: list[str]
    phone_changed: list[str]
    new: list[str]
    missing: list[str]
    full_width_row: int = 0
    dotted_date_row: int = 0
    bad_check_digit_row: int = 0


def write_sample_roster(school: School, number: int, path) -> SampleChanges:
    """Write `path` (.xlsx, schools.roster.table.TEMPLATE_COLUMNS as the
    header row) with `school`'s pupils on a class list (在读 and 休学), as a
    school would upload them a few weeks later: 3 pupils moved to another
    class, one first guardian's phone changed, 5 new pupils, 2 pupils left out,
    and what real files hold: one 学籍号 typed in full-width characters, one
    date of birth written "2015.3.5", one new pupil whose 学籍号 has a wrong
    check character (the preview's error row). 学籍号 and phone columns are
    text ("@"). Deterministic; the file is replaced atomically. Returns the
    changes made."""
    import os
    from pathlib import Path

    from openpyxl import Workbook

    from .roster.table import (
        GENDER_WORDS,
        RELATIONSHIP_WORDS,
        STATUS_WORDS,
        TEMPLATE_COLUMNS,
        YES_NO_WORDS,
    )

    rng = random.Random(f"safety-portal-demo-sample:{school.code}")  # noqa: S311 (demo data)
    pupils = list(Pupil.objects.filter(school=school, current_class__isnull=False)
                  .select_related("current_class").prefetch_related("guardians")
                  .order_by("current_class__grade", "current_class__number", "name", "id"))
    rows = []
    for p in pupils:
        row = {"student_number": p.student_number, "name": p.name,
               "gender": GENDER_WORDS[p.gender], "date_of_birth": p.date_of_birth,
               "grade": grade_word(school.school_type, p.current_class.grade),
               "class_number": p.current_class.number, "status": STATUS_WORDS[p.status],
               "boarder": YES_NO_WORDS[p.boarder], "home_area": p.home_area}
        for slot, g in enumerate(list(p.guardians.all())[:2], start=1):
            row |= {f"guardian{slot}_name": g.name,
                    f"guardian{slot}_relationship": RELATIONSHIP_WORDS[g.relationship],
                    f"guardian{slot}_phone": g.phone,
                    f"guardian{slot}_lives_with_child": YES_NO_WORDS[g.lives_with_child],
                    f"guardian{slot}_works_away": YES_NO_WORDS[g.works_away],
                    f"guardian{slot}_works_away_place": g.works_away_place}
        rows.append(row)
    classes_of = {}
    for p in pupils:
        classes_of.setdefault(p.current_class.grade, set()).add(p.current_class.number)
    picks = rng.sample(range(len(rows)), 8)
    moved = [rows[i] for i in picks[:3]]
    for row, p in ((rows[i], pupils[i]) for i in picks[:3]):
        others = sorted(classes_of[p.current_class.grade] - {p.current_class.number})
        row["class_number"] = rng.choice(others) if others else row["class_number"]
    phone_row = rows[picks[3]]
    phone_row["guardian1_phone"] = _phone(rng)
    full_width, dotted = rows[picks[4]], rows[picks[5]]
    gone = set(picks[6:8])  # two pupils left out of the file
    missing = [rows[i] for i in sorted(gone)]
    kept = [r for i, r in enumerate(rows) if i not in gone]
    # New pupils (转入 or late registration): grade 1 of class 1, at the end.
    taken = {p.student_number for p in Pupil.objects.filter(bureau_id=school.bureau_id)}
    numbers = StudentNumbers(fake_region(number), rng)
    first = min(classes_of) if classes_of else 1
    year = current_school_year()
    new = []
    for _ in range(6):
        male = rng.random() < 0.5
        born = _birth_date(rng, year, age_on_entry(school.school_type, first))
        student_number = numbers.issue(born, male)
        while student_number in taken:
            student_number = numbers.issue(born, male)
        surname = _surname(rng)
        father, mother = surname + rng.choice(PARENT_MALE), _surname(rng) + rng.choice(
            PARENT_FEMALE)
        new.append({"student_number": student_number,
                    "name": _child_name(rng, surname, male),
                    "gender": GENDER_WORDS["M" if male else "F"], "date_of_birth": born,
                    "grade": grade_word(school.school_type, first), "class_number": 1,
                    "status": STATUS_WORDS["enrolled"], "boarder": YES_NO_WORDS[False],
                    "home_area": kept[0]["home_area"] if kept else "",
                    "guardian1_name": mother, "guardian1_relationship": "母亲",
                    "guardian1_phone": _phone(rng), "guardian1_lives_with_child": "是",
                    "guardian1_works_away": "否", "guardian2_name": father,
                    "guardian2_relationship": "父亲", "guardian2_phone": _phone(rng),
                    "guardian2_lives_with_child": "是", "guardian2_works_away": "否"})
    bad = new[-1]
    wrong = "0" if bad["student_number"][-1] != "0" else "1"
    bad["student_number"] = bad["student_number"][:-1] + wrong
    changes = SampleChanges(
        moved=[r["student_number"] for r in moved],
        phone_changed=[phone_row["student_number"]],
        new=[r["student_number"] for r in new[:5]],
        missing=[r["student_number"] for r in missing])
    # Messy cells.
    full_width["student_number"] = _full_width(full_width["student_number"])
    born = dotted["date_of_birth"]
    dotted["date_of_birth"] = f"{born.year}.{born.month}.{born.day}"

    wb = Workbook()
    ws = wb.active
    ws.title = "学生名册"
    ws.append([header for _, header in TEMPLATE_COLUMNS])
    fields = [f for f, _ in TEMPLATE_COLUMNS]
    all_rows = kept + new
    for excel_row, row in enumerate(all_rows, start=2):
        for column, f in enumerate(fields, start=1):
            cell = ws.cell(row=excel_row, column=column, value=row.get(f))
            if f in _TEXT_FIELDS:
                cell.number_format = "@"
            elif f == "date_of_birth" and isinstance(row.get(f), dt.date):
                cell.number_format = "yyyy-mm-dd"
        if row is full_width:
            changes.full_width_row = excel_row
        elif row is dotted:
            changes.dotted_date_row = excel_row
        elif row is bad:
            changes.bad_check_digit_row = excel_row
    for column, f in enumerate(fields, start=1):
        letter = ws.cell(row=1, column=column).column_letter
        ws.column_dimensions[letter].width = 22 if f in _TEXT_FIELDS else 12
    ws.freeze_panes = "A2"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    wb.save(partial)
    os.replace(partial, path)
    return changes


def _full_width(text: str) -> str:
    """"G99…" → "Ｇ９９…" (what a school's IME types)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
