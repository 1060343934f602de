"""Build (once) one bureau per size: schools, staff, a campaign, its reports.

Each phase runs in one transaction and is skipped when its rows already exist,
so a second run reuses the data."""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from reporting import tallies
from reporting.models import Campaign, Deadline, DeadlineKind, ProgressReport, ReportStatus
from reporting.services import deadline_dates
from schools.models import Bureau, Membership, Role, School, SchoolType, User

BATCH = 5000
YEAR = 2026
SUBMITTERS = 300  # the deadline rush (G13): 300 schools; the web scenario uses 30
SUBMITTER_PASSWORD = "bench-Submit-2026!"
SUBMIT_DUE = dt.date(YEAR, 12, 31)  # the dedicated deadline the web submissions use
CAMPAIGN_NAME = "防范化解未成年人突出安全风险隐患专项治理行动（基准）"
# The follow-up scan's million (followup_scan_s_1000000): a second campaign of
# the large bureau, January–October of the next year, 20 deadlines × 50,000
# schools, nobody has reported yet, so every pair has an open follow-up.
SCAN_CAMPAIGN_NAME = "跟进扫描基准（基准）"
SCAN_YEAR = YEAR + 1
SECTIONS = {
    "organisation": "校长任组长，成立工作专班。",
    "results": "开展安全教育 3 次，覆盖学生 1200 人次。",
    "problems": "部分家长参与度不高。",
    "next_steps": "开展防溺水专题家长会。",
}


@dataclass
class Dataset:
    size: int
    bureau: Bureau
    campaign: Campaign
    deadlines: list  # the 16 progress deadlines, by date
    submit_deadline: Deadline
    inspector: User
    submitters: list  # (username, school pk)


def log(msg: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def build(size: int, submitters: bool = True) -> Dataset:
    code = f"BENCH-{size}"
    bureau, _ = Bureau.objects.get_or_create(code=code, defaults={"name": f"基准测试区 {size}"})
    campaign = _campaign(bureau)
    deadlines, submit_deadline = _deadlines(campaign)
    _schools(bureau, size)
    inspector = _staff(bureau, size)
    _reports(campaign, deadlines, size)
    _tallies([*deadlines, submit_deadline])
    _followups(campaign, [*deadlines, submit_deadline])
    submitters = _submitters(bureau, size, SUBMITTERS) if submitters else []
    return Dataset(size=size, bureau=bureau, campaign=campaign, deadlines=deadlines,
                   submit_deadline=submit_deadline, inspector=inspector, submitters=submitters)


def _campaign(bureau: Bureau) -> Campaign:
    campaign = Campaign.objects.filter(bureau=bureau, name=CAMPAIGN_NAME).first()
    if campaign is None:
        campaign = Campaign.objects.create(
            bureau=bureau, name=CAMPAIGN_NAME,
            start_month=dt.date(YEAR, 5, 1), end_date=dt.date(YEAR, 12, 31),
            school_types=list(SchoolType.values))
    return campaign


def _deadlines(campaign: Campaign):
    wanted = [due for kind, due in deadline_dates(campaign.start_month, campaign.end_date)
              if kind == DeadlineKind.PROGRESS]
    assert len(wanted) == 16, wanted
    have = set(campaign.deadlines.filter(kind=DeadlineKind.PROGRESS)
               .values_list("original_due_date", flat=True))
    Deadline.objects.bulk_create([
        Deadline(campaign=campaign, kind=DeadlineKind.PROGRESS, due_date=d, original_due_date=d)
        for d in [*wanted, SUBMIT_DUE] if d not in have
    ])
    rows = {d.original_due_date: d for d in campaign.deadlines.filter(kind=DeadlineKind.PROGRESS)}
    return [rows[d] for d in wanted], rows[SUBMIT_DUE]


JOINED = dt.date(2000, 1, 1)


def _schools(bureau: Bureau, size: int) -> None:
    # A database built before schools had a campaign period was migrated to
    # "joined when created": put them back before the deadlines (the tallies
    # are recounted by build() afterwards).
    School.objects.filter(bureau=bureau, joined_on__gt=JOINED, closed_on=None).update(
        joined_on=JOINED)
    n = School.objects.filter(bureau=bureau).count()
    if n >= size:
        return
    t = time.perf_counter()
    with transaction.atomic():
        School.objects.bulk_create(
            # In the campaign before any of its deadlines (issue 8 item 3).
            [School(bureau=bureau, code=f"B{size}-{i:06d}", name=f"基准第{i}小学",
                    school_type=SchoolType.PRIMARY, joined_on=JOINED)
             for i in range(n, size)],
            batch_size=BATCH)
    log(f"{size - n} schools in {time.perf_counter() - t:.1f} s")


def _staff(bureau: Bureau, size: int) -> User:
    inspector, created = User.objects.get_or_create(
        username=f"bench{size}-inspector",
        defaults={"full_name": "督导员", "password": make_password(None)})
    Membership.objects.get_or_create(user=inspector, role=Role.INSPECTOR, bureau=bureau)
    if Membership.objects.filter(school__bureau=bureau).count() >= 2 * size:
        return inspector
    t = time.perf_counter()
    with transaction.atomic():
        # A half-built earlier run cannot survive its transaction, but be safe.
        User.objects.filter(username__startswith=f"bench{size}-s").delete()
        schools = list(School.objects.filter(bureau=bureau).order_by("code")
                       .values_list("pk", "code"))
        for start in range(0, len(schools), BATCH):
            chunk = schools[start:start + BATCH]
            users = []
            for _pk, code in chunk:
                for role in ("p", "o"):
                    users.append(User(username=f"bench{size}-s{code}-{role}",
                                      full_name=f"{code}{role}", password=make_password(None)))
            User.objects.bulk_create(users)
            members = []
            for i, (pk, _code) in enumerate(chunk):
                members.append(Membership(user=users[2 * i], role=Role.PRINCIPAL, school_id=pk))
                members.append(Membership(user=users[2 * i + 1], role=Role.SAFETY_OFFICER,
                                          school_id=pk))
            Membership.objects.bulk_create(members)
    log(f"{2 * size} school staff + memberships in {time.perf_counter() - t:.1f} s")
    return inspector


def _reports(campaign: Campaign, deadlines: list, size: int) -> None:
    existing = ProgressReport.objects.filter(deadline__in=deadlines).count()
    if existing:
        return
    t = time.perf_counter()
    rng = random.Random(size)
    now = timezone.now()
    school_ids = list(School.objects.filter(bureau=campaign.bureau).order_by("code")
                      .values_list("pk", flat=True))
    n = 0
    with transaction.atomic():
        batch = []
        for school_id in school_ids:
            for d in deadlines:
                if rng.random() >= 0.8:
                    continue  # ~20 % of (school, deadline) pairs have no report at all
                batch.append(_report(rng, school_id, d, now))
                if len(batch) >= BATCH:
                    ProgressReport.objects.bulk_create(batch)
                    n += len(batch)
                    batch = []
        if batch:
            ProgressReport.objects.bulk_create(batch)
            n += len(batch)
    log(f"{n} progress reports in {time.perf_counter() - t:.1f} s")


def _tallies(deadlines: list) -> None:
    """The reports were loaded in bulk, around the services: recount the
    dashboard's tallies, as `manage.py rebuild_tallies` does after an import."""
    t = time.perf_counter()
    wrong = sum(tallies.rebuild([d]) for d in deadlines)
    log(f"tallies of {len(deadlines)} deadlines recounted in {time.perf_counter() - t:.1f} s "
        f"({wrong} rows changed)")


def _followups(campaign: Campaign, deadlines: list) -> None:
    """The reports were loaded around the services, so were their follow-ups:
    open them as reporting.followups.arm_deadlines would have when the
    deadlines were generated, and mark done those whose school submitted, as
    report_arrived would have (benchmarks/bulk.py, set-based)."""
    from . import bulk

    t = time.perf_counter()
    opened, done = bulk.arm_followups(campaign, deadlines)
    if opened or done:
        log(f"follow-ups: {opened} open, {done} done in {time.perf_counter() - t:.1f} s")


def build_scan_campaign(bureau: Bureau) -> tuple[Campaign, list]:
    """The follow-up scan's million: 20 deadlines × the bureau's schools, all
    open (build_scan_campaign is separate from build so the dashboard and the
    export still read the one campaign they always read)."""
    from . import bulk

    campaign = Campaign.objects.filter(bureau=bureau, name=SCAN_CAMPAIGN_NAME).first()
    if campaign is None:
        campaign = Campaign.objects.create(
            bureau=bureau, name=SCAN_CAMPAIGN_NAME, start_month=dt.date(SCAN_YEAR, 1, 1),
            end_date=dt.date(SCAN_YEAR, 10, 31), school_types=list(SchoolType.values))
    wanted = [due for _kind, due in deadline_dates(campaign.start_month, campaign.end_date)]
    have = set(campaign.deadlines.values_list("original_due_date", flat=True))
    Deadline.objects.bulk_create([
        Deadline(campaign=campaign, kind=DeadlineKind.PROGRESS, due_date=d, original_due_date=d)
        for d in wanted if d not in have])
    deadlines = list(campaign.deadlines.order_by("due_date"))
    t = time.perf_counter()
    opened, done = bulk.arm_followups(campaign, deadlines)
    if opened or done:
        log(f"scan campaign: {len(deadlines)} deadlines, {opened} open follow-ups in "
            f"{time.perf_counter() - t:.1f} s")
    return campaign, deadlines


def _report(rng: random.Random, school_id: int, d: Deadline, now: dt.datetime) -> ProgressReport:
    closes = d.closes_at
    r = rng.random()
    past = closes <= now
    if r < 0.05:
        status, at = ReportStatus.DRAFT, None
    elif r < 0.20 and past:
        status, at = ReportStatus.SUBMITTED, closes + dt.timedelta(hours=rng.randint(1, 96))
    else:
        at = closes - dt.timedelta(hours=rng.randint(2, 200))
        at = min(at, now - dt.timedelta(minutes=5))
        status = (ReportStatus.APPROVED if r < 0.45 else
                  ReportStatus.RETURNED if r < 0.55 else ReportStatus.SUBMITTED)
    return ProgressReport(
        school_id=school_id, deadline=d, status=status, sections=SECTIONS,
        first_submitted_at=at, last_submitted_at=at,
        approved_at=at + dt.timedelta(days=1) if status == ReportStatus.APPROVED else None,
        return_reason="请补充照片。" if status == ReportStatus.RETURNED else "")


def _submitters(bureau: Bureau, size: int, n: int) -> list[tuple[str, int]]:
    """The first `n` schools' safety officers get a real (Argon2) password: one
    hash shared by all of them, computed once."""
    members = list(Membership.objects.filter(school__bureau=bureau, role=Role.SAFETY_OFFICER)
                   .select_related("user").order_by("school__code")[:n])
    if members and not all(m.user.check_password(SUBMITTER_PASSWORD)
                           for m in (members[0], members[-1])):
        User.objects.filter(pk__in=[m.user_id for m in members]).update(
            password=make_password(SUBMITTER_PASSWORD))
    return [(m.user.username, m.school_id) for m in members]


def reset_submissions(ds: Dataset) -> int:
    """Forget earlier benchmark submissions to the dedicated deadline."""
    deleted, _ = ProgressReport.objects.filter(deadline=ds.submit_deadline).delete()
    tallies.rebuild([ds.submit_deadline])
    return deleted
