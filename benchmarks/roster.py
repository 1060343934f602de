"""The roster measurements (issue 9 item 10): the roster import, the
principal's roster page and the bureau's priority-group counts, at a small and
a large bureau (benchmarks/pupils.py builds them)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from . import pupils
from .data import log
from .env import ROOT


@dataclass(frozen=True)
class Sizes:
    small: int  # pupils in the small bureau (the _1000 slot)
    large: int  # pupils in the large bureau (the _1000000 slot)
    per_school: int
    import_rows: int  # the _3000 slot
    import_changes: int


FULL = Sizes(small=1_000, large=1_000_000, per_school=1_000, import_rows=3_000,
             import_changes=200)
QUICK = Sizes(small=100, large=10_000, per_school=100, import_rows=300, import_changes=20)

KEYS = ["roster_import_s_3000", "roster_import_peak_mb_3000",
        "pupil_list_queries_1000", "pupil_list_queries_1000000",
        "pupil_list_ms_1000", "pupil_list_ms_1000000",
        "bureau_priority_counts_ms_1000", "bureau_priority_counts_ms_1000000"]
SLOTS = (("small", "1000"), ("large", "1000000"))


def stepped_up(user) -> Client:
    """A client signed in as `user` with a TOTP device verified now: past the
    sign-in second factor of a bureau account (security.md G6) and the step-up
    of a child-level page (require_recent_second_factor), as the verify page
    leaves the session."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from schools import access

    client = Client()
    client.force_login(user, backend="schools.backends.PortalBackend")
    device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
              or TOTPDevice.objects.create(user=user, name="bench", confirmed=True))
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[access.VERIFIED_AT_SESSION_KEY] = int(time.time())
    session.save()
    return client


def page(client: Client, url: str, runs: int = 7) -> dict:
    """One warm-up GET of `url`, then `runs` timed ones: the queries of one
    request, the median milliseconds and the slowest queries."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {"queries": len(ctx.captured_queries), "ms": statistics.median(times),
            "sql_ms": sum(float(q["time"]) for q in ctx.captured_queries) * 1000,
            "slowest": sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3],
            "bytes": len(response.content)}


def roster_url(pb: pupils.PupilBureau) -> str:
    return reverse("schools:roster", args=[pb.page_school.pk])


def counts_url(pb: pupils.PupilBureau) -> str:
    return reverse("schools:pupil_counts")


def pupil_list(pb: pupils.PupilBureau) -> dict:
    return page(stepped_up(pb.principal), roster_url(pb))


def pupil_counts(pb: pupils.PupilBureau) -> dict:
    """The counts page as the bureau meets it in the morning: after the
    nightly recount (schools.refresh_pupil_counts), whose seconds are
    returned as `refresh_s`."""
    from schools.pupil_counts import refresh_counts

    t = time.perf_counter()
    refresh_counts(bureau_id=pb.bureau.pk)
    refresh_s = time.perf_counter() - t
    return {**page(stepped_up(pb.inspector), counts_url(pb)), "refresh_s": refresh_s}


IMPORT_RUNS = 3


def roster_import(pb: pupils.PupilBureau, sizes: Sizes, workdir: str,
                  runs: int = IMPORT_RUNS) -> dict:
    """`runs` imports (`import_once`): the run of the median seconds, with
    the highest peak RSS of all runs and every run's seconds."""
    results = [import_once(pb, sizes, workdir) for _ in range(runs)]
    for r in results:
        log(f"import run: {r['seconds']:.2f} s (read {r['read_s']:.2f}, plan {r['plan_s']:.2f}, "
            f"commit {r['commit_s']:.2f}), peak {r['peak_mb']:.1f} MB")
    median = sorted(results, key=lambda r: r["seconds"])[len(results) // 2]
    return {**median, "peak_mb": max(r["peak_mb"] for r in results),
            "all_seconds": [round(r["seconds"], 2) for r in results]}


def import_once(pb: pupils.PupilBureau, sizes: Sizes, workdir: str) -> dict:
    """Reset the import school to its baseline, write the roster file with
    `sizes.import_changes` changes and import it in a child process
    (benchmarks.import_child): read + plan + commit seconds and the child's
    peak RSS (VmHWM, whole process with Django, as export_peak_mb)."""
    from . import roster_file

    t = time.perf_counter()
    n = pupils.reset_import_school(pb)
    rf = roster_file.build(pb.import_school, sizes.import_changes,
                           pupils.classes_per_grade(sizes.import_rows))
    path = Path(workdir) / rf.filename
    path.write_bytes(rf.data)
    log(f"import: school reset to {n} pupils, file of {rf.rows} rows "
        f"({rf.class_changes} class and {rf.phone_changes} phone changes, "
        f"{len(rf.data) / 1e6:.2f} MB) in {time.perf_counter() - t:.1f} s")
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.import_child",
                             str(pb.import_school.pk), str(pb.importer.pk), str(path)],
                            cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE)
    stdout = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"import child failed with status {status}")
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    result["peak_mb"] = result["peak_kb_self"] / 1024 if result["peak_kb_self"] > 0 \
        else usage.ru_maxrss / 1024
    result["base_mb"] = result["base_kb"] / 1024
    result["file"] = {"rows": rf.rows, "class_changes": rf.class_changes,
                      "phone_changes": rf.phone_changes, "bytes": len(rf.data)}
    return result


def build(sizes: Sizes) -> dict[str, pupils.PupilBureau]:
    out = {}
    for slot in ("small", "large"):
        total = getattr(sizes, slot)
        t = time.perf_counter()
        out[slot] = pupils.build(total, sizes.per_school,
                                 import_rows=sizes.import_rows if slot == "large" else 0)
        log(f"pupils: bureau of {total} ready in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    pupils.analyze()
    log(f"pupils: VACUUM ANALYZE in {time.perf_counter() - t:.1f} s")
    return out


def run(sizes: Sizes, workdir: str, attempt) -> dict:
    """Every roster key (None when not measured; `attempt(name, fn)` records
    why)."""
    results: dict = dict.fromkeys(KEYS)
    bureaus = attempt("roster_data", lambda: build(sizes))
    if not bureaus:
        return results
    r = attempt("roster_import", lambda: roster_import(bureaus["large"], sizes, workdir))
    if r:
        results["roster_import_s_3000"] = round(r["seconds"], 2)
        results["roster_import_peak_mb_3000"] = round(r["peak_mb"], 1)
        log(f"import: {r['rows']} rows, median of {r['all_seconds']} s: {r['seconds']:.2f} s "
            f"(read {r['read_s']:.2f}, "
            f"plan {r['plan_s']:.2f}, commit {r['commit_s']:.2f}); highest child peak RSS "
            f"{r['peak_mb']:.1f} MB (after django.setup {r['base_mb']:.1f} MB); "
            f"plan {r['plan']}; outcome {r['outcome']}")
    for slot, key in SLOTS:
        pb = bureaus[slot]
        r = attempt(f"pupil_list_{key}", lambda pb=pb: pupil_list(pb))
        if r:
            results[f"pupil_list_queries_{key}"] = r["queries"]
            results[f"pupil_list_ms_{key}"] = round(r["ms"], 1)
            log(f"roster page, {pb.total} pupils in the bureau: {r['queries']} queries, "
                f"median {r['ms']:.1f} ms (SQL {r['sql_ms']:.1f} ms, {r['bytes']} bytes); "
                "slowest: " + " | ".join(f"{q['time']}s {q['sql'][:160]}"
                                         for q in r["slowest"][:2]))
        r = attempt(f"pupil_counts_{key}", lambda pb=pb: pupil_counts(pb))
        if r:
            results[f"bureau_priority_counts_ms_{key}"] = round(r["ms"], 1)
            log(f"bureau counts, {pb.total} pupils: {r['queries']} queries, median "
                f"{r['ms']:.1f} ms (SQL {r['sql_ms']:.1f} ms; nightly recount "
                f"{r['refresh_s']:.2f} s); slowest: "
                + " | ".join(f"{q['time']}s {q['sql'][:160]}" for q in r["slowest"][:2]))
    return results


def table_rows(r: dict, sizes: Sizes, fmt, verdict) -> list[tuple]:
    """The README table's rows of the roster keys: (key, setting, value,
    target, result)."""
    def have(*keys):
        return all(r.get(k) is not None for k in keys)

    q_ok = r["pupil_list_queries_1000"] == r["pupil_list_queries_1000000"] \
        if have("pupil_list_queries_1000", "pupil_list_queries_1000000") else None
    list_ok = r["pupil_list_ms_1000000"] < 3 * r["pupil_list_ms_1000"] \
        if have("pupil_list_ms_1000", "pupil_list_ms_1000000") else None
    counts_ok = r["bureau_priority_counts_ms_1000000"] < 3 * r["bureau_priority_counts_ms_1000"] \
        if have("bureau_priority_counts_ms_1000", "bureau_priority_counts_ms_1000000") else None
    imp_s, imp_mb = r.get("roster_import_s_3000"), r.get("roster_import_peak_mb_3000")
    small, large, per = sizes.small, sizes.large, sizes.per_school
    return [
        ("roster_import_s_3000", f"{sizes.import_rows}-row .xlsx, {sizes.import_changes} "
         f"changes, into a school of the {large}-pupil bureau: read + plan + commit, median "
         f"of {IMPORT_RUNS}",
         fmt(imp_s, " s"), "< 15 s", verdict(imp_s < 15 if imp_s is not None else None)),
        ("roster_import_peak_mb_3000", "child peak RSS, highest of the runs", fmt(imp_mb, " MB"),
         "< 200 MB",
         verdict(imp_mb < 200 if imp_mb is not None else None)),
        ("pupil_list_queries_1000", f"roster page, principal, {small} pupils in the bureau "
         f"({per} in the school)", fmt(r["pupil_list_queries_1000"]), "equal at both sizes",
         verdict(q_ok)),
        ("pupil_list_queries_1000000", f"roster page, principal, {large} pupils in the bureau "
         f"({per} in the school)", fmt(r["pupil_list_queries_1000000"]),
         "equal at both sizes", verdict(q_ok)),
        ("pupil_list_ms_1000", f"{small} pupils, median of 7", fmt(r["pupil_list_ms_1000"], " ms"),
         "", ""),
        ("pupil_list_ms_1000000", f"{large} pupils, median of 7",
         fmt(r["pupil_list_ms_1000000"], " ms"), "< 3 × pupil_list_ms_1000", verdict(list_ok)),
        ("bureau_priority_counts_ms_1000", f"bureau counts page, inspector, {small} pupils, "
         "median of 7", fmt(r["bureau_priority_counts_ms_1000"], " ms"), "", ""),
        ("bureau_priority_counts_ms_1000000", f"bureau counts page, inspector, {large} pupils "
         f"in {large // per} schools, median of 7", fmt(r["bureau_priority_counts_ms_1000000"],
                                                        " ms"),
         "< 3 × bureau_priority_counts_ms_1000", verdict(counts_ok)),
    ]
