"""The deadline rush (security.md G13): 300 schools each add five 3–5 MB photos
and submit, all starting at the same moment, through gunicorn configured as
the production image runs it (3 sync workers, 60 s timeout).

Measured: how long until every school is done, requests that got a 5xx or no
answer, reports and photos lost (the server said yes, the database has not),
the 95th percentile of request latency as the school's phone sees it
(queueing included), the most database connections open at once against
PostgreSQL's max_connections − 10, and that a second tap on "submit" leaves
one report. The load generator shares the machine's cores with the server, so
on a small machine the times say more about the machine than the portal."""

from __future__ import annotations

import datetime as dt
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import psycopg2
from django.db import connection
from django.urls import reverse

from .data import SUBMITTER_PASSWORD, Dataset, log, reset_submissions
from .web import REPORT_FIELDS, Browser, make_photos, start_gunicorn, stop_gunicorn

SCHOOLS = 300
PHOTO_SIZES_MB = [3.0, 3.5, 4.0, 4.5, 5.0]
CLIENTS = 50  # phones on the network at the same moment
WORKERS, TIMEOUT = 3, 60  # as the Dockerfile's CMD
DOUBLE_SUBMIT_EVERY = 10  # every tenth school taps "submit" twice at once


class ConnectionSampler(threading.Thread):
    """Counts this database's connections (pg_stat_activity) every 0.2 s."""

    def __init__(self):
        super().__init__(daemon=True)
        params = connection.get_connection_params()
        self.conn = psycopg2.connect(**params)
        self.conn.autocommit = True
        self.db = connection.settings_dict["NAME"]
        self.peak = 0
        self.stop = threading.Event()

    def limit(self) -> int:
        with self.conn.cursor() as cur:
            cur.execute("SHOW max_connections")
            return int(cur.fetchone()[0])

    def run(self):
        with self.conn.cursor() as cur:
            while not self.stop.is_set():
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                            [self.db])
                self.peak = max(self.peak, cur.fetchone()[0])
                self.stop.wait(0.2)
        self.conn.close()


def run(ds: Dataset, workdir: str, schools: int = SCHOOLS) -> dict:
    from reporting.models import ProgressReport, ReportPhoto

    submitters = ds.submitters[:schools]
    if len(submitters) < schools:
        raise RuntimeError(f"only {len(submitters)} submitters in the dataset")
    removed = reset_submissions(ds)
    photos = make_photos(workdir, sizes_mb=PHOTO_SIZES_MB)
    log(f"rush: {schools} schools × {len(photos)} photos of "
        f"{', '.join(f'{len(p) / 1e6:.1f}' for p in photos)} MB; {removed} earlier rows removed")
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    deadline_pk = ds.submit_deadline.pk
    proc, port, logf = start_gunicorn(workdir, workers=WORKERS, timeout=TIMEOUT)
    sampler = ConnectionSampler()
    limit = sampler.limit()
    latencies: list[float] = []
    failures: list[str] = []
    server_errors = 0
    lock = threading.Lock()

    def timed(call):
        nonlocal server_errors
        t = time.perf_counter()
        try:
            status, loc, body = call()
        except OSError as exc:  # no answer at all counts as a server failure
            status, loc, body = 0, "", repr(exc).encode()
        with lock:
            latencies.append(time.perf_counter() - t)
            if status == 0 or status >= 500:
                server_errors += 1
        return status, loc, body

    try:
        def login(item):
            username, school_pk = item
            b = Browser(port)
            return (b, school_pk) if b.login(username, SUBMITTER_PASSWORD) else None

        t = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            browsers = [x for x in pool.map(login, submitters) if x]
        log(f"rush: {len(browsers)}/{schools} signed in in {time.perf_counter() - t:.1f} s "
            f"(not timed)")

        def school(index_item):
            index, (browser, school_pk) = index_item
            photo_path = reverse("reporting:photo_add", args=[school_pk, deadline_pk])
            status, _loc, body = timed(lambda: browser.post_multipart(
                photo_path, {"caption": "安全教育活动", "taken_on": today},
                [("photos", f"activity{i}.jpg", data) for i, data in enumerate(photos)]))
            if status != 302:
                return f"photos: HTTP {status} {body[:120]!r}"
            edit_path = reverse("reporting:report_edit", args=[school_pk, deadline_pk])
            if index % DOUBLE_SUBMIT_EVERY == 0:
                twin = Browser(port)
                twin.cookies = dict(browser.cookies)
                with ThreadPoolExecutor(2) as taps:
                    answers = list(taps.map(
                        lambda b: timed(lambda: b.post_form(edit_path, REPORT_FIELDS)),
                        (browser, twin)))
                twin.conn.close()
                if not any(s == 302 and "/reports/" in loc for s, loc, _ in answers):
                    return f"double submit: {[(s, loc) for s, loc, _ in answers]}"
                return None
            status, loc, _body = timed(lambda: browser.post_form(edit_path, REPORT_FIELDS))
            if status != 302 or "/reports/" not in loc:
                return f"submit: HTTP {status} -> {loc!r}"
            return None

        sampler.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            outcomes = list(pool.map(school, enumerate(browsers)))
        elapsed = time.perf_counter() - started
        failures = [o for o in outcomes if o]
        for b, _ in browsers:
            b.conn.close()
    finally:
        sampler.stop.set()
        stop_gunicorn(proc, logf)
    sampler.join(timeout=5)
    confirmed = len(browsers) - len(failures)
    reports = ProgressReport.objects.filter(deadline_id=deadline_pk,
                                            first_submitted_at__isnull=False)
    stored = reports.count()
    stored_photos = ReportPhoto.objects.filter(report__deadline_id=deadline_pk).count()
    duplicates = ProgressReport.objects.filter(deadline_id=deadline_pk).count() - \
        len({s for _u, s in submitters})
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else None
    return {
        "schools": len(browsers), "elapsed": elapsed, "server_errors": server_errors,
        "failures": failures[:5], "failed": len(failures),
        "lost_reports": max(confirmed - stored, 0),
        "lost_photos": max(confirmed * len(photos) - stored_photos, 0),
        "extra_reports": max(duplicates, 0),
        "p95_s": p95, "median_s": statistics.median(latencies) if latencies else None,
        "requests": len(latencies), "peak_connections": sampler.peak,
        "connection_limit": limit - 10,
    }
