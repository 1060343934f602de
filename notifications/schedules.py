"""Beat schedules of notifications, merged by the integrator into
schools/management/commands/setup_periodic_tasks.py (name -> (task, crontab fields))."""

SCHEDULES = {
    # https://crontab.guru/#*_*_*_*_*  every minute: sends what is due, including
    # notices whose after-commit kick was lost while Redis was down (security.md G11).
    "Deliver pending notices": ("notifications.deliver_notices", {"minute": "*"}),
}
