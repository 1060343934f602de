"""Beat schedules of the audit trail (gathered by setup_periodic_tasks)."""

SCHEDULES = {
    # https://crontab.guru/#30_3_1_*_*  at 03:30 on the 1st of each month: delete
    # audit rows older than AUDIT_RETENTION_DAYS (audit.retention).
    "Purge expired audit rows": ("audit.purge_expired",
                                 {"minute": "30", "hour": "3", "day_of_month": "1"}),
}
