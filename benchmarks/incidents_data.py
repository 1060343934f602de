"""This year's mandatory-reporting referrals, bullying cases and dispute
returns of the bench bureaus (`BENCH-<size>`, benchmarks/data.py), for the
two bureau pages of `incidents` (benchmarks/incidents_pages.py). Built
set-based on PostgreSQL (INSERT … SELECT, one statement per table, per month
for the returns) and reused by later runs.

At `size` schools, for the current calendar year (Asia/Shanghai), as of the
build:

* `6 × size` referrals, each with its concern (a child
  described in general words, logged by the safety officer, opened by the
  principal), detected across the year so far (~1 % in the last 10 hours),
  one or two situations; ~79 % reported to the police — ~2/3 of them within
  the 24 hours, the rest 1 to 10 days after — and in a mix of states
  (reported, accepted, cooperating, closed with an outcome); the others not
  reported (detected, or closed as unfounded);
* `4 × size` bullying cases in every state, their dates consistent with it:
  stopped, the investigation started a day after the report and due at the
  end of its 10th day, the committee's decision 3–12 days after the start
  (so some late), an appeal with its 15-day re-check (rechecked 5–18 days
  after, or still running), an outcome when closed; ~40 % of the reported,
  investigating and appealed cases are recent, so both clocks have cases
  still within their time;
* for every school owing it (schools.models.in_period) and every month of
  the year before the current one, a dispute return: ~85 % filed on time
  (1 hour to 6 days before the bureau's due time), ~10 % late (1 hour to
  10 days after), ~2 % a draft not filed and ~3 % no row (≈ 5 % missing);
  one return in 20 lists a dispute (one in 200 two) — otherwise "none
  found" — found in its month, by kind and risk, mostly resolved or
  transferred in the older months and still being mediated in the last two.

Everything is drawn from hashtext() of the row's number, so a rebuild gives
the same mix. Each part runs in one transaction and is skipped when its rows
exist (referrals and bullying cases of the year; each month's returns), so
the months that pass are added by a later run. The bureau, its schools and
their staff are those of data.build (made here with bulk.schools and
bulk.staff, compatible with it, when `--only incidents` runs first).
"""

from __future__ import annotations

import calendar
import datetime as dt
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from core import clock
from schools.models import Bureau, Membership, Role, User

from .data import log

# 500,000 referrals and bullying cases at 50,000 schools (issue 10 item 10).
REFERRALS_PER_SCHOOL = 6
CASES_PER_SCHOOL = 4
# VACUUM ANALYZE after the load (the schools' tables too: `--only incidents`
# may have just made the bureaus).
TABLES = ("schools_school", "schools_user", "schools_membership", "incidents_concern",
          "incidents_referral", "incidents_bullyingcase", "incidents_disputereturn",
          "incidents_dispute")

SITUATIONS = ["genital_injury", "u14_sexual", "o14_sexual_pregnancy", "injury_neglect",
              "disability_death", "abandoned", "missing", "begging", "other_serious"]
ACTS = ["physical", "dignity", "property", "exclusion", "online"]
REPORTERS = ["target", "pupil", "guardian", "staff", "anonymous", "other"]
DISPUTE_KINDS = ["teacher_student", "student_student", "home_school", "other"]


@dataclass
class IncidentsBureau:
    size: int
    bureau: Bureau
    inspector: User
    year: int
    referrals: int  # of the year, in the bureau
    cases: int
    returns: int
    disputes: int


def past_months(today: dt.date) -> list[dt.date]:
    """The first days of the months of `today`'s year before its month (none
    in January): the months whose returns the bench has filed."""
    return [dt.date(today.year, m, 1) for m in range(1, today.month)]


def counts_for(size: int) -> tuple[int, int]:
    """(referrals, bullying cases) of the year at `size` schools."""
    return round(size * REFERRALS_PER_SCHOOL), round(size * CASES_PER_SCHOOL)


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_default_timezone()
    return dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)


def build(size: int, at: dt.datetime | None = None) -> IncidentsBureau:
    at = at or clock.now()
    bureau, inspector = base(size)
    year = clock.today(at).year
    n_referrals, n_cases = counts_for(size)
    _referrals(bureau.pk, year, n_referrals, at)
    _bullying(bureau.pk, year, n_cases, at)
    _returns(bureau.pk, past_months(clock.today(at)), at)
    _recount(bureau.pk, year)
    return IncidentsBureau(size=size, bureau=bureau, inspector=inspector, year=year,
                           **_have(bureau.pk, year))


def _recount(bureau_id: int, year: int) -> None:
    """The bureau view's tallies of the year, counted from the rows loaded
    behind the services' back (incidents.tallies.recount; nothing changes
    when they are right already)."""
    from incidents.tallies import recount

    t = time.perf_counter()
    with connection.cursor() as c:
        # The planner needs the loaded rows' statistics to read them in one pass.
        c.execute("ANALYZE schools_school, incidents_referral, incidents_bullyingcase")
    fixed = recount(bureau_id, year)
    log(f"incidents: tallies recounted in {time.perf_counter() - t:.1f} s ({fixed} rows set)")


def base(size: int) -> tuple[Bureau, User]:
    """The bureau `BENCH-<size>` with its schools, their principal and safety
    officer and the inspector, as data.build leaves them (set-based; nothing
    is done when they exist)."""
    from . import bulk

    bureau, _ = Bureau.objects.get_or_create(code=f"BENCH-{size}",
                                             defaults={"name": f"基准测试区 {size}"})
    bulk.schools(bureau.pk, size, prefix=f"B{size}-")
    bulk.staff(bureau.pk, size, user_prefix=f"bench{size}-s")
    inspector, _ = User.objects.get_or_create(
        username=f"bench{size}-inspector",
        defaults={"full_name": "督导员", "password": make_password(None)})
    Membership.objects.get_or_create(user=inspector, role=Role.INSPECTOR, bureau=bureau)
    return bureau, inspector


def _have(bureau_id: int, year: int) -> dict:
    start, end = year_bounds(year)
    with connection.cursor() as c:
        c.execute("""
            SELECT (SELECT count(*) FROM incidents_referral r JOIN schools_school s
                      ON s.id = r.school_id WHERE s.bureau_id = %(b)s
                     AND r.detected_at >= %(start)s AND r.detected_at < %(end)s),
                   (SELECT count(*) FROM incidents_bullyingcase r JOIN schools_school s
                      ON s.id = r.school_id WHERE s.bureau_id = %(b)s
                     AND r.reported_at >= %(start)s AND r.reported_at < %(end)s),
                   (SELECT count(*) FROM incidents_disputereturn r JOIN schools_school s
                      ON s.id = r.school_id WHERE s.bureau_id = %(b)s
                     AND r.month >= %(first)s AND r.month < %(next)s),
                   (SELECT count(*) FROM incidents_dispute r JOIN schools_school s
                      ON s.id = r.school_id WHERE s.bureau_id = %(b)s
                     AND r.found_on >= %(first)s AND r.found_on < %(next)s)
        """, {"b": bureau_id, "start": start, "end": end, "first": dt.date(year, 1, 1),
              "next": dt.date(year + 1, 1, 1)})
        referrals, cases, returns, disputes = c.fetchone()
    return {"referrals": referrals, "cases": cases, "returns": returns, "disputes": disputes}


def _loading(c) -> None:
    # A bulk load need not wait for each WAL flush; for this transaction only
    # (the page measurements later in the session keep the defaults).
    c.execute("SET LOCAL synchronous_commit = off")
    c.execute("SET LOCAL work_mem = '64MB'")


# The bureau's schools, numbered by code, with the principal and the safety
# officer of each (bulk.staff / data._staff made one of each).
_SCHOOLS = """
    sch AS (
        SELECT s.id, s.joined_on, s.closed_on, row_number() OVER (ORDER BY s.code) - 1 AS k,
               (SELECT min(m.user_id) FROM schools_membership m
                 WHERE m.school_id = s.id AND m.role = 'principal') AS principal,
               (SELECT min(m.user_id) FROM schools_membership m
                 WHERE m.school_id = s.id AND m.role = 'safety_officer') AS officer
        FROM schools_school s
        WHERE s.bureau_id = %(bureau)s
    ), numbered AS (
        SELECT * FROM sch WHERE principal IS NOT NULL AND officer IS NOT NULL
    ), n AS (SELECT count(*) AS n FROM numbered)
"""


def _exists(c, table: str, column: str, bureau_id: int, start, end) -> bool:
    c.execute(f"""SELECT 1 FROM {table} r JOIN schools_school s ON s.id = r.school_id
                  WHERE s.bureau_id = %s AND r.{column} >= %s AND r.{column} < %s LIMIT 1""",
              [bureau_id, start, end])
    return c.fetchone() is not None


def _referrals(bureau_id: int, year: int, count: int, at: dt.datetime) -> None:
    start, end = year_bounds(year)
    with connection.cursor() as c:
        if not count or _exists(c, "incidents_referral", "detected_at", bureau_id, start, end):
            return
        t = time.perf_counter()
        with transaction.atomic():
            _loading(c)
            c.execute(f"""
                WITH {_SCHOOLS},
                src AS (
                    SELECT i, numbered.id AS school_id, numbered.principal, numbered.officer,
                           gen_random_uuid() AS concern_code,
                           abs(hashtext('when' || i)::bigint) %% 1000000 / 1000000.0 AS u,
                           (abs(hashtext('gap' || i)::bigint) %% 1000)::int AS g,
                           (abs(hashtext('state' || i)::bigint) %% 1000)::int AS st,
                           (abs(hashtext('situation' || i)::bigint) %% 1000)::int AS a,
                           (abs(hashtext('second' || i)::bigint) %% 1000)::int AS b
                    FROM generate_series(0, %(count)s - 1) AS i
                    CROSS JOIN n
                    JOIN numbered ON numbered.k = (i::bigint * 2654435761) %% n.n
                ), detected AS (
                    SELECT src.*,
                           CASE WHEN a < 10
                                THEN %(at)s - make_interval(mins => 1 + (u * 600)::int)
                                ELSE %(start)s + %(span)s * u END AS detected_at,
                           g < 800 AND a >= 10 AS reported,
                           CASE WHEN g < 400 THEN make_interval(mins => 10 + (g * 7) %% 350)
                                WHEN g < 650 THEN make_interval(hours => 6 + g %% 18)
                                WHEN g < 760 THEN make_interval(hours => 24 + g %% 48)
                                ELSE make_interval(days => 3 + g %% 8) END AS gap
                    FROM src
                ), timed AS (
                    SELECT detected.*,
                           CASE WHEN reported THEN least(detected_at + gap, %(at)s) END
                             AS police_reported_at,
                           CASE WHEN NOT reported
                                THEN CASE WHEN st < 100 AND a >= 10 THEN 'closed'
                                          ELSE 'detected' END
                                WHEN st < 250 THEN 'reported'
                                WHEN st < 450 THEN 'accepted'
                                WHEN st < 650 THEN 'cooperating'
                                ELSE 'closed' END AS state
                    FROM detected
                ), concerns AS (
                    INSERT INTO incidents_concern (created_at, updated_at, code, school_id,
                        pupil_id, child_description, observed, child_words, observed_at, place,
                        immediate_actions, logged_by_id, logged_at)
                    SELECT now(), now(), concern_code, school_id, NULL,
                           '约' || (7 + a %% 6) || '岁学生（基准）',
                           '课间发现该生手臂有多处淤青，询问时躲闪。', '',
                           detected_at - make_interval(mins => 5 + g %% 120), '教室',
                           '已带到校医室检查。', officer, detected_at
                    FROM timed
                    RETURNING id, code
                )
                INSERT INTO incidents_referral (created_at, updated_at, code, school_id,
                    concern_id, situations, state, detected_at, police_reported_at, outcome,
                    closed_at, opened_by_id)
                SELECT now(), now(), gen_random_uuid(), t.school_id, concerns.id,
                       jsonb_build_array((%(situations)s::text[])[1 + t.a %% 9])
                         || CASE WHEN t.b < 250
                                 THEN jsonb_build_array(
                                   (%(situations)s::text[])[1 + (t.a + 1 + t.b %% 8) %% 9])
                                 ELSE '[]'::jsonb END,
                       t.state, t.detected_at, t.police_reported_at,
                       CASE WHEN t.state <> 'closed' THEN ''
                            WHEN t.reported THEN '公安机关已立案，学校配合调查完毕。'
                            ELSE '经核实不属于应当报告的情形。' END,
                       CASE WHEN t.state = 'closed'
                            THEN least(coalesce(t.police_reported_at, t.detected_at)
                                       + make_interval(days => 5 + t.st %% 40), %(at)s) END,
                       t.principal
                FROM timed t JOIN concerns ON concerns.code = t.concern_code
            """, {"bureau": bureau_id, "count": count, "at": at, "start": start,
                  "span": min(at, end) - start, "situations": SITUATIONS})
            n = c.rowcount
        log(f"incidents: {n} referrals with their concerns (SQL) in "
            f"{time.perf_counter() - t:.1f} s")


def _end_of_day_after(expr: str, days: str) -> str:
    """SQL: the first instant after the `days`-th day after the local date of
    `expr` (incidents.bullying.investigation_due / recheck_due)."""
    return (f"((({expr}) AT TIME ZONE %(zone)s)::date + {days} + 1)::timestamp "
            f"AT TIME ZONE %(zone)s")


def _bullying(bureau_id: int, year: int, count: int, at: dt.datetime) -> None:
    from incidents.followup_kinds import INVESTIGATION_DAYS, RECHECK_DAYS

    start, end = year_bounds(year)
    with connection.cursor() as c:
        if not count or _exists(c, "incidents_bullyingcase", "reported_at", bureau_id,
                                start, end):
            return
        t = time.perf_counter()
        span = min(at, end) - start
        with transaction.atomic():
            _loading(c)
            c.execute(f"""
                WITH {_SCHOOLS},
                src AS (
                    SELECT i, numbered.id AS school_id, numbered.principal,
                           abs(hashtext('bwhen' || i)::bigint) %% 1000000 / 1000000.0 AS u,
                           (abs(hashtext('bstate' || i)::bigint) %% 1000)::int AS st,
                           (abs(hashtext('bdays' || i)::bigint) %% 1000)::int AS d,
                           (abs(hashtext('bkind' || i)::bigint) %% 1000)::int AS a
                    FROM generate_series(0, %(count)s - 1) AS i
                    CROSS JOIN n
                    JOIN numbered ON numbered.k = (i::bigint * 2654435761 + 7) %% n.n
                ), staged AS (
                    SELECT src.*,
                           CASE WHEN st < 100 THEN 'reported'
                                WHEN st < 250 THEN 'investigating'
                                WHEN st < 450 THEN 'decided'
                                WHEN st < 550 THEN 'appealed'
                                WHEN st < 800 THEN 'follow_up'
                                ELSE 'closed' END AS state
                    FROM src
                ), reported AS (
                    SELECT staged.*,
                           CASE WHEN state IN ('reported', 'investigating', 'appealed')
                                     AND u < 0.4
                                THEN greatest(%(start)s, %(at)s - make_interval(
                                  days => CASE WHEN state = 'appealed' THEN 20 ELSE 1 END
                                          + (u * 25)::int))
                                ELSE %(start)s + %(older)s * u END AS reported_at,
                           a >= 150 AS is_bullying,
                           state = 'appealed'
                             OR state IN ('follow_up', 'closed') AND d >= 600 AS appealed
                    FROM staged
                ), started AS (
                    SELECT reported.*,
                           CASE WHEN state <> 'reported'
                                THEN least(reported_at + interval '1 day', %(at)s) END
                             AS started_at
                    FROM reported
                ), decided AS (
                    SELECT started.*,
                           CASE WHEN state NOT IN ('reported', 'investigating')
                                THEN least(started_at + make_interval(days => 3 + d %% 10,
                                                                      hours => d %% 9),
                                           %(at)s) END AS decided_at
                    FROM started
                ), appeal AS (
                    SELECT decided.*,
                           CASE WHEN appealed
                                THEN least(decided_at + interval '3 days', %(at)s) END
                             AS recheck_started_at
                    FROM decided
                ), rechecked AS (
                    SELECT appeal.*,
                           CASE WHEN appealed AND state <> 'appealed'
                                THEN least(recheck_started_at
                                           + make_interval(days => 5 + d %% 14), %(at)s) END
                             AS rechecked_at,
                           CASE WHEN a %% 20 < 10 THEN 'minor' WHEN a %% 20 < 16 THEN 'serious'
                                WHEN a %% 20 < 19 THEN 'egregious' ELSE 'criminal' END
                             AS severity
                    FROM appeal
                )
                INSERT INTO incidents_bullyingcase (created_at, updated_at, code, school_id,
                    state, reported_at, reporter, acts, description, occurred_on, place,
                    stopped_at, safety_measures, investigation_started_at,
                    investigation_due_at, decided_at, investigation_findings, committee_on,
                    committee_members, is_bullying, finding, severity, measures, appealed_on,
                    recheck_started_at, recheck_due_at, rechecked_at, recheck_result, outcome,
                    closed_at, referral_id, recorded_by_id)
                SELECT now(), now(), gen_random_uuid(), school_id, state, reported_at,
                       (%(reporters)s::text[])[1 + a %% 6],
                       jsonb_build_array((%(acts)s::text[])[1 + a %% 5])
                         || CASE WHEN d < 300
                                 THEN jsonb_build_array((%(acts)s::text[])[1 + (a + 1) %% 5])
                                 ELSE '[]'::jsonb END,
                       '多名同学课间围堵该生并起哄（基准）。',
                       (reported_at AT TIME ZONE %(zone)s)::date, '教学楼走廊',
                       CASE WHEN state = 'reported' AND d < 500 THEN NULL
                            ELSE least(reported_at + interval '30 minutes', %(at)s) END,
                       CASE WHEN state = 'reported' AND d < 500 THEN ''
                            ELSE '已分开相关学生，班主任陪同。' END,
                       started_at,
                       CASE WHEN started_at IS NOT NULL
                            THEN {_end_of_day_after("started_at", "%(inv_days)s")} END,
                       decided_at,
                       CASE WHEN decided_at IS NOT NULL THEN '已询问双方及目击学生。' ELSE '' END,
                       (decided_at AT TIME ZONE %(zone)s)::date,
                       CASE WHEN decided_at IS NOT NULL THEN '校长、法治副校长、家长代表'
                            ELSE '' END,
                       CASE WHEN decided_at IS NOT NULL THEN is_bullying END,
                       CASE WHEN decided_at IS NULL THEN ''
                            WHEN is_bullying THEN '认定为学生欺凌。' ELSE '不构成学生欺凌。' END,
                       CASE WHEN decided_at IS NOT NULL AND is_bullying THEN severity
                            ELSE '' END,
                       CASE WHEN decided_at IS NULL OR NOT is_bullying THEN '[]'::jsonb
                            WHEN severity = 'minor' THEN '["education"]'::jsonb
                            WHEN severity = 'serious' THEN '["education", "discipline"]'::jsonb
                            WHEN severity = 'egregious'
                              THEN '["discipline", "police_admonition"]'::jsonb
                            ELSE '["police_case"]'::jsonb END,
                       (recheck_started_at AT TIME ZONE %(zone)s)::date,
                       recheck_started_at,
                       CASE WHEN recheck_started_at IS NOT NULL
                            THEN {_end_of_day_after("recheck_started_at", "%(recheck_days)s")}
                            END,
                       rechecked_at,
                       CASE WHEN rechecked_at IS NOT NULL THEN '维持原认定。' ELSE '' END,
                       CASE WHEN state = 'closed' THEN '双方和解，回访无异常，结案。' ELSE '' END,
                       CASE WHEN state = 'closed'
                            THEN least(greatest(decided_at, rechecked_at) + interval '20 days',
                                       %(at)s) END,
                       NULL, principal
                FROM rechecked
            """, {"bureau": bureau_id, "count": count, "at": at, "start": start,
                  "older": max(span - dt.timedelta(days=45), dt.timedelta(0)),
                  "zone": settings.TIME_ZONE, "inv_days": INVESTIGATION_DAYS,
                  "recheck_days": RECHECK_DAYS, "reporters": REPORTERS, "acts": ACTS})
            n = c.rowcount
        log(f"incidents: {n} bullying cases (SQL) in {time.perf_counter() - t:.1f} s")


def _draw(expr: str, salt: str, more: str = "") -> str:
    """SQL: a number 0–999 drawn from `expr`, `salt` and the month's tag
    (hashtext: the same on every rebuild)."""
    return f"(abs(hashtext({expr} || '{salt}' || %(tag)s {more})::bigint) %% 1000)::int"


def _returns(bureau_id: int, months: list[dt.date], at: dt.datetime) -> None:
    """Each month's returns (and their disputes) in one statement, skipped
    for a month that has any return in the bureau."""
    from incidents.disputes import Schedule, due_at, due_date

    schedule = Schedule(bureau_id)
    today = clock.today(at)
    recent = months[-2:]
    with connection.cursor() as c:
        for month in months:
            c.execute("""SELECT 1 FROM incidents_disputereturn r
                         JOIN schools_school s ON s.id = r.school_id
                         WHERE s.bureau_id = %s AND r.month = %s LIMIT 1""",
                      [bureau_id, month])
            if c.fetchone():
                continue
            t = time.perf_counter()
            due_day = schedule(month)
            with transaction.atomic():
                _loading(c)
                c.execute(f"""
                    WITH {_SCHOOLS},
                    owing AS (
                        -- schools.models.in_period on the month's first day and due date
                        SELECT numbered.*, {_draw("numbered.id", ":")} AS r,
                               {_draw("numbered.id", "/")} AS d, {_draw("numbered.id", "#")} AS q
                        FROM numbered
                        WHERE joined_on < %(month)s
                          AND (closed_on IS NULL OR closed_on > %(due_date)s)
                    ), returns AS (
                        INSERT INTO incidents_disputereturn (created_at, updated_at, code,
                            school_id, month, none_found, submitted_at, submitted_by_id)
                        SELECT now(), now(), gen_random_uuid(), id, %(month)s,
                               r >= 50 AND d >= 50,
                               CASE WHEN r < 50 THEN NULL
                                    WHEN r < 150
                                      THEN least(%(due)s + make_interval(hours => 1 + q %% 240),
                                                 %(at)s)
                                    ELSE least(%(due)s - make_interval(hours => 1 + q %% 144),
                                               %(at)s) END,
                               CASE WHEN r >= 50 THEN principal END
                        FROM owing WHERE r >= 30
                        RETURNING id, school_id, submitted_at
                    ), found AS (
                        -- The returns' draws again from their school (joining the two
                        -- CTEs' 50,000 rows makes the planner loop over both).
                        SELECT returns.id AS return_id, returns.school_id, h.q, j,
                               {_draw("returns.school_id", "$", "|| j")} AS v,
                               least(%(month)s::date + (h.q * 7 + j) %% %(days)s,
                                     %(today)s::date,
                                     (returns.submitted_at AT TIME ZONE %(zone)s)::date)
                                 AS found_on
                        FROM returns
                        CROSS JOIN LATERAL (
                            SELECT {_draw("returns.school_id", "/")} AS d,
                                   {_draw("returns.school_id", "#")} AS q) AS h
                        CROSS JOIN LATERAL generate_series(
                            1, CASE WHEN h.d < 5 THEN 2 ELSE 1 END) AS j
                        WHERE h.d < 50
                    ), settled AS (
                        SELECT found.*,
                               CASE WHEN v < %(resolved)s THEN 'resolved'
                                    WHEN v < %(transferred)s THEN 'transferred'
                                    ELSE 'mediating' END AS status,
                               least(found_on + 1 + v %% 25, %(today)s::date) AS settled_on
                        FROM found
                    )
                    INSERT INTO incidents_dispute (created_at, updated_at, code, school_id,
                        screening_return_id, kind, parties, summary, risk, responsible_id,
                        status, found_on, resolved_on, transferred_on, transferred_to,
                        recorded_by_id)
                    SELECT now(), now(), gen_random_uuid(), school_id, return_id,
                           (%(kinds)s::text[])[1 + (q + j) %% 4],
                           CASE (q + j) %% 4 WHEN 0 THEN '一名教师与一名学生'
                                WHEN 1 THEN '两名学生' WHEN 2 THEN '一名学生家长与学校'
                                ELSE '两名学生的家长' END,
                           '因课间小事发生口角，已分别谈话（基准）。',
                           CASE WHEN q %% 10 < 6 THEN 'low' WHEN q %% 10 < 9 THEN 'medium'
                                ELSE 'high' END,
                           (SELECT min(m.user_id) FROM schools_membership m
                             WHERE m.school_id = settled.school_id
                               AND m.role = 'safety_officer'),
                           status, found_on,
                           CASE WHEN status = 'resolved' THEN settled_on END,
                           CASE WHEN status = 'transferred' THEN settled_on END,
                           CASE WHEN status <> 'transferred' THEN ''
                                WHEN v %% 2 = 0 THEN '镇人民调解委员会' ELSE '辖区派出所' END,
                           (SELECT min(m.user_id) FROM schools_membership m
                             WHERE m.school_id = settled.school_id
                               AND m.role = 'safety_officer')
                    FROM settled
                """, {"bureau": bureau_id, "month": month, "tag": f"{month:%Y-%m}",
                      "due": due_at(month, due_day), "due_date": due_date(month, due_day),
                      "at": at, "today": today, "zone": settings.TIME_ZONE,
                      "days": calendar.monthrange(month.year, month.month)[1],
                      "resolved": 350 if month in recent else 800,
                      "transferred": 420 if month in recent else 880,
                      "kinds": DISPUTE_KINDS})
                disputes = c.rowcount
                c.execute("""SELECT count(*) FROM incidents_disputereturn r
                             JOIN schools_school s ON s.id = r.school_id
                             WHERE s.bureau_id = %s AND r.month = %s""", [bureau_id, month])
                returns = c.fetchone()[0]
            log(f"incidents: {month:%Y-%m}: {returns} returns, {disputes} disputes (SQL) in "
                f"{time.perf_counter() - t:.1f} s")


def analyze() -> None:
    """Fresh planner statistics and visibility map after the load, as the
    runner does for its own tables."""
    with connection.cursor() as c:
        for table in TABLES:
            c.execute(f"VACUUM ANALYZE {table}")
