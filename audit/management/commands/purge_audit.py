"""manage.py purge_audit [--older-than-days N]: delete audit rows older than N
days (default AUDIT_RETENTION_DAYS). N below 183 is refused (Cybersecurity Law
Art. 21: logs kept at least six months). See audit.retention."""

from django.core.management.base import BaseCommand, CommandError

from audit.retention import RetentionTooShort, purge_older_than, retention_days


class Command(BaseCommand):
    help = "Delete audit rows older than the retention period (at least 183 days)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=None,
                            help="default: settings.AUDIT_RETENTION_DAYS")

    def handle(self, *args, older_than_days=None, **options):
        days = older_than_days if older_than_days is not None else retention_days()
        try:
            deleted = purge_older_than(days)
        except RetentionTooShort as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{deleted} audit rows older than {days} days deleted.")
