"""`python -m benchmarks [--quick]`: build the data on PostgreSQL, measure, report.

Writes benchmarks/results.json (full run) or benchmarks/results-quick.json
(--quick, sizes 100 and 1,000 in the *_500 and *_50000 slots; for the roster
keys 100 and 10,000 pupils in the *_1000 and *_1000000 slots and a 300-row
file in the *_3000 slot) and the table in benchmarks/README.md. `--only
roster` (or `--only incidents`) measures those keys alone and keeps the other
keys' figures of the previous run."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import traceback

from . import env

KEYS = ["dashboard_queries_500", "dashboard_queries_50000", "dashboard_ms_500",
        "dashboard_ms_50000", "overdue_scan_s_50000", "overdue_rescan_new_notices",
        "followup_scan_s_1000000", "followup_rescan_new_notices",
        "export_s_50000", "export_peak_mb_50000", "submit_per_s",
        # The deadline rush (security.md G13), beyond the keys.
        "rush_schools", "rush_s", "rush_5xx", "rush_lost_reports", "rush_lost_photos",
        "rush_p95_s", "rush_peak_db_connections", "rush_db_connection_limit",
        # Issue 8 item 2, "Speed": one 12 MP phone JPEG through reporting.photos.
        "photo_cpu_s_12mp", "photo_psnr_db_12mp",
        # Issue 9 item 10: the roster import, the roster page, the bureau counts
        # (benchmarks/roster.py).
        "roster_import_s_3000", "roster_import_peak_mb_3000",
        "pupil_list_queries_1000", "pupil_list_queries_1000000",
        "pupil_list_ms_1000", "pupil_list_ms_1000000",
        "bureau_priority_counts_ms_1000", "bureau_priority_counts_ms_1000000",
        # Issue 10 items 7 and 10: the bureau pages of incidents
        # (benchmarks/incidents_pages.py).
        "incidents_bureau_view_queries_500", "incidents_bureau_view_queries_50000",
        "incidents_bureau_view_ms_500", "incidents_bureau_view_ms_50000",
        "dispute_bureau_view_queries_500", "dispute_bureau_view_queries_50000",
        "dispute_bureau_view_ms_500", "dispute_bureau_view_ms_50000"]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="sizes 100 and 1,000")
    parser.add_argument("--skip-web", action="store_true", help="do not start gunicorn")
    parser.add_argument("--skip-rush", action="store_true",
                        help="skip the deadline rush (300 schools × 5 photos; minutes on 2 cores)")
    parser.add_argument("--skip-roster", action="store_true",
                        help="skip the roster keys (the first run builds 1,000,000 pupils)")
    parser.add_argument("--only", choices=["roster", "incidents"],
                        help="measure only these keys; the others keep the previous run's")
    args = parser.parse_args()
    small, large = (100, 1000) if args.quick else (500, 50000)

    child_env = env.configure(quick=args.quick)
    workdir = child_env["BENCH_WORKDIR"]
    url = child_env["DATABASE_URL"]
    created = env.start(url)
    from django.core.management import call_command

    from . import data, measure

    print(f"benchmarks: {'quick' if args.quick else 'full'} run, sizes {small} and {large}, "
          f"database {'created' if created else 'reused'}", flush=True)
    t = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    data.log(f"migrate in {time.perf_counter() - t:.1f} s")

    results: dict = dict.fromkeys(KEYS)
    notes: dict[str, str] = {}
    from . import incidents_pages, roster

    assert set(roster.KEYS) <= set(KEYS)
    assert set(incidents_pages.KEYS) <= set(KEYS)
    rsizes = roster.QUICK if args.quick else roster.FULL
    name = "results-quick.json" if args.quick else "results.json"

    def attempt(name, fn):
        try:
            return fn()
        except Exception:  # noqa: BLE001 - report "not measured", never a fake figure
            notes[name] = traceback.format_exc(limit=3).strip().splitlines()[-1]
            traceback.print_exc()
            return None

    if args.only:
        path = env.BENCH_DIR / name
        previous = json.loads(path.read_text()) if path.exists() else {}
        results.update({k: v for k, v in previous.items() if k in KEYS})
        if args.only == "roster":
            results.update(roster.run(rsizes, workdir, attempt))
        else:
            results.update(incidents_pages.run((small, large), attempt))
        earlier = _run_line(args.quick)
        notes["only"] = (f"only the {args.only} keys were measured (`--only {args.only}`); "
                         "the other figures are the previous run's"
                         + (f" ({earlier})" if earlier else ""))
        return _finish(results, small, large, args.quick, notes, rsizes, name, workdir)
    # The photo pipeline needs no data: measured first, so a failure below still shows it.
    try:
        r = _photo()
    except Exception:  # noqa: BLE001 - report "not measured", never a fake figure
        notes["photo"] = traceback.format_exc(limit=3).strip().splitlines()[-1]
        traceback.print_exc()
        r = None
    if r:
        results["photo_cpu_s_12mp"] = round(r["cpu_s"], 3)
        results["photo_psnr_db_12mp"] = round(r["psnr_db"], 1)
        data.log(f"photo_cpu_s_12mp {r['cpu_s']:.3f} (target ≤ 0.15): {r['size'][0]}×"
                 f"{r['size'][1]} stored, median of {r['runs']} (reference full decode + "
                 f"Lanczos {r['reference_cpu_s']:.3f} s; with a Display-P3 profile "
                 f"{r['p3_cpu_s']:.3f} s); photo_psnr_db_12mp "
                 f"{r['psnr_db']:.1f} (target ≥ 38), resampled {r['resample_psnr_db']:.1f} dB")
    datasets = {}
    for size in (small, large):
        t = time.perf_counter()
        datasets[size] = data.build(size, submitters=size == large)
        data.log(f"data for {size} schools ready in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    _scan_campaign, scan_deadlines = data.build_scan_campaign(datasets[large].bureau)
    data.log(f"follow-up scan campaign ready in {time.perf_counter() - t:.1f} s")

    # Fresh planner statistics and visibility map, as autovacuum would have them
    # in production (a bulk load followed at once by queries plans on stale
    # estimates, and cannot use index-only scans).
    t = time.perf_counter()
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("schools_school", "schools_user", "schools_membership",
                      "reporting_deadline", "reporting_progressreport",
                      "notifications_notice", "followups_followup"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    data.log(f"VACUUM ANALYZE in {time.perf_counter() - t:.1f} s")

    for size, slot in ((small, "500"), (large, "50000")):
        r = attempt(f"dashboard_{size}", lambda s=size: measure.dashboard(datasets[s]))
        if r:
            results[f"dashboard_queries_{slot}"] = r["queries"]
            results[f"dashboard_ms_{slot}"] = round(r["ms"], 1)
            data.log(f"dashboard {size}: {r['queries']} queries, median {r['ms']:.1f} ms "
                     f"(SQL {r['sql_ms']:.1f} ms); "
                     f"slowest: " + " | ".join(f"{q['time']}s {q['sql'][:160]}"
                                               for q in r["slowest"][:2]))

    # The bureau pages of incidents, on their own data in the same bureaus.
    results.update(incidents_pages.run((small, large), attempt))

    r = attempt("scan", lambda: measure.overdue_scan(datasets[large]))
    if r:
        results["overdue_scan_s_50000"] = round(r["seconds"], 2)
        results["overdue_rescan_new_notices"] = r["rescan_new"]
        _log_scan("overdue scan", r)

    r = attempt("followup_scan", lambda: measure.million_scan(scan_deadlines))
    if r:
        results["followup_scan_s_1000000"] = round(r["seconds"], 2)
        results["followup_rescan_new_notices"] = r["rescan_new"]
        _log_scan("follow-up scan", r)

    r = attempt("export", lambda: measure.export(datasets[large], workdir))
    if r:
        results["export_s_50000"] = round(r["seconds"], 2)
        results["export_peak_mb_50000"] = round(r["peak_mb"], 1)
        data.log(f"export: {r['rows']} rows, {r['bytes'] / 1e6:.1f} MB file in "
                 f"{r['seconds']:.2f} s; child peak RSS {r['peak_mb']:.1f} MB "
                 f"(after django.setup {r['base_mb']:.1f} MB; wait4 ru_maxrss "
                 f"{r['wait4_maxrss_mb']:.1f} MB, inflated by the parent's)")

    if args.skip_web:
        notes["web"] = "skipped (--skip-web)"
    else:
        r = attempt("web", lambda: measure.submissions(datasets[large], workdir))
        if r:
            results["submit_per_s"] = round(r["per_s"], 3) if r["per_s"] is not None else None
            data.log(f"web: {r['successes']}/{r['attempted']} submissions in "
                     f"{r['elapsed']:.1f} s; stored {r['stored_reports']} reports, "
                     f"{r['stored_photos']} photos; errors {r['errors']}")
            if not r["successes"]:
                notes["web"] = f"no successful submission: {r['errors'][:2]}"

    if args.skip_web or args.skip_rush:
        notes["rush"] = "skipped (--skip-web or --skip-rush)"
    else:
        from . import rush

        r = attempt("rush", lambda: rush.run(datasets[large], workdir,
                                             schools=30 if args.quick else rush.SCHOOLS))
        if r:
            results.update({
                "rush_schools": r["schools"], "rush_s": round(r["elapsed"], 1),
                "rush_5xx": r["server_errors"], "rush_lost_reports": r["lost_reports"],
                "rush_lost_photos": r["lost_photos"],
                "rush_p95_s": round(r["p95_s"], 2) if r["p95_s"] is not None else None,
                "rush_peak_db_connections": r["peak_connections"],
                "rush_db_connection_limit": r["connection_limit"],
            })
            data.log(f"rush: {r['schools']} schools in {r['elapsed']:.1f} s; {r['requests']} "
                     f"requests, median {r['median_s']:.2f} s, p95 {r['p95_s']:.2f} s; "
                     f"5xx {r['server_errors']}; failed {r['failed']} {r['failures']}; lost "
                     f"{r['lost_reports']} reports / {r['lost_photos']} photos; extra reports "
                     f"{r['extra_reports']}; DB connections peak {r['peak_connections']} "
                     f"(limit − 10 = {r['connection_limit']})")

    if args.skip_roster:
        notes["roster"] = "skipped (--skip-roster)"
    else:
        results.update(roster.run(rsizes, workdir, attempt))

    return _finish(results, small, large, args.quick, notes, rsizes, name, workdir)


def _finish(results, small, large, quick, notes, rsizes, name, workdir) -> int:
    table = render_table(results, small, large, quick, notes, rsizes)
    print()
    print(table)
    (env.BENCH_DIR / name).write_text(json.dumps(results, indent=2) + "\n")
    write_readme(table, quick)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _run_line(quick: bool) -> str:
    """The "Run: …" line of the README's latest full (or quick) table."""
    path = env.BENCH_DIR / "README.md"
    marker = MARKERS["quick" if quick else "full"]
    text = path.read_text() if path.exists() else ""
    if marker not in text:
        return ""
    for line in text.split(marker, 1)[1].splitlines():
        if line.startswith("Run: "):
            return line[len("Run: "):]
    return ""


def _photo() -> dict:
    from . import photos

    return photos.measure()


def _log_scan(label: str, r: dict) -> None:
    from .data import log

    log(f"{label}: {r['open']} open, {r['due']} due; claimed {r['first'].claimed}, told "
        f"{r['first'].told}, {r['first'].notices} notices in {r['seconds']:.2f} s "
        f"({r['queries']} queries, SQL {r['sql_s']:.2f} s); rescan {r['rescan_s']:.2f} s, "
        f"claimed {r['rescan_claimed']}, {r['rescan_new']} new; slowest: "
        + " | ".join(f"{q['time']}s {q['sql'][:160]}" for q in r["slowest"][:2]))


def _fmt(v, unit=""):
    return "not measured" if v is None else f"{v}{unit}"


def render_table(r: dict, small: int, large: int, quick: bool, notes: dict,
                 rsizes=None) -> str:
    def verdict(ok):
        return "not measured" if ok is None else ("PASS" if ok else "FAIL")

    def both(*keys):
        return all(r[k] is not None for k in keys)

    q_ok = r["dashboard_queries_500"] == r["dashboard_queries_50000"] \
        if both("dashboard_queries_500", "dashboard_queries_50000") else None
    ms_ok = r["dashboard_ms_50000"] < 3 * r["dashboard_ms_500"] \
        if both("dashboard_ms_500", "dashboard_ms_50000") else None
    scan_ok = r["overdue_scan_s_50000"] < 10 if both("overdue_scan_s_50000") else None
    rescan_ok = r["overdue_rescan_new_notices"] == 0 \
        if both("overdue_rescan_new_notices") else None
    fu_ok = r["followup_scan_s_1000000"] < 10 if both("followup_scan_s_1000000") else None
    refu_ok = r["followup_rescan_new_notices"] == 0 \
        if both("followup_rescan_new_notices") else None
    ex_ok = r["export_s_50000"] < 30 if both("export_s_50000") else None
    mem_ok = r["export_peak_mb_50000"] < 300 if both("export_peak_mb_50000") else None
    rows = [
        ("dashboard_queries_500", f"{small} schools", _fmt(r["dashboard_queries_500"]),
         "equal at both sizes", verdict(q_ok)),
        ("dashboard_queries_50000", f"{large} schools", _fmt(r["dashboard_queries_50000"]),
         "equal at both sizes", verdict(q_ok)),
        ("dashboard_ms_500", f"{small} schools, median of 7",
         _fmt(r["dashboard_ms_500"], " ms"), "", ""),
        ("dashboard_ms_50000", f"{large} schools, median of 7",
         _fmt(r["dashboard_ms_50000"], " ms"), "< 3 × dashboard_ms_500", verdict(ms_ok)),
        ("overdue_scan_s_50000", f"{large} schools, follow-up scan the morning after a "
         "deadline (overdue step)", _fmt(r["overdue_scan_s_50000"], " s"), "< 10 s",
         verdict(scan_ok)),
        ("overdue_rescan_new_notices", "second run, same time",
         _fmt(r["overdue_rescan_new_notices"]), "= 0", verdict(rescan_ok)),
        ("followup_scan_s_1000000", f"{20 * large} open follow-ups, {large} (5 %) due",
         _fmt(r["followup_scan_s_1000000"], " s"), "< 10 s", verdict(fu_ok)),
        ("followup_rescan_new_notices", "second run, same time",
         _fmt(r["followup_rescan_new_notices"]), "= 0", verdict(refu_ok)),
        ("export_s_50000", f"{large} schools", _fmt(r["export_s_50000"], " s"), "< 30 s",
         verdict(ex_ok)),
        ("export_peak_mb_50000", "child peak RSS", _fmt(r["export_peak_mb_50000"], " MB"),
         "< 300 MB", verdict(mem_ok)),
        ("submit_per_s", "gunicorn ×2, 4 clients, 3×3 MB photos + submit",
         _fmt(r["submit_per_s"], "/s"), "(no target)", ""),
    ]
    rush_n = r["rush_schools"]
    rush_setting = f"{_fmt(rush_n)} schools × 5 photos (3–5 MB), 50 clients, gunicorn ×3"
    rows += [
        ("rush_s", rush_setting, _fmt(r["rush_s"], " s"), "≤ 60 s (G13, target hardware)",
         verdict(r["rush_s"] <= 60 if both("rush_s") else None)),
        ("rush_5xx", "requests with a 5xx or no answer", _fmt(r["rush_5xx"]), "= 0",
         verdict(r["rush_5xx"] == 0 if both("rush_5xx") else None)),
        ("rush_lost_reports", "confirmed but not stored", _fmt(r["rush_lost_reports"]), "= 0",
         verdict(r["rush_lost_reports"] == 0 if both("rush_lost_reports") else None)),
        ("rush_lost_photos", "confirmed but not stored", _fmt(r["rush_lost_photos"]), "= 0",
         verdict(r["rush_lost_photos"] == 0 if both("rush_lost_photos") else None)),
        ("rush_p95_s", "request latency, queueing included", _fmt(r["rush_p95_s"], " s"),
         "≤ 5 s (G13, target hardware)",
         verdict(r["rush_p95_s"] <= 5 if both("rush_p95_s") else None)),
        ("rush_peak_db_connections", "pg_stat_activity, sampled every 0.2 s",
         _fmt(r["rush_peak_db_connections"]),
         f"< max_connections − 10 = {_fmt(r['rush_db_connection_limit'])}",
         verdict(r["rush_peak_db_connections"] < r["rush_db_connection_limit"]
                 if both("rush_peak_db_connections", "rush_db_connection_limit") else None)),
    ]
    photo_cpu, photo_psnr = r.get("photo_cpu_s_12mp"), r.get("photo_psnr_db_12mp")
    rows += [
        ("photo_cpu_s_12mp", "4032×3024 phone JPEG through process_photo, CPU s, median of 5",
         _fmt(photo_cpu, " s"), "≤ 0.15 s",
         verdict(photo_cpu <= 0.15 if photo_cpu is not None else None)),
        ("photo_psnr_db_12mp", "stored photo vs full decode + Lanczos, same JPEG encoding",
         _fmt(photo_psnr, " dB"), "≥ 38 dB",
         verdict(photo_psnr >= 38 if photo_psnr is not None else None)),
    ]
    from . import roster

    rs = rsizes or (roster.QUICK if quick else roster.FULL)
    rows += roster.table_rows(r, rs, _fmt, verdict)
    from . import incidents_pages

    rows += incidents_pages.table_rows(r, small, large, _fmt, verdict)
    lines = [f"Run: {'quick' if quick else 'full'} ({small} / {large} schools; "
             f"{rs.small} / {rs.large} pupils), {time.strftime('%Y-%m-%d %H:%M %Z')}", "",
             "| key | setting | value | target | result |", "|---|---|---|---|---|"]
    lines += [f"| {k} | {s} | {v} | {t} | {p} |" for k, s, v, t, p in rows]
    for name, note in notes.items():
        if name == "only":
            lines.append(f"\nIn this run {note}.")
        else:
            lines.append(f"\nNot measured / error in {name}: {note}")
    return "\n".join(lines)


README_HEAD = """# Benchmarks

`make bench` (or `.venv/bin/python -m benchmarks`) measures the reporting cycle
on **PostgreSQL** (SQLite is refused). `DATABASE_URL` defaults to
`postgres://postgres@127.0.0.1:5432/safety_portal_bench`; the database is
created if missing and migrated. Data is built once per size (bureaus
`BENCH-500` and `BENCH-50000`: primary schools, a principal and a safety officer
each, one inspector, a May–December campaign with 16 progress deadlines plus a
dedicated 31 December deadline for the web test, ~80 % of school × deadline
pairs with a report in a mix of statuses) and reused by later runs.
`--quick` uses 100 and 1,000 schools instead (results in `results-quick.json`,
in the `_500` / `_50000` slots), in its own database `safety_portal_bench_quick`
when `DATABASE_URL` is unset.

What is measured:

* **dashboard**: `reporting:dashboard` for the inspector through Django's test
  client; SQL queries of one request and the median of 7 timed requests (after
  1 warm-up) at both sizes.
* **follow-up scans** (`followups.services.scan(at=…)`, the one scan that tells
  every reminder and overdue notice). The data builder opens the
  `reporting.report_due` follow-ups as `reporting.followups.arm_deadlines`
  would (set-based, `benchmarks/bulk.py`): one per expected school × deadline,
  done for the pairs whose school submitted. Before each measurement every
  open follow-up is put where the minute-by-minute scan would have left it
  just before `at` (`bulk.rewind`; steps before `at` passed) and the bench
  users' notices are deleted, so the scan tells only what falls due at `at`;
  then the same scan runs again and must create nothing.
  * `overdue_scan_s_50000` / `overdue_rescan_new_notices` (names kept so the
    history stays comparable; until 29 Nov they timed
    `reporting.notices.scan`, which no longer sends reminders or overdue
    notices): `at` = 25 Sept 08:00 Asia/Shanghai, the morning after the
    24 September deadline: the overdue step of every school of the 50,000
    (and of the 500) that has not submitted, two notices each (principal and
    safety officer).
  * `followup_scan_s_1000000` / `followup_rescan_new_notices`: a second
    campaign of the 50,000 bureau (January–October of the next year, 20
    deadlines, nobody has reported: 1,000,000 open follow-ups, besides the
    first campaign's ~245,000); `at` = the morning after its 10th deadline:
    50,000 rows (5 %) due, 100,000 notices.
* **export**: `write_timeliness_workbook` of the large campaign in a child
  process (`python -m benchmarks.export_child`); seconds, and the child's peak
  RSS from `os.wait4` (whole process, Django included).
* **submissions**: gunicorn (2 sync workers) on 127.0.0.1 with a throw-away
  MEDIA_ROOT; 30 safety officers log in (not timed), then 4 client threads each
  post three ~3 MB JPEGs to `reporting:photo_add` and submit the report form
  (`reporting:report_edit`); `submit_per_s` = successful submissions (302 to the
  report) / elapsed seconds, bounded at 60 s.

* **deadline rush** (security.md G13; `--skip-rush` to leave it out): the first
  300 schools' safety officers sign in (not timed), then 50 client threads start
  at once; each school posts five JPEGs of 3, 3.5, 4, 4.5 and 5 MB in one
  `reporting:photo_add` request and submits; every tenth school taps submit
  twice at once. gunicorn runs as the production image does (3 sync workers,
  60 s timeout). Reported: seconds until every school is done, requests with a
  5xx or no answer, reports and photos confirmed to the school but not stored,
  p95 latency as the phone sees it (queueing included), and the peak of
  `pg_stat_activity` against `max_connections − 10`. The clients share the
  machine's cores with the server; G13's 60 s and 5 s are for target hardware.

* **photo** (issue 8 item 2; no database): `photo_cpu_s_12mp`, the median CPU
  seconds (`time.process_time`, 5 runs after a warm-up) of one synthetic
  4032×3024 phone JPEG (gradients, edges, text and noise at quality 92,
  `benchmarks/photos.py`) through `reporting.photos.process_photo`, target
  ≤ 0.15 s; and `photo_psnr_db_12mp`, the stored photo against a reference made
  from the full-size decode with Lanczos to the same size and the same JPEG
  encoding, target ≥ 38 dB. `python -m benchmarks.photos` runs it alone.

* **roster** (issue 9 item 10; `--skip-roster` to leave it out, `--only
  roster` to measure these keys alone and keep the other keys' figures of the
  previous run). `benchmarks/pupils.py` builds (once, set-based SQL with the
  indexes made after the load: ~3 min for the million on this machine; reused)
  two bureaus, `BENCH-P1000` (one school) and `BENCH-P1000000` (1,000 schools),
  1,000 pupils a school in grades 1–6 of this school year (~42 a class): a
  学籍号 of "G" + a valid ID number, this year's enrolment, one primary
  guardian, ~15 % a current 留守 circumstance (and ~2 % one that ended, ~5 %
  another group), ~2 % transferred out; a principal for the first school and
  an inspector. `--quick`: 100 and 10,000 pupils (100 a school) in the
  `_1000` / `_1000000` slots, a 300-row file with 20 changes in the `_3000`
  slots.
  * `roster_import_s_3000` / `roster_import_peak_mb_3000`: the import school
    of the large bureau (3,000 pupils, put back to the same baseline before
    each run) and a 3,000-row .xlsx in the template's columns
    (`benchmarks/roster_file.py`, openpyxl write-only) in which 200 pupils
    differ from the database (100 moved to another class of their grade, 100
    with a new phone for their first guardian); `read_roster` + `plan_import`
    (the preview) + `commit_import` by the school's principal in a child
    process (`python -m benchmarks.import_child`, `BENCH_PROFILE=1` prints a
    cProfile); the median seconds of 3 such runs, and the highest of their
    peak RSS (VmHWM, whole process with Django) as for the export.
  * `pupil_list_queries_*` / `pupil_list_ms_*`: the roster page
    (`schools:roster`) for the principal of a 1,000-pupil school, with 1,000
    and with 1,000,000 pupils in the bureau; queries of one request and the
    median of 7 (after 1 warm-up), past the step-up second factor.
  * `bureau_priority_counts_ms_*`: the bureau's priority-group counts
    (`schools:pupil_counts`) for the inspector, at both sizes, the same way.

* **incidents bureau pages** (issue 10 items 7 and 10; `--only incidents` to
  measure these keys alone and keep the other keys' figures of the previous
  run). `benchmarks/incidents_data.py` adds to `BENCH-500` and `BENCH-50000`
  (once, set-based SQL; reused; a later run adds the months that have passed;
  with `--only incidents` on an empty database it makes the bureaus' schools,
  staff and inspector as the data builder does) for the current year: 6
  referrals a school, each with its concern (one or two situations; ~79 %
  reported to the police, most within the 24 hours, some 1–10 days after; the
  rest not reported), in a mix of states; 4 bullying cases a school in every
  state, the 10-day investigation and 15-day re-check clocks set as the
  services set them (some kept, some late, some overdue, some still running) —
  500,000 referrals and cases at 50,000 schools; then the tallies the view
  reads are recounted from them (`incidents.tallies.recount`); a dispute
  return for every school and every month of the year before the current one
  (~85 % filed on time, ~10 % late, ~5 % missing: drafts or no row; "none
  found" but for 1 return in 20, which lists a dispute).
  * `incidents_bureau_view_queries_*`: 强制报告统计 (`incidents:bureau_counts`)
    for the bureau's inspector, queries of one request at each size (must be
    equal); `incidents_bureau_view_ms_*` the median of 7 (after 1 warm-up) at
    each size: at 50,000 schools under 3× the 500-school time.
  * `dispute_bureau_view_queries_*` / `dispute_bureau_view_ms_*`: the same
    for 矛盾纠纷排查 (`incidents:bureau_disputes`: each month's filing, the
    suppressed dispute counts and the first page of 50 schools with their
    marks). When the counts differ, the run logs the queries that grew.

No broker is used: Celery runs eager in-process and the delivery kick is a
no-op. A figure that could not be obtained is written as `null` in the JSON and
"not measured" in the table, never estimated.

`make bench-national` (`python -m benchmarks.national`) runs the dashboard, the
overdue scan and the export at 500,000 schools × 16 deadlines in its own
database (default `safety_portal_bench_national`), built once with set-based
SQL (`benchmarks/bulk.py`: schools 9 s, 1M staff and memberships 25 s, 6.4M
reports ~4 min, 8.5M follow-ups ~10 min on this machine) and reused. It is
not part of `make bench` or `make test`. Keys (`results-national.json`):
`dashboard_queries_500000` (= the 50,000 count), `dashboard_ms_500000`
(< 3 × `dashboard_ms_50000` of `results.json`), `overdue_scan_s_500000` (the
overdue scan above at 500,000; < 60 s), `overdue_rescan_new_notices_500000`
(= 0), `export_s_500000` (< 150 s) and `export_peak_mb_500000` (< 300 MB).

## Findings (2-core machine, PostgreSQL 15)

* 2 Dec 2026, incidents bureau pages (issue 10 item 7; `--only incidents`,
  load average 4–5.7 on the 2 cores from other engineers' runs; six runs):
  * Both pages keep their query count at 500 and 50,000 schools: 15 for
    `incidents:bureau_counts` (session, user, second factor, memberships,
    bureau; months × situations, school type × state, police timeliness, its
    median and 90th percentile, bullying; the notice badge and the session
    save) and 17 for `incidents:bureau_disputes` (the schedule, schools owing
    per month, returns per month, disputes by kind × month and risk ×
    mediation, the page's count, its 50 schools and their returns). The counts
    page runs 13 when fewer than 5 of the year's referrals were reported (the
    two percentile queries are skipped): bounded, not growing.
  * The time grows with the district. `incidents_bureau_view_ms_50000`
    136–297 ms against 47–71 ms at 500: each of its six aggregates finds the
    bureau's referrals (or cases) of the year by scanning and hashing its
    50,000 schools (10–15 ms a query), and the month × situation one casts
    each referral's situations to text for nine `LIKE`s (50–70 ms).
    `dispute_bureau_view_ms_50000` 537–855 ms against 186–276 ms at 500: the
    returns-per-month aggregate (36 filtered counts over the year's 522,000
    filed returns, a parallel scan of every bureau's returns hashed against
    the 50,000 schools) is 0.4–0.8 s of it; at 500 schools the same query
    still takes ~0.1 s, as the planner reads every bureau's returns (there is
    no index from a bureau to its returns of a month but through
    `school_id`). As with the dashboard before `DeadlineTally`, the
    filing counts want to be kept per bureau × month (moved by filing,
    recounted nightly) rather than aggregated on each view. Not changed here.

* 1 Dec 2026, roster keys (issue 9 item 10; `--only roster`, load average
  8–10 on the 2 cores from other engineers' runs):
  * `roster_import_s_3000`: 17.3 s (runs 17.3, 17.3 and 20.5 s; target
    < 15 s: not met); peak 142.6 MB (passes; 81.5 MB of it is Django before
    the import). Read 6.5 s, plan (the preview) 4.9 s, commit 5.9 s. A
    cProfile run says: `commit_import` makes the whole plan again under the
    school's lock to compare fingerprints, so the 3,000 rows are parsed and
    compared twice (about 4.5 of the commit's 5.9 s; its own writes, three
    `bulk_update`s, ~0.7 s). Within a plan: parsing the 63,000 cells
    (`clean`/`is_blank`/`given` called 126,000 times) ~45 %, the GB 11643
    check of every 学籍号 in `normalise` ~15 %, and `_compare` reaching
    the prefetched guardians through a related manager, which builds a
    queryset per pupil (12,200 `get_queryset` calls) ~20 %. Reading is
    openpyxl's full (not read-only) load, ~65 % of the read; the file is
    written by openpyxl write-only (inline strings); the same rows with
    shared strings, as Excel and WPS save them, read ~30 % faster (8.6 →
    5.9 s in one comparison). Not changed here (the importer is
    issue 9 item 3's): re-checking only the database part of the fingerprint
    in the commit and reusing the parsed rows would take ~4.5 s off.
  * `bureau_priority_counts_ms_1000000`: 3,558 ms against 97.7 ms at 1,000
    pupils (36×; target < 3×: not met). Each view runs two aggregates over
    the whole bureau: enrolled pupils per school (school LEFT JOIN pupil:
    a sequential scan of the 1,004,000 pupils and a hash aggregate, 1.8 s)
    and current circumstances per school × group (`COUNT(DISTINCT pupil)`
    over 196,000 circumstances joined to the pupils, its sort spilling to
    disk, 1.4 s). As with the dashboard before `DeadlineTally`, this wants
    the counts kept per school × group (moved by whatever records or ends a
    circumstance or changes a status; recounted by a nightly check) rather
    than an index: a million-row aggregate does not fit in 3 × 100 ms here.
  * `pupil_list_*`: 15 queries at both sizes; 223.7 ms at 1,000,000 against
    358.2 ms at 1,000 (the page reads the school's pupils only, through
    `pupil_roster_idx`; the first size measured pays the colder caches).
  * Building the million (`benchmarks/pupils.py`) took 524 s with the
    indexes in place and 191 s with the load's unique constraints and plain
    indexes made again afterwards.
* 1 Dec 2026, photos: `photo_cpu_s_12mp` was 0.44 s: a full-size decode
  (0.09 s) and a Lanczos resample of all 12 MP (0.27 s). `draft()` was given a
  square 2048 box; Pillow's draft keeps the image at least the box's size in
  both directions, and libjpeg scales only by 1/2, 1/4, 1/8, so a 4032 px photo
  (half: 2016) was never scaled. The box now has the photo's proportions, and a
  JPEG may be stored up to 5 % under 2048 px when libjpeg's scaling gets there
  (a 4032×3024 photo is stored at 2016×1512, straight from the half-size
  decode, with no resample): 0.09 s, PSNR 41 dB against the careful reference
  (the reference's own JPEG encoding costs it 35 dB against its unencoded
  pixels, so the check compares like with like). Photos that do need a resample
  use Lanczos with `reducing_gap=3`. The ICC conversion runs on the reduced
  image: with an iPhone's Display-P3 profile the same photo takes ~0.12 s
  (logged, not a key). pyvips was not needed.
* 1 Dec 2026, follow-ups and national scale. The machine is shared: other
  engineers' test runs kept the load average at 3–4 on 2 cores during these
  runs, and the same scan measured 12.5 s and 17.5 s minutes apart.
  * The follow-up scan over 50,000 due rows (100,000 notices) first took
    ~48 s: `bulk_update`'s CASE WHEN per row (~1.5 ms a row to build in
    Python); each batch re-sorting every due row (the partial scan index had
    no `id` for its ORDER BY); 100,000 `Notice` instances built for
    `bulk_create` (~80 µs each) plus ~60 µs a row of SQL for a 4,000-row
    VALUES list, and a key look-up per 500; recipients joined to users, which
    the planner answered by hashing the whole user table for every batch;
    each row rebuilding its kind's steps from settings and converting a UUID
    nobody reads. Fixes: one UPDATE per distinct (step, next time); index
    `(next_notice_at, id)`; `notice_enqueue_many` inserts with one
    `INSERT … SELECT FROM unnest(…) ON CONFLICT (key) DO NOTHING RETURNING`
    per 5,000 on PostgreSQL (~22 µs a row; its count is now exact) and cleans
    a context shared by several drafts once; memberships then users by
    primary key; steps read once a batch; unused columns deferred. The full
    run measured 15.4 s (target < 10 s: not met; 12.5–17.5 s in repeated
    runs on the loaded machine). What is left is about half SQL (the notice
    INSERT with its 7 indexes, the non-HOT UPDATE of the claimed rows) and
    half Python (drafts, contexts,
    cleaning).
  * National dashboard: the expected schools per type are kept per bureau ×
    type (`ExpectedSchoolTally`, moved by reporting's school receivers,
    recounted by `rebuild_tallies` / the nightly check; since issue 8 item 3
    per deadline × type, `DeadlineTally.expected`, read with the other counts
    in one query), the matrix's reports
    query lost its default ordering (it joined schools and deadlines to sort
    rows that go into a dict), and the matrix pages by school code (keyset on
    a new `(bureau, code)` index: `?after=` / `?before=` instead of `?page=`).
    14 queries at 500, 50,000 and 500,000 schools.
  * The inspectors' digest counts reports awaiting review from the tallies
    (submitted − returned − approved) instead of every report. As the
    tallies, it counts expected schools only: a closed school's report
    waiting in the review queue is not in the digest's number.
  * `arm_deadlines` excludes the submitted schools with `~Exists` (it was
    `NOT IN (subquery)`), and `followup_open_many` consumes its openings 5,000
    at a time instead of listing a whole district first.
  * The national overdue scan (120,034 rows due, 240,068 notices) took
    31.7 s; putting 1.2M open follow-ups where the scan would have left them
    (`bulk.rewind`, not timed) took 98 s. The national export (500,000 rows,
    8M cells) took 143.6 s, close to its 150 s: openpyxl writing the cells is
    most of it, so a busier machine can push it over.
* First run (28 Nov 2026): the dashboard kept its query count at every size but
  was ~8x slower at 50,000 schools than at 500 (target < 3x): two aggregates
  read every report of the campaign (~640k rows) on each page view. Fix (29 Nov):
  the counts are kept per deadline and school type in `DeadlineTally`, moved by
  the report services in the same transaction (`reporting/tallies.py`); a page
  view reads 16 × 8 rows. The data builder loads reports in bulk, around the
  services, so it recounts the tallies afterwards, as `manage.py
  rebuild_tallies` does after an import. What still grows with the district is
  counting the expected schools by type: one scan of `schools_school` (17 ms at
  50,000; a partial index was tried and the planner rightly preferred the seq
  scan), no longer joined to the visibility subquery that doubled it (a
  dashboard reader sees the whole bureau; the selector checks so). Since
  1 Dec that count is kept too (`ExpectedSchoolTally`, above; now
  `DeadlineTally.expected`, per deadline: a school counts only for the
  deadlines of its campaign period, issue 8 item 3).
* Without `ANALYZE` right after the bulk load, the planner works on stale
  estimates and a large aggregate took 4x longer. So the runner runs `VACUUM
  ANALYZE` (as autovacuum would) before measuring.
* The export spends most of its time in openpyxl writing ~1M cells. Without
  lxml installed openpyxl falls back to a pure-Python XML writer and took 38 s
  instead of 24 s, so lxml is a dependency.

## Latest results

"""


MARKERS = {"full": "### Full run\n", "quick": "### Quick run\n",
           "national": "### National run (`make bench-national`)\n"}


def write_readme(table: str, quick: bool | None = None, section: str | None = None) -> None:
    """Put `table` in its section of benchmarks/README.md (full, quick or
    national), keeping the other sections' latest tables."""
    section = section or ("quick" if quick else "full")
    path = env.BENCH_DIR / "README.md"
    previous = path.read_text() if path.exists() else ""
    sections = dict.fromkeys(MARKERS, "")
    for key, marker in MARKERS.items():
        if marker in previous:
            part = previous.split(marker, 1)[1]
            for other in MARKERS.values():
                if other != marker:
                    part = part.split(other, 1)[0]
            sections[key] = part.strip()
    sections[section] = table
    body = README_HEAD
    body += "\n\n".join(marker + "\n" + (sections[key] or "Not run yet.")
                         for key, marker in MARKERS.items()) + "\n"
    path.write_text(body)


if __name__ == "__main__":
    sys.exit(main())
