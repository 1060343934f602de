"""`manage.py create_auditor USERNAME --bureau CODE [--full-name …] [--email …]
[--password-stdin]`: a deployment step. The auditor role is given by deployment
only, never by a bureau admin (security.md G6; issue 9 item 7).

Creates the account with the auditor's membership at the bureau and a password
typed twice at the prompt (getpass; nothing echoed, nothing in the shell's
history), or read from the first line of standard input with
--password-stdin (for scripts: ``printf '%s\\n' "$PW" | manage.py
create_auditor …``). The portal has no e-mailed password-reset page, so no
one-time link is printed. The password must pass the deployment's password
validators. At first sign-in the auditor must set up an authenticator app
(TOTP): every bureau role must (schools.access.second_factor_required).

Writes the audit rows "role.grant" and "password.reset", both by the system
(no user). Refuses, changing nothing, when the bureau does not exist, or the
username is taken by anyone but this very bureau's auditor; run again for an
existing auditor of the bureau, it says so and changes nothing.
"""

from __future__ import annotations

import getpass
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from schools import services
from schools.models import Bureau, Membership, Role, User


class Command(BaseCommand):
    help = ("Create the auditor's account of a bureau (deployment only): the auditor "
            "membership and a password; the auditor enrols an authenticator app at first "
            "sign-in.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--bureau", required=True, help="The bureau's code.")
        parser.add_argument("--full-name", default="", help="The auditor's full name.")
        parser.add_argument("--email", default="", help="The auditor's e-mail address.")
        parser.add_argument("--password-stdin", action="store_true",
                            help="Read the password from the first line of standard input.")

    def handle(self, *args, username: str, bureau: str, full_name: str, email: str,
               password_stdin: bool, **options):
        username = username.strip()
        if not username:
            raise CommandError(_("Give the auditor's username."))
        office = Bureau.objects.filter(code=bureau.strip()).first()
        if office is None:
            raise CommandError(_("There is no bureau with the code %(code)s.")
                               % {"code": bureau})
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            self._existing(existing, office)
            return
        user = User(username=username, full_name=full_name.strip(), email=email.strip())
        password = self._password(user, from_stdin=password_stdin)
        with transaction.atomic():
            user.set_password(password)
            user.save()
            membership = Membership.objects.create(user=user, role=Role.AUDITOR, bureau=office,
                                                   school=None, is_active=True)
            services.membership_saved(membership=membership, before=None, by=None)
            services.password_set_by(user=user, by=None)
        self.stdout.write(self.style.SUCCESS(_(
            "%(username)s is now the auditor of %(bureau)s. At the first sign-in they set up "
            "an authenticator app (two-step verification) before anything else.") % {
            "username": username, "bureau": office.name}))

    def _existing(self, user: User, office: Bureau) -> None:
        roles = list(Membership.objects.filter(user=user).values_list(
            "role", "bureau_id", "school_id", "is_active"))
        if user.is_superuser is False and roles == [(Role.AUDITOR.value, office.pk, None, True)]:
            self.stdout.write(_("%(username)s is already the auditor of %(bureau)s; nothing "
                                "changed.") % {"username": user.username,
                                               "bureau": office.name})
            return
        raise CommandError(_(
            "The username %(username)s is taken by an account that is not this bureau's "
            "auditor. Choose another username: the auditor's account holds no other role.")
            % {"username": user.username})

    def _password(self, user: User, *, from_stdin: bool) -> str:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass(_("Password: "))
            if password != getpass.getpass(_("Password (again): ")):
                raise CommandError(_("The two passwords differ; nothing was created."))
        if not password:
            raise CommandError(_("The password is empty; nothing was created."))
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        return password
