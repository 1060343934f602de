"""Beat schedules of the reporting cycle (gathered by setup_periodic_tasks)."""

SCHEDULES = {
    # https://crontab.guru/#0_8_*_*_*  every morning at 08:00 Asia/Shanghai: the
    # inspectors' digest (reminders and overdue notices are follow-up steps,
    # told by followups.scan_followups every minute).
    "Inspectors' digest": ("reporting.scan_notices", {"minute": "0", "hour": "8"}),
    # https://crontab.guru/#20_4_*_*_*  every night at 04:20: open the report-due
    # follow-ups that writes around the services missed (a school added in bulk).
    "Arm report follow-ups": ("reporting.arm_followups", {"minute": "20", "hour": "4"}),
    # https://crontab.guru/#10_4_*_*_*  every night at 04:10: recount the
    # dashboard's tallies and log any drift (reporting.tallies).
    "Check the dashboard's tallies": ("reporting.check_tallies",
                                      {"minute": "10", "hour": "4"}),
    # https://crontab.guru/#*_*_*_*_*  every minute: queue again the export jobs
    # recorded while Redis was down and those whose worker died (export_jobs).
    "Recover waiting and stalled exports": ("reporting.sweep_exports", {"minute": "*"}),
}
