"""The measurements: dashboard, overdue scan, Excel export, web submissions."""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .data import Dataset, log
from .env import ROOT

SHANGHAI = ZoneInfo("Asia/Shanghai")


def signed_in(user) -> Client:
    """A client signed in as `user` and, as a bureau account must be (security.md
    G6), past the second factor: a TOTP device and a session verified now, as the
    verify page leaves it."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from schools import access

    client = Client()
    client.force_login(user, backend="schools.backends.PortalBackend")
    if access.second_factor_required(user):
        device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
                  or TOTPDevice.objects.create(user=user, name="bench", confirmed=True))
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[access.VERIFIED_AT_SESSION_KEY] = int(time.time())
        session.save()
    return client


def dashboard(ds: Dataset, runs: int = 7) -> dict:
    client = signed_in(ds.inspector)
    url = reverse("reporting:dashboard") + f"?campaign={ds.campaign.pk}"
    response = client.get(url)  # warm-up
    assert response.status_code == 200, response.status_code
    times, queries = [], None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, response.status_code
        queries = len(ctx.captured_queries)
        slowest = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3]
    return {"queries": queries, "ms": statistics.median(times), "slowest": slowest,
            "sql_ms": sum(float(q["time"]) for q in ctx.captured_queries) * 1000}


def _delete_bench_notices() -> int:
    from notifications.models import GroupMessage, Notice
    from schools.models import Membership

    bench_users = Membership.objects.filter(school__bureau__code__startswith="BENCH-") \
        .values("user_id")
    bench_inspectors = Membership.objects.filter(bureau__code__startswith="BENCH-") \
        .values("user_id")
    deleted, _ = Notice.objects.filter(recipient_id__in=bench_users).delete()
    deleted2, _ = Notice.objects.filter(recipient_id__in=bench_inspectors).delete()
    GroupMessage.objects.filter(robot__school__bureau__code__startswith="BENCH-").delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE notifications_notice")
    return deleted + deleted2


def followup_scan(at: dt.datetime, label: str) -> dict:
    """followups.services.scan(at=...) over the database as the minute-by-minute
    scan would have left it just before `at` (bulk.rewind), after deleting the
    bench users' notices; then the same scan again, which must create nothing."""
    from followups.models import FollowUp
    from followups.services import scan

    from . import bulk

    t = time.perf_counter()
    rewound = bulk.rewind(at)
    deleted = _delete_bench_notices()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE followups_followup")
    open_rows = FollowUp.objects.open().count()
    due = FollowUp.objects.notice_due(at).count()
    log(f"{label}: rewound {rewound} follow-ups to just before {at.isoformat()}, deleted "
        f"{deleted} notices in {time.perf_counter() - t:.1f} s; {open_rows} open, {due} due")
    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        first = scan(at=at)
        seconds = time.perf_counter() - t
    slowest = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3]
    sql_s = sum(float(q["time"]) for q in ctx.captured_queries)
    t = time.perf_counter()
    second = scan(at=at)
    rescan_s = time.perf_counter() - t
    return {"seconds": seconds, "first": first, "queries": len(ctx.captured_queries),
            "sql_s": sql_s, "open": open_rows, "due": due,
            "rescan_new": second.notices, "rescan_claimed": second.claimed,
            "rescan_s": rescan_s, "slowest": slowest}


def overdue_scan(ds: Dataset) -> dict:
    """The overdue step of reporting.report_due: the morning after the 24
    September deadline, every expected school that has not submitted is told."""
    deadline = ds.deadlines[9]  # 24 September
    at = dt.datetime.combine(deadline.due_date + dt.timedelta(days=1), dt.time(8, 0),
                             tzinfo=SHANGHAI)
    return followup_scan(at, "overdue scan")


def million_scan(deadlines: list) -> dict:
    """A million open follow-ups (the scan campaign), 5 % due: the morning after
    its 10th deadline, the overdue step of its 50,000 rows."""
    deadline = deadlines[9]
    at = dt.datetime.combine(deadline.due_date + dt.timedelta(days=1), dt.time(8, 0),
                             tzinfo=SHANGHAI)
    return followup_scan(at, "follow-up scan")


def export(ds: Dataset, workdir: str) -> dict:
    out = Path(workdir) / "timeliness.xlsx"
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.export_child",
                             str(ds.campaign.pk), str(out)],
                            cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE)
    stdout = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    if proc.returncode != 0:
        raise RuntimeError(f"export child failed with status {proc.returncode}")
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    # os.wait4's ru_maxrss (KB on Linux) carries over the parent's high-water
    # mark through fork/exec, so it overstates the child when the parent is big;
    # the child's VmHWM is its own peak. Report VmHWM, keep both for the log.
    result["wait4_maxrss_mb"] = usage.ru_maxrss / 1024
    result["peak_mb"] = result["peak_kb_self"] / 1024 if result["peak_kb_self"] > 0 \
        else usage.ru_maxrss / 1024
    result["base_mb"] = result["base_kb"] / 1024
    return result


def submissions(ds: Dataset, workdir: str) -> dict:
    from . import web

    return web.run(ds, workdir)
