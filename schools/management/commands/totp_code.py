"""Print the current TOTP code of a demo account (DEBUG only), so a tester can
sign in as a bureau account without a phone: `manage.py totp_code inspector`.

A school account has no device until its owner enrols one (the first time a
page about a child asks for the second factor): while the enrol page is open,
the command prints the code of that device being enrolled, so the tester can
finish enrolling without a phone."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current second-factor code of USERNAME's device (DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        if not settings.DEBUG:
            raise CommandError("totp_code runs only with DEBUG on: it reads a secret key.")
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None:
            # The device the enrol page is showing (schools.second_factor.enrolment).
            device = TOTPDevice.objects.filter(
                user__username=username, confirmed=False).order_by("pk").first()
            if device is None:
                raise CommandError(
                    f"{username!r} has no TOTP device: open a page about a pupil (or "
                    f"/second-factor/enrol/) as {username} first, then run this again.")
            self.stderr.write("this device is being enrolled: type the code on the enrol page.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        code = f"{totp.token():0{device.digits}d}"
        left = device.step - int(totp.time - device.t0) % device.step
        self.stdout.write(code)
        self.stderr.write(f"valid for {left} more seconds; each code works once.")
