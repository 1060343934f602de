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


def dashboard(ds: Dataset, runs: int = 7) -> dict:
    client = Client()
    client.force_login(ds.inspector, backend="schools.backends.PortalBackend")
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


def overdue_scan(ds: Dataset) -> dict:
    from notifications.models import Notice
    from reporting.notices import scan
    from schools.models import Membership

    deadline = ds.deadlines[9]  # 24 September
    now = dt.datetime.combine(deadline.due_date + dt.timedelta(days=1), dt.time(8, 0),
                              tzinfo=SHANGHAI)
    bench_users = Membership.objects.filter(school__bureau__code__startswith="BENCH-") \
        .values("user_id")
    bench_inspectors = Membership.objects.filter(bureau__code__startswith="BENCH-") \
        .values("user_id")
    deleted, _ = Notice.objects.filter(recipient_id__in=bench_users).delete()
    deleted2, _ = Notice.objects.filter(recipient_id__in=bench_inspectors).delete()
    log(f"scan: deleted {deleted + deleted2} earlier notices; now={now.isoformat()}")
    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        first = scan(now=now)
        seconds = time.perf_counter() - t
    slowest = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3]
    t = time.perf_counter()
    second = scan(now=now)
    rescan_s = time.perf_counter() - t
    return {"seconds": seconds, "first": first, "queries": len(ctx.captured_queries),
            "rescan_new": second.reminders + second.overdue + second.digests,
            "rescan_s": rescan_s, "slowest": slowest}


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
