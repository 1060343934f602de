"""Beat schedules of the ground floor (gathered by setup_periodic_tasks)."""

SCHEDULES = {
    # https://crontab.guru/#30_3_*_*_*  every day at 03:30
    "Clear expired sessions": ("schools.clear_expired_sessions",
                               {"minute": "30", "hour": "3"}),
    # https://crontab.guru/#15_*_*_*_*  every hour at :15
    "Abandon expired roster uploads": ("schools.abandon_expired_roster_uploads",
                                       {"minute": "15"}),
    # https://crontab.guru/#5_0_*_*_*  every day at 00:05 (Asia/Shanghai)
    "Recount pupils per priority group": ("schools.refresh_pupil_counts",
                                          {"minute": "5", "hour": "0"}),
    # https://crontab.guru/#45_3_*_*_0  Sundays at 03:45
    "Prune old sign-in logs": ("schools.prune_login_logs",
                               {"minute": "45", "hour": "3", "day_of_week": "0"}),
}
