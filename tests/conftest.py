"""Named characters for the whole suite.

The district "bureau" has two schools: school_a (where our school staff work) and
school_b (a peer school in the same district). A second district, with
school_c, stands for everything a bureau user of the first district must not see.
"""

import datetime as dt
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from schools.models import Role
from tests.schools.factories import BureauFactory, SchoolFactory, bureau_member, school_member

LOGIN_BACKEND = "schools.backends.PortalBackend"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(moment: str) -> dt.datetime:
    """"2026-05-13 23:59:59" (or "2026-05-13 09:00") as an aware datetime in
    Asia/Shanghai, the bureau's zone."""
    return dt.datetime.fromisoformat(moment).replace(tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _forget_count_tables():
    """The bureau's count tables kept by the process are keyed by a
    fingerprint that a rolled-back database can repeat: each test starts
    without them."""
    from schools.pupil_counts import forget_tables

    forget_tables()
    yield
    forget_tables()


@pytest.fixture
def at():
    """at("2026-05-13 09:00"): a moment in Asia/Shanghai, for services' at=."""
    return shanghai


@dataclass
class World:
    bureau: object
    other_bureau: object
    school_a: object
    school_b: object
    school_c: object
    principal: object
    safety_officer: object
    head_teacher: object
    counselor: object
    staff: object
    bureau_admin: object
    inspector: object
    auditor: object
    peer_principal: object
    foreign_principal: object


@pytest.fixture
def world(db) -> World:
    bureau = BureauFactory(name="示例区教育和体育局")
    other_bureau = BureauFactory(name="邻区教育和体育局")
    school_a = SchoolFactory(bureau=bureau, name="甲小学")
    school_b = SchoolFactory(bureau=bureau, name="乙小学")
    school_c = SchoolFactory(bureau=other_bureau, name="丙小学")
    return World(
        bureau=bureau,
        other_bureau=other_bureau,
        school_a=school_a,
        school_b=school_b,
        school_c=school_c,
        principal=school_member(school_a, Role.PRINCIPAL, username="a-principal",
                                full_name="王校长"),
        safety_officer=school_member(school_a, Role.SAFETY_OFFICER, username="a-safety",
                                     full_name="李安全"),
        head_teacher=school_member(school_a, Role.HEAD_TEACHER, username="a-teacher"),
        counselor=school_member(school_a, Role.COUNSELOR, username="a-counselor"),
        staff=school_member(school_a, Role.STAFF, username="a-staff"),
        bureau_admin=bureau_member(bureau, Role.BUREAU_ADMIN, username="bureau-admin"),
        inspector=bureau_member(bureau, Role.INSPECTOR, username="inspector"),
        auditor=bureau_member(bureau, Role.AUDITOR, username="auditor"),
        peer_principal=school_member(school_b, Role.PRINCIPAL, username="b-principal"),
        foreign_principal=school_member(school_c, Role.PRINCIPAL, username="c-principal"),
    )


def totp_device(user):
    """`user`'s confirmed TOTP device, created (random key) if there is none."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def totp_code(device, *, ahead: int = 0) -> str:
    """The code `device` accepts now (ahead=1: the next 30-second step, within
    django-otp's tolerance, for a second sign-in in the same step), computed
    from its key with django_otp.oath.totp as the phone would."""
    from django_otp.oath import totp

    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead)
    return f"{code:0{device.digits}d}"


def fresh_totp_code(device) -> str:
    """A code `device` has not used yet: the current step's, or the next
    step's when the current one was used already (a second sign-in within the
    same 30 s; django-otp refuses a replay but accepts one step ahead)."""
    import time

    device.refresh_from_db()
    step_now = int(time.time() - device.t0) // device.step + device.drift
    return totp_code(device, ahead=1 if device.last_t >= step_now else 0)


def sign_in(client, user, *, verified: bool | None = None):
    """force_login, then, for a user who must show a second factor at sign-in
    (schools.access.second_factor_required) or when verified=True, a TOTP
    device and a session marked verified now, as the verify page leaves it
    (django_otp's session key and the portal's time of verification)."""
    import time

    from django_otp import DEVICE_ID_SESSION_KEY

    from schools import access

    client.force_login(user, backend=LOGIN_BACKEND)
    if verified is None:
        verified = access.second_factor_required(user)
    if verified:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
        session[access.VERIFIED_AT_SESSION_KEY] = int(time.time())
        session.save()
    return client


@pytest.fixture
def login(client):
    def _login(user, **kwargs):
        return sign_in(client, user, **kwargs)

    return _login


@pytest.fixture
def shared_database_url() -> str:
    """The test database, as a URL another process (a worker, gunicorn) can open."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        if connection.is_in_memory_db():
            pytest.skip("the SQLite test database is in memory: another process "
                        "cannot open it (this test runs on PostgreSQL)")
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return (f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
            f"/{db['NAME']}")


@pytest.fixture
def campaign(world):
    """This year's campaign (May to December) of the district, every school type."""
    from tests.reporting.factories import CampaignFactory

    return CampaignFactory(bureau=world.bureau)


@pytest.fixture
def deadline(campaign):
    """The 13 May 2026 progress-report deadline (a Wednesday), with its tallies and
    its report-due follow-ups, as campaign_generate_deadlines makes it."""
    from tests.reporting.factories import DeadlineFactory

    return DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))


@contextmanager
def captured(caplog, logger_name: str):
    """Records of one of the portal's loggers at INFO and above, in caplog (the
    portal's loggers do not propagate to the root, where caplog listens)."""
    logger = logging.getLogger(logger_name)
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.INFO)
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


@pytest.fixture
def smtp_inbox(settings):
    """A real SMTP server (aiosmtpd) on a free port, with Django's SMTP backend
    pointed at it: the messages it accepted, as (recipients, message) pairs in
    `.messages`. For the tests that read the e-mail a notice sends."""
    from aiosmtpd.controller import Controller

    from tests.notifications.test_delivery_integration import Inbox, free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()
