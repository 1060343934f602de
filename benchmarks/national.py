"""`python -m benchmarks.national` (`make bench-national`): the reporting cycle
at national scale, 500,000 schools × 16 deadlines, on PostgreSQL.

Its own database (default safety_portal_bench_national), built once with
set-based SQL (benchmarks/bulk.py) and reused by later runs. Writes
benchmarks/results-national.json; the dashboard is compared with the 50,000
figures of the latest full `make bench` (benchmarks/results.json). A figure
that could not be obtained is written as null, never estimated."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
import traceback

from . import env

SIZE = 500_000
NATIONAL_DATABASE_URL = env.DEFAULT_DATABASE_URL + "_national"
KEYS = ["dashboard_queries_500000", "dashboard_ms_500000", "overdue_scan_s_500000",
        "overdue_rescan_new_notices_500000", "export_s_500000", "export_peak_mb_500000"]


def build(size: int):
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from schools.models import Bureau, Membership, Role, User

    from . import bulk, data

    bureau, _ = Bureau.objects.get_or_create(code=f"BENCH-{size}",
                                             defaults={"name": f"基准测试区 {size}"})
    campaign = data._campaign(bureau)
    deadlines, submit_deadline = data._deadlines(campaign)
    bulk.schools(bureau.pk, size, prefix=f"N{size}-")
    inspector, _ = User.objects.get_or_create(
        username=f"bench{size}-inspector",
        defaults={"full_name": "督导员", "password": make_password(None)})
    Membership.objects.get_or_create(user=inspector, role=Role.INSPECTOR, bureau=bureau)
    bulk.staff(bureau.pk, size, user_prefix=f"bench{size}-s")
    bulk.reports(campaign, deadlines)
    data._tallies([*deadlines, submit_deadline])
    t = time.perf_counter()
    opened, done = bulk.arm_followups(campaign, [*deadlines, submit_deadline])
    if opened or done:
        data.log(f"follow-ups: {opened} open, {done} done in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("schools_school", "schools_user", "schools_membership",
                      "reporting_deadline", "reporting_progressreport",
                      "reporting_deadlinetally", "notifications_notice", "followups_followup"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    data.log(f"VACUUM ANALYZE in {time.perf_counter() - t:.1f} s")
    return data.Dataset(size=size, bureau=bureau, campaign=campaign, deadlines=deadlines,
                        submit_deadline=submit_deadline, inspector=inspector, submitters=[])


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.national")
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--build-only", action="store_true", help="build the data, measure nothing")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", NATIONAL_DATABASE_URL)
    child_env = env.configure()
    workdir = child_env["BENCH_WORKDIR"]
    url = child_env["DATABASE_URL"]
    created = env.start(url)
    from django.core.management import call_command

    from . import data, measure

    data.log(f"national run, {args.size} schools, database {url.rsplit('/', 1)[-1]} "
             f"{'created' if created else 'reused'}")
    call_command("migrate", interactive=False, verbosity=0)
    t = time.perf_counter()
    ds = build(args.size)
    data.log(f"data for {args.size} schools ready in {time.perf_counter() - t:.1f} s")
    if args.build_only:
        return 0

    results: dict = dict.fromkeys(KEYS)
    notes: dict[str, str] = {}

    def attempt(name, fn):
        try:
            return fn()
        except Exception:  # noqa: BLE001 - "not measured", never a fake figure
            notes[name] = traceback.format_exc(limit=3).strip().splitlines()[-1]
            traceback.print_exc()
            return None

    r = attempt("dashboard", lambda: measure.dashboard(ds))
    if r:
        results["dashboard_queries_500000"] = r["queries"]
        results["dashboard_ms_500000"] = round(r["ms"], 1)
        data.log(f"dashboard: {r['queries']} queries, median {r['ms']:.1f} ms "
                 f"(SQL {r['sql_ms']:.1f} ms); slowest: "
                 + " | ".join(f"{q['time']}s {q['sql'][:200]}" for q in r["slowest"][:3]))

    r = attempt("scan", lambda: measure.overdue_scan(ds))
    if r:
        from .__main__ import _log_scan

        results["overdue_scan_s_500000"] = round(r["seconds"], 2)
        results["overdue_rescan_new_notices_500000"] = r["rescan_new"]
        _log_scan("overdue scan", r)

    if args.skip_export:
        notes["export"] = "skipped (--skip-export)"
    else:
        r = attempt("export", lambda: measure.export(ds, workdir))
        if r:
            results["export_s_500000"] = round(r["seconds"], 2)
            results["export_peak_mb_500000"] = round(r["peak_mb"], 1)
            data.log(f"export: {r['rows']} rows, {r['bytes'] / 1e6:.1f} MB file in "
                     f"{r['seconds']:.2f} s; child peak RSS {r['peak_mb']:.1f} MB")

    if args.size != SIZE:
        print(json.dumps(results, indent=2))
        print(f"(size {args.size}: results not written)")
        shutil.rmtree(workdir, ignore_errors=True)
        return 0
    table = render_table(results, notes)
    print()
    print(table)
    (env.BENCH_DIR / "results-national.json").write_text(json.dumps(results, indent=2) + "\n")
    from .__main__ import write_readme

    write_readme(table, section="national")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def render_table(r: dict, notes: dict, when: str | None = None) -> str:
    base = {}
    path = env.BENCH_DIR / "results.json"
    if path.exists():
        base = json.loads(path.read_text())

    def verdict(ok):
        return "not measured" if ok is None else ("PASS" if ok else "FAIL")

    def fmt(v, unit=""):
        return "not measured" if v is None else f"{v}{unit}"

    q50, ms50 = base.get("dashboard_queries_50000"), base.get("dashboard_ms_50000")
    rows = [
        ("dashboard_queries_500000", fmt(r["dashboard_queries_500000"]),
         f"= dashboard_queries_50000 ({fmt(q50)})",
         verdict(None if None in (q50, r["dashboard_queries_500000"])
                 else r["dashboard_queries_500000"] == q50)),
        ("dashboard_ms_500000", fmt(r["dashboard_ms_500000"], " ms"),
         f"< 3 × dashboard_ms_50000 ({fmt(ms50, ' ms')})",
         verdict(None if None in (ms50, r["dashboard_ms_500000"])
                 else r["dashboard_ms_500000"] < 3 * ms50)),
        ("overdue_scan_s_500000", fmt(r["overdue_scan_s_500000"], " s"), "< 60 s",
         verdict(None if r["overdue_scan_s_500000"] is None
                 else r["overdue_scan_s_500000"] < 60)),
        ("overdue_rescan_new_notices_500000", fmt(r["overdue_rescan_new_notices_500000"]),
         "= 0", verdict(None if r["overdue_rescan_new_notices_500000"] is None
                        else r["overdue_rescan_new_notices_500000"] == 0)),
        ("export_s_500000", fmt(r["export_s_500000"], " s"), "< 150 s",
         verdict(None if r["export_s_500000"] is None else r["export_s_500000"] < 150)),
        ("export_peak_mb_500000", fmt(r["export_peak_mb_500000"], " MB"), "< 300 MB",
         verdict(None if r["export_peak_mb_500000"] is None
                 else r["export_peak_mb_500000"] < 300)),
    ]
    when = when or f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    lines = [f"Run: national ({SIZE} schools × 16 deadlines), {when}", "",
             "| key | value | target | result |", "|---|---|---|---|"]
    lines += [f"| {k} | {v} | {t} | {p} |" for k, v, t, p in rows]
    for name, note in notes.items():
        lines.append(f"\nNot measured / error in {name}: {note}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
