"""Beat schedules of incidents (gathered by setup_periodic_tasks)."""

SCHEDULES = {
    # https://crontab.guru/#30_4_*_*_*  every night at 04:30 Asia/Shanghai: open
    # the monthly dispute-screening returns' follow-ups (the 1st of a month
    # arms the new month; the follow-up engine tells the reminders).
    "Arm dispute-return follow-ups": ("incidents.arm_dispute_returns",
                                      {"minute": "30", "hour": "4"}),
    # https://crontab.guru/#50_3_*_*_*  every night at 03:50 Asia/Shanghai:
    # recount the bureau view's tallies from the records (a wrong row is
    # repaired and logged).
    "Recount incident tallies": ("incidents.recount_tallies", {"minute": "50", "hour": "3"}),
}
