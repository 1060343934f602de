"""Set-based (INSERT … SELECT) builders for the large data sets, and the
follow-up helpers both runs share.

The Python builder in data.py makes ~16k rows/s; at national scale (500,000
schools × 16 deadlines, 6.4M reports) that is hours. Here the server generates
the rows itself from generate_series, one statement per table or deadline.
What the rows mean is the same as data.py's (`_report` there), so the two
builders give comparable figures.

Follow-ups are opened as reporting.followups.arm_deadlines opens them (one
report_due row per expected school × deadline, due when the deadline closes,
first step scheduled) and those whose school submitted are done, as
report_arrived leaves them: the state the services would have left."""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection, transaction
from django.utils import timezone

from followups import kinds as followup_kinds
from followups.models import FollowUp
from reporting.followup_kinds import REPORT_DUE, SUBJECT_TYPE
from reporting.models import Campaign, Deadline
from schools.models import Role, SchoolType

from .data import SECTIONS, log


def _session_for_loading(cursor) -> None:
    # A bulk load may not wait for each WAL flush, and sorts for index
    # maintenance get more room. Session settings only.
    cursor.execute("SET synchronous_commit = off")
    cursor.execute("SET maintenance_work_mem = '256MB'")
    cursor.execute("SET work_mem = '64MB'")


def schools(bureau_id: int, size: int, prefix: str) -> None:
    with connection.cursor() as c:
        # Rows loaded before schools had a campaign period were migrated to
        # "joined when created": back before every deadline (issue 8 item 3).
        c.execute("UPDATE schools_school SET joined_on = DATE '2000-01-01' "
                  "WHERE bureau_id = %s AND joined_on > DATE '2000-01-01' "
                  "AND closed_on IS NULL", [bureau_id])
        c.execute("SELECT count(*) FROM schools_school WHERE bureau_id = %s", [bureau_id])
        have = c.fetchone()[0]
        if have >= size:
            return
        t = time.perf_counter()
        _session_for_loading(c)
        c.execute("""
            INSERT INTO schools_school (created_at, updated_at, code, name, school_type,
                                        address, is_open, in_campaign, bureau_id, joined_on)
            SELECT now(), now(), %(prefix)s || lpad(i::text, 6, '0'), '基准第' || i || '小学',
                   %(type)s, '', true, true, %(bureau)s, DATE '2000-01-01'
            FROM generate_series(%(start)s, %(size)s - 1) AS i
        """, {"prefix": prefix, "type": SchoolType.PRIMARY, "bureau": bureau_id,
              "start": have, "size": size})
    log(f"{size - have} schools (SQL) in {time.perf_counter() - t:.1f} s")


def staff(bureau_id: int, size: int, user_prefix: str) -> None:
    """A principal and a safety officer per school, unusable passwords."""
    with connection.cursor() as c:
        c.execute("""SELECT count(*) FROM schools_membership m JOIN schools_school s
                     ON s.id = m.school_id WHERE s.bureau_id = %s""", [bureau_id])
        if c.fetchone()[0] >= 2 * size:
            return
        t = time.perf_counter()
        _session_for_loading(c)
        with transaction.atomic():
            c.execute("DELETE FROM schools_membership WHERE school_id IN "
                      "(SELECT id FROM schools_school WHERE bureau_id = %s)", [bureau_id])
            c.execute("DELETE FROM schools_user WHERE username LIKE %s", [user_prefix + "%"])
            for role, letter in ((Role.PRINCIPAL, "p"), (Role.SAFETY_OFFICER, "o")):
                c.execute("""
                    INSERT INTO schools_user (password, is_superuser, username, first_name,
                        last_name, email, is_staff, is_active, date_joined, full_name, phone,
                        language)
                    SELECT '!', false, %(up)s || s.code || '-' || %(letter)s, '', '', '', false,
                           true, now(), s.code || %(letter)s, '', 'zh-hans'
                    FROM schools_school s WHERE s.bureau_id = %(bureau)s
                """, {"up": user_prefix, "letter": letter, "bureau": bureau_id})
                c.execute("""
                    INSERT INTO schools_membership (created_at, updated_at, role, is_active,
                                                    user_id, school_id)
                    SELECT now(), now(), %(role)s, true, u.id, s.id
                    FROM schools_school s
                    JOIN schools_user u ON u.username = %(up)s || s.code || '-' || %(letter)s
                    WHERE s.bureau_id = %(bureau)s
                """, {"up": user_prefix, "letter": letter, "bureau": bureau_id, "role": role})
    log(f"{2 * size} school staff + memberships (SQL) in {time.perf_counter() - t:.1f} s")


def reports(campaign: Campaign, deadlines: list[Deadline], seed: float = 0.5) -> None:
    """~80 % of school × deadline pairs get a report, in data._report's mix."""
    with connection.cursor() as c:
        c.execute("SELECT 1 FROM reporting_progressreport WHERE deadline_id = ANY(%s) LIMIT 1",
                  [[d.pk for d in deadlines]])
        if c.fetchone():
            return
        _session_for_loading(c)
        c.execute("SELECT setseed(%s)", [seed])
        now = timezone.now()
        for d in deadlines:
            t = time.perf_counter()
            with transaction.atomic():
                c.execute("""
                    WITH pairs AS (
                        SELECT s.id AS school_id, random() AS r, random() AS h
                        FROM schools_school s
                        WHERE s.bureau_id = %(bureau)s AND random() < 0.8
                    ), timed AS (
                        SELECT school_id, r,
                          CASE WHEN r < 0.05 THEN 'draft'
                               WHEN r < 0.20 AND %(past)s THEN 'submitted'
                               WHEN r < 0.45 THEN 'approved'
                               WHEN r < 0.55 THEN 'returned'
                               ELSE 'submitted' END AS status,
                          CASE WHEN r < 0.05 THEN NULL
                               WHEN r < 0.20 AND %(past)s
                                 THEN %(closes)s + make_interval(hours => 1 + (h * 95)::int)
                               ELSE least(%(closes)s - make_interval(hours => 2 + (h * 198)::int),
                                          %(now)s - interval '5 minutes') END AS at
                        FROM pairs
                    )
                    INSERT INTO reporting_progressreport (created_at, updated_at, code, status,
                        sections, first_submitted_at, last_submitted_at, approved_at,
                        return_reason, deadline_id, school_id)
                    SELECT now(), now(), gen_random_uuid(), status, %(sections)s::jsonb, at, at,
                           CASE WHEN status = 'approved' THEN at + interval '1 day' END,
                           CASE WHEN status = 'returned' THEN '请补充照片。' ELSE '' END,
                           %(deadline)s, school_id
                    FROM timed
                """, {"bureau": campaign.bureau_id, "past": d.closes_at <= now,
                      "closes": d.closes_at, "now": now, "deadline": d.pk,
                      "sections": _json(SECTIONS)})
                n = c.rowcount
            log(f"deadline {d.due_date}: {n} reports (SQL) in {time.perf_counter() - t:.1f} s")


def _json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def arm_followups(campaign: Campaign, deadlines: list[Deadline]) -> tuple[int, int]:
    """The report-due follow-ups of `deadlines`, as the services leave them:
    open for every expected school that has not submitted (first step
    scheduled, as followups.services._schedule does), done for those that
    have (closed when they first submitted). Skips a deadline that has any.
    Returns (opened, done)."""
    kind = followup_kinds.get(REPORT_DUE)
    opened = done = 0
    valid = [t for t in campaign.school_types if t in SchoolType.values]
    with connection.cursor() as c:
        _session_for_loading(c)
        for d in deadlines:
            # Armed already? Probe the first school's row (the subject index).
            c.execute("""SELECT 1 FROM followups_followup WHERE subject_type = %s
                         AND subject_code = %s || ':' || (SELECT min(id) FROM schools_school
                                                          WHERE bureau_id = %s)""",
                      [SUBJECT_TYPE, str(d.pk), campaign.bureau_id])
            if c.fetchone():
                continue
            t = time.perf_counter()
            times = [d.closes_at + s.offset for s in kind.step_list()]
            with transaction.atomic():
                c.execute("""
                    INSERT INTO followups_followup (created_at, updated_at, code, kind,
                        subject_type, subject_code, due_at, state, step, arm, next_notice_at,
                        data, outcome, closed_at, school_id)
                    SELECT now(), now(), gen_random_uuid(), %(kind)s, %(stype)s,
                           %(deadline)s || ':' || s.id, %(due)s,
                           CASE WHEN r.first_submitted_at IS NULL THEN 'open' ELSE 'done' END,
                           0, 0,
                           CASE WHEN r.first_submitted_at IS NULL THEN %(first)s END,
                           jsonb_build_object('deadline_id', %(deadline)s, 'school_id', s.id,
                                              'deadline_kind', %(dkind)s),
                           CASE WHEN r.first_submitted_at IS NULL THEN '' ELSE 'submitted' END,
                           r.first_submitted_at, s.id
                    FROM schools_school s
                    LEFT JOIN reporting_progressreport r
                      ON r.school_id = s.id AND r.deadline_id = %(deadline)s
                     AND r.first_submitted_at IS NOT NULL
                    WHERE s.bureau_id = %(bureau)s AND s.school_type = ANY(%(types)s)
                      -- Deadline.expected_schools (schools.models.in_period)
                      AND s.joined_on < %(day)s
                      AND (s.closed_on IS NULL OR s.closed_on > %(day)s)
                    RETURNING state = 'open'
                """, {"kind": REPORT_DUE, "stype": SUBJECT_TYPE, "deadline": d.pk,
                      "due": d.closes_at, "first": times[0] if times else None,
                      "dkind": d.kind, "bureau": campaign.bureau_id, "types": valid,
                      "day": d.due_date})
                states = [row[0] for row in c.fetchall()]
            o = sum(states)
            opened += o
            done += len(states) - o
            log(f"deadline {d.due_date}: {o} open + {len(states) - o} done follow-ups (SQL) "
                f"in {time.perf_counter() - t:.1f} s")
    return opened, done


def rewind(at: dt.datetime) -> int:
    """Put every open report-due follow-up in the state the
    minute-by-minute scan leaves them in just before `at`: every step before
    `at` has been passed (told at its time, or skipped), the next one is
    scheduled. Then the scan at `at` tells only what falls due at `at`, as in
    production, and a measurement can be repeated. Returns the rows set."""
    kind = followup_kinds.get(REPORT_DUE)
    steps = kind.step_list()
    rows = FollowUp.objects.open().filter(kind=REPORT_DUE)
    n = 0
    with transaction.atomic():
        for due_at in rows.values_list("due_at", flat=True).order_by().distinct():
            times = [due_at + s.offset for s in steps]
            step = sum(1 for t in times if t < at)
            nxt = times[step] if step < len(times) else None
            same = {"step": step, "next_notice_at": nxt} if nxt else \
                {"step": step, "next_notice_at__isnull": True}
            # Only rows not already there (a re-run rewrites nothing).
            n += rows.filter(due_at=due_at).exclude(**same).update(
                step=step, next_notice_at=nxt)
    return n
