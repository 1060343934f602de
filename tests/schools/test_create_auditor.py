"""`manage.py create_auditor`: the auditor role is given by deployment only
(issue 9 item 7; security.md G6)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from audit.models import AuditEvent
from schools import access
from schools.models import Membership, Role, User
from tests.schools.factories import PASSWORD

pytestmark = pytest.mark.django_db

SECRET = "Audit-trail-keeper-2026"


def run(*args, stdin: str | None = None, monkeypatch=None, **options):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command("create_auditor", *args, stdout=out, **options)
    return out.getvalue()


def test_creates_the_auditor_with_a_password_from_stdin_and_audits_it(world, monkeypatch):
    out = run("audit-2", "--bureau", world.bureau.code, "--full-name", "审计员",
              "--email", "audit@example.edu.cn", "--password-stdin",
              stdin=SECRET + "\n", monkeypatch=monkeypatch)
    user = User.objects.get(username="audit-2")
    assert (user.full_name, user.email, user.is_superuser, user.is_staff) == (
        "审计员", "audit@example.edu.cn", False, False)
    assert user.check_password(SECRET)
    assert list(user.memberships.values_list("role", "bureau_id", "school_id", "is_active")) == [
        (Role.AUDITOR, world.bureau.pk, None, True)]
    assert "audit-2" in out
    assert SECRET not in out
    grant = AuditEvent.objects.get(action="role.grant")
    assert grant.user is None  # the system
    assert grant.extra == {"role": "auditor", "subject_user": user.pk}
    assert AuditEvent.objects.get(action="password.reset").user is None
    assert SECRET not in repr(list(AuditEvent.objects.values()))


def test_the_new_auditor_reads_the_log_but_must_enrol_a_device_first(world, client,
                                                                    monkeypatch):
    run("audit-2", "--bureau", world.bureau.code, "--password-stdin", stdin=SECRET,
        monkeypatch=monkeypatch)
    user = User.objects.get(username="audit-2")
    assert access.second_factor_required(user)
    assert client.post(reverse("login"), {"username": "audit-2", "password": SECRET}
                       ).status_code == 302
    response = client.get(reverse("audit:event_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor_enrol"))


def test_the_password_is_asked_twice_at_the_prompt(world, monkeypatch):
    answers = iter([SECRET, SECRET])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    run("audit-2", "--bureau", world.bureau.code)
    assert User.objects.get(username="audit-2").check_password(SECRET)


def test_two_different_passwords_create_nothing(world, monkeypatch):
    answers = iter([SECRET, SECRET + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError):
        run("audit-2", "--bureau", world.bureau.code)
    assert not User.objects.filter(username="audit-2").exists()


@pytest.mark.parametrize("password", ["", "short", "12345678901"])
def test_a_weak_or_empty_password_creates_nothing(world, monkeypatch, password):
    with pytest.raises(CommandError):
        run("audit-2", "--bureau", world.bureau.code, "--password-stdin", stdin=password,
            monkeypatch=monkeypatch)
    assert not User.objects.filter(username="audit-2").exists()
    assert not AuditEvent.objects.filter(action="role.grant").exists()


def test_an_unknown_bureau_is_refused(world, monkeypatch):
    with pytest.raises(CommandError, match="NOPE"):
        run("audit-2", "--bureau", "NOPE", "--password-stdin", stdin=SECRET,
            monkeypatch=monkeypatch)
    assert not User.objects.filter(username="audit-2").exists()


@pytest.mark.parametrize("who", ["staff", "bureau_admin", "inspector"])
def test_an_account_with_another_role_is_refused_and_left_alone(world, monkeypatch, who):
    person = getattr(world, who)
    before = list(Membership.objects.filter(user=person).values_list("role", flat=True))
    with pytest.raises(CommandError, match=person.username):
        run(person.username, "--bureau", world.bureau.code, "--password-stdin", stdin=SECRET,
            monkeypatch=monkeypatch)
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert list(Membership.objects.filter(user=person).values_list("role", flat=True)) == before
    assert not AuditEvent.objects.exists()


def test_the_auditor_of_another_bureau_is_refused(world, monkeypatch):
    with pytest.raises(CommandError):
        run(world.auditor.username, "--bureau", world.other_bureau.code, "--password-stdin",
            stdin=SECRET, monkeypatch=monkeypatch)
    assert world.auditor.memberships.count() == 1


def test_running_it_again_for_the_same_auditor_changes_nothing(world, monkeypatch):
    out = run(world.auditor.username, "--bureau", world.bureau.code, "--password-stdin",
              stdin=SECRET, monkeypatch=monkeypatch)
    assert world.auditor.username in out
    world.auditor.refresh_from_db()
    assert world.auditor.check_password(PASSWORD)
    assert not AuditEvent.objects.exists()
