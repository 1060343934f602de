"""Child process for the export measurement: `python -m benchmarks.export_child
CAMPAIGN_PK OUT_PATH`. Prints one JSON line; the parent reads this process's
peak RSS from os.wait4()."""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def vm_hwm_kb() -> int:
    """This process's own peak RSS (VmHWM): unlike ru_maxrss it is reset by
    exec, so it does not inherit the (large) parent's high-water mark."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def main() -> None:
    campaign_pk, out_path = int(sys.argv[1]), sys.argv[2]
    from benchmarks import env

    env.configure(os.environ.get("BENCH_WORKDIR"))
    import django

    django.setup()
    env.quiet_celery()
    from reporting.exports import write_timeliness_workbook
    from reporting.models import Campaign

    campaign = Campaign.objects.get(pk=campaign_pk)
    base_kb = vm_hwm_kb()
    t = time.perf_counter()
    with open(out_path, "wb") as out:
        rows = write_timeliness_workbook(campaign=campaign,
                                         schools=campaign.expected_schools(), out=out)
    seconds = time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "rows": rows, "base_kb": base_kb,
                      "peak_kb_self": vm_hwm_kb(),
                      "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "bytes": os.path.getsize(out_path)}), flush=True)


if __name__ == "__main__":
    main()
