"""The bureau pages of `incidents` (issue 10 item 7) at both sizes: 强制报告统计
(`incidents:bureau_counts`) and 矛盾纠纷排查 (`incidents:bureau_disputes`) for
the bureau's inspector, on this year's referrals, bullying cases and dispute
returns (benchmarks/incidents_data.py builds them in `BENCH-<size>`).

Each page must run the same number of queries at both sizes, and its median
of 7 requests (after 1 warm-up) at the large size must stay under 3× the
small size's. When the counts
differ, the queries whose number grew are logged (`growing`)."""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from . import incidents_data
from .data import log

KEYS = ["incidents_bureau_view_queries_500", "incidents_bureau_view_queries_50000",
        "incidents_bureau_view_ms_500", "incidents_bureau_view_ms_50000",
        "dispute_bureau_view_queries_500", "dispute_bureau_view_queries_50000",
        "dispute_bureau_view_ms_500", "dispute_bureau_view_ms_50000"]
# The large size's time may be at most this many times the small size's
# (issue 10 item 10): the view reads tallies, not the district's records.
MAX_RATIO = 3
# (key prefix, URL name)
PAGES = (("incidents_bureau_view", "incidents:bureau_counts"),
         ("dispute_bureau_view", "incidents:bureau_disputes"))
SLOTS = ("500", "50000")
RUNS = 7


def shape(sql: str) -> str:
    """A query with its literals taken out (numbers, strings, IN lists), so
    the same query with other parameters has the same shape."""
    s = re.sub(r"'(?:[^']|'')*'", "?", sql)
    s = re.sub(r"\b\d+(?:\.\d+)?\b", "?", s)
    s = re.sub(r"\((?:\s*\?\s*,)+\s*\?\s*\)", "(?…)", s)
    return re.sub(r"\s+", " ", s).strip()


def growing(few: list[str], many: list[str]) -> list[tuple[str, int, int]]:
    """The shapes run more often in `many` than in `few` (two requests'
    SQL): (shape, times in few, times in many), the most grown first."""
    a, b = Counter(map(shape, few)), Counter(map(shape, many))
    grown = [(s, a[s], b[s]) for s in b if b[s] > a[s]]
    return sorted(grown, key=lambda g: (g[1] - g[2], g[0]))


@contextmanager
def default_session():
    """The server's defaults for the planner's memory and commits while the
    pages are measured (a loader of the same run may have raised them for
    the session), then the session as it was."""
    names = ("work_mem", "maintenance_work_mem", "synchronous_commit")
    with connection.cursor() as c:
        before = {}
        for name in names:
            c.execute("SELECT current_setting(%s)", [name])
            before[name] = c.fetchone()[0]
            c.execute(f"RESET {name}")
    try:
        yield
    finally:
        with connection.cursor() as c:
            for name, value in before.items():
                c.execute("SELECT set_config(%s, %s, false)", [name, value])


def page(client, url: str, runs: int = RUNS) -> dict:
    """One warm-up GET of `url`, then `runs` timed ones: the queries of one
    request (and their SQL), the median milliseconds, the slowest queries."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    queries = ctx.captured_queries
    return {"queries": len(queries), "ms": statistics.median(times),
            "sql": [q["sql"] for q in queries],
            "sql_ms": sum(float(q["time"]) for q in queries) * 1000,
            "slowest": sorted(queries, key=lambda q: -float(q["time"]))[:3],
            "bytes": len(response.content)}


def build(sizes: tuple[int, int]) -> dict[int, incidents_data.IncidentsBureau]:
    out = {}
    for size in sizes:
        t = time.perf_counter()
        ib = out[size] = incidents_data.build(size)
        log(f"incidents: bureau of {size} schools ready in {time.perf_counter() - t:.1f} s "
            f"({ib.referrals} referrals, {ib.cases} bullying cases, {ib.returns} returns, "
            f"{ib.disputes} disputes in {ib.year})")
    t = time.perf_counter()
    incidents_data.analyze()
    log(f"incidents: VACUUM ANALYZE in {time.perf_counter() - t:.1f} s")
    return out


def _figures(ib: incidents_data.IncidentsBureau) -> str:
    """What the pages count, read through the same code (not timed), for the
    log: the data is what the README says it is."""
    from incidents.counts import referral_counts
    from incidents.dispute_counts import dispute_completeness

    rc = referral_counts(bureau_id=ib.bureau.pk, year=ib.year)
    t = rc.timeliness
    dc = dispute_completeness(bureau_id=ib.bureau.pk, year=ib.year)
    last = [m for m in dc.months if not m.pending][-1:] or dc.months[-1:]
    month = (f"{last[0].month:%Y-%m}: owed {last[0].owed}, on time {last[0].on_time}, late "
             f"{last[0].late}, none found {last[0].none_found}, missing {last[0].missing}"
             if last else "no month")
    return (f"referrals {rc.by_month.row_totals[0].shown}; police in time/late/overdue/"
            f"pending {[c.shown for c in t.table.cells[0]]}, median {t.median_hours} h, p90 "
            f"{t.p90_hours} h; bullying by state {[c.shown for c in rc.bullying.by_state.cells[0]]}"
            f", investigation {[c.shown for c in rc.bullying.investigation.cells[0]]}, re-check "
            f"{[c.shown for c in rc.bullying.recheck.cells[0]]}; disputes "
            f"{dc.by_kind.grand_total.shown}; {month}")


def run(sizes: tuple[int, int], attempt) -> dict:
    """Every incidents key (None when not measured; `attempt(name, fn)`
    records why). `sizes`: the schools of the _500 and _50000 slots."""
    from .measure import signed_in

    results: dict = dict.fromkeys(KEYS)
    bureaus = attempt("incidents_data", lambda: build(sizes))
    if not bureaus:
        return results
    for size in sizes:
        figures = attempt(f"incidents_figures_{size}", lambda s=size: _figures(bureaus[s]))
        if figures:
            log(f"incidents, {size} schools: {figures}")
    measured: dict[tuple[str, str], dict] = {}
    with default_session():
        for key, url_name in PAGES:
            for size, slot in zip(sizes, SLOTS, strict=True):
                ib = bureaus[size]
                r = attempt(f"{key}_{size}",
                            lambda ib=ib, u=url_name: page(signed_in(ib.inspector), reverse(u)))
                if not r:
                    continue
                measured[key, slot] = r
                results[f"{key}_queries_{slot}"] = r["queries"]
                results[f"{key}_ms_{slot}"] = round(r["ms"], 1)
                log(f"{url_name}, {size} schools: {r['queries']} queries, median "
                    f"{r['ms']:.1f} ms (SQL {r['sql_ms']:.1f} ms, {r['bytes']} bytes); slowest: "
                    + " | ".join(f"{q['time']}s {q['sql'][:200]}" for q in r["slowest"][:2]))
            few, many = measured.get((key, "500")), measured.get((key, "50000"))
            if few and many and few["queries"] != many["queries"]:
                for s, a, b in growing(few["sql"], many["sql"]):
                    log(f"{url_name}: NOT FIXED: {a} → {b} times: {s[:300]}")
    return results


def table_rows(r: dict, small: int, large: int, fmt, verdict) -> list[tuple]:
    """The README table's rows of the incidents keys: (key, setting, value,
    target, result)."""
    rows = []
    for key, url_name, what in (
            ("incidents_bureau_view", "incidents:bureau_counts",
             "this year's referrals (6 a school) and bullying cases (4 a school)"),
            ("dispute_bureau_view", "incidents:bureau_disputes",
             "a return per school and past month, 1 dispute per 20 returns; 50 schools a page")):
        q_small, q_large = r.get(f"{key}_queries_500"), r.get(f"{key}_queries_50000")
        ok = q_small == q_large if q_small is not None and q_large is not None else None
        ms_small, ms = r.get(f"{key}_ms_500"), r.get(f"{key}_ms_50000")
        fast = ms < MAX_RATIO * ms_small if ms is not None and ms_small else None
        rows += [
            (f"{key}_queries_500", f"{url_name}, inspector, {small} schools: {what}",
             fmt(q_small), "equal at both sizes", verdict(ok)),
            (f"{key}_queries_50000", f"{url_name}, inspector, {large} schools",
             fmt(q_large), "equal at both sizes", verdict(ok)),
            (f"{key}_ms_500", f"{small} schools, median of {RUNS}", fmt(ms_small, " ms"),
             "(the base)", ""),
            (f"{key}_ms_50000", f"{large} schools, median of {RUNS}", fmt(ms, " ms"),
             f"under {MAX_RATIO}× the {small}-school time", verdict(fast)),
        ]
    return rows
