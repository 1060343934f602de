"""Demo data for `make run`: the ground floor's district (schools.demo), then
each app's own demo data (`<app>/demo.py`, found by core.discovery, in
INSTALLED_APPS order). Idempotent; demo passwords are printed only with DEBUG on.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from core.discovery import app_modules
from schools import demo as schools_demo
from schools.models import School


class Command(BaseCommand):
    help = "Create (or complete) the demo district: 30 schools and users for every role."

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, default=len(schools_demo.SCHOOLS),
                            help="How many of the demo schools to create (default: all 30).")
        parser.add_argument("--without-pupils", action="store_true",
                            help="Leave out the schools' rosters (pupils, guardians): "
                                 "quicker, for tests of everything else.")

    @transaction.atomic
    def handle(self, *args, schools: int, without_pupils: bool = False, **options):
        district = schools_demo.seed_district(schools=schools, pupils=not without_pupils)
        for module in app_modules("demo"):
            if module is not schools_demo:
                module.seed(district.bureau)
        self.stdout.write(self.style.SUCCESS(
            f"Demo district ready: {School.objects.filter(bureau=district.bureau).count()} "
            f"schools, {district.created_users} new users, {district.created_pupils} new pupils."
        ))
        if settings.DEBUG:
            self.stdout.write(
                f"\nDemo logins (every account's password: {schools_demo.DEMO_PASSWORD})")
            for username, role, place in district.logins:
                self.stdout.write(f"  {username:<20} {role} · {place}")
            self.stdout.write("  … and s03-… to s30-… for every school, same pattern.")
            self.stdout.write(
                "Bureau accounts also need a verification code after the password: "
                "`python manage.py totp_code inspector` prints the current one. School "
                "staff set up their own authenticator app when a protected page asks.")
        else:
            self.stdout.write("DEBUG is off: demo accounts have unusable passwords.")
        sample = schools_demo.write_sample_roster()
        if sample is not None:
            self.stdout.write(f"\nSample roster file for s01 (示例区实验小学): {sample}")
            self.stdout.write("  学校管理员在 学生名册 → 导入名册 上传此文件")
