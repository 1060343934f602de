"""Child process for the roster import measurement:
`python -m benchmarks.import_child SCHOOL_PK USER_PK PATH`.

Reads the .xlsx at PATH (schools.roster.reader.read_roster), plans the import
into the school (plan_import, what the preview shows) and commits it
(commit_import) as the user, as the import page does. Prints one JSON line:
seconds of each step and in all, this process's peak RSS (VmHWM) and the
RSS high-water mark after django.setup, and what the plan found. With
BENCH_PROFILE=1 the three steps run under cProfile and the top functions by
cumulative time go to stderr."""

from __future__ import annotations

import json
import os
import sys
import time

from .export_child import vm_hwm_kb


def _counts(plan) -> dict:
    """What the plan says it will do, as far as it says it in numbers (the
    names are the importer's; anything missing is left out)."""
    out = {}
    for name in ("counts", "summary", "stats"):
        value = getattr(plan, name, None)
        if isinstance(value, dict):
            out.update({str(k): v for k, v in value.items()
                        if isinstance(v, (int, float, str))})
    for name in ("creates", "updates", "unchanged", "leaves", "errors", "problems",
                 "new", "changed", "rows"):
        value = getattr(plan, name, None)
        if value is not None and not callable(value):
            try:
                out[name] = len(value)
            except TypeError:
                if isinstance(value, (int, float)):
                    out[name] = value
    return out


def main() -> None:
    school_pk, user_pk, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    from benchmarks import env

    env.configure(os.environ.get("BENCH_WORKDIR"))
    import django

    django.setup()
    env.quiet_celery()
    from schools.models import School, User
    from schools.roster.plan import commit_import, plan_import
    from schools.roster.reader import read_roster

    school = School.objects.get(pk=school_pk)
    user = User.objects.get(pk=user_pk)
    with open(path, "rb") as f:
        data = f.read()
    profile = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profile = cProfile.Profile()
    base_kb = vm_hwm_kb()
    t0 = time.perf_counter()
    if profile:
        profile.enable()
    table = read_roster(data, os.path.basename(path))
    t1 = time.perf_counter()
    plan = plan_import(table, school, full_roster=True, by=user)
    t2 = time.perf_counter()
    outcome = commit_import(plan, by=user)
    t3 = time.perf_counter()
    if profile:
        profile.disable()
        import pstats

        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    print(json.dumps({
        "seconds": t3 - t0, "read_s": t1 - t0, "plan_s": t2 - t1, "commit_s": t3 - t2,
        "rows": table.row_count, "plan": _counts(plan),
        "outcome": outcome.as_dict() if hasattr(outcome, "as_dict") else _counts(outcome),
        "base_kb": base_kb, "peak_kb_self": vm_hwm_kb(), "bytes": len(data),
    }, default=str), flush=True)


if __name__ == "__main__":
    main()
