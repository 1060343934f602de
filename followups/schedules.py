"""Beat schedules of the follow-up engine (gathered by setup_periodic_tasks)."""

SCHEDULES = {
    # https://crontab.guru/#*_*_*_*_*  every minute: hour-level clocks ("report
    # to the police within hours", "interview today") need minute resolution.
    "Scan follow-ups": ("followups.scan_followups", {"minute": "*"}),
}
