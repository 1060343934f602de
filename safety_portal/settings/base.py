"""Settings for safety_portal, read from the environment (12-factor).

With no environment at all the portal runs on the embedded default used by
`make run`: SQLite under var/, DEBUG on, e-mail written to var/mail/, and Celery
on a SQLite broker under var/celery/ (safety_portal.embedded_broker) so that a
real worker and beat run without Redis.

Production is DEBUG=0 plus DATABASE_URL, REDIS_URL, EMAIL_URL, PORTAL_BASE_URL,
SECRET_KEY and ALLOWED_HOSTS (PRODUCTION_REQUIRED). Production has no default
for any of them: a missing one stops the process at start-up instead of running
with a guessable value or a development fallback.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# environ's bool() accepts anything; a typo such as DEBUG=flase must not silently
# mean "False" (or "True"), so booleans go through this strict reader.
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


DEBUG = env_bool("DEBUG", default=True)

# Production (DEBUG=0) has no fallback for any of these: without DATABASE_URL it
# would run on a SQLite file inside the container, without EMAIL_URL write
# e-mail nowhere, without PORTAL_BASE_URL send links to a host that is not the
# portal (issue 8 item 8). Every missing one is named at once.
PRODUCTION_REQUIRED = {
    "SECRET_KEY": "50+ random characters",
    "ALLOWED_HOSTS": "portal.example.edu.cn",
    "DATABASE_URL": "postgres://portal:pw@postgres:5432/portal",
    "REDIS_URL": "redis://redis:6379/0",
    "EMAIL_URL": "smtp+tls://user:pw@mail.example.edu.cn:587",
    "PORTAL_BASE_URL": "https://portal.example.edu.cn",
}


def missing_for_production(environ_: dict[str, str]) -> list[str]:
    """The PRODUCTION_REQUIRED names that are unset or blank in `environ_`."""
    return [name for name in PRODUCTION_REQUIRED if not environ_.get(name, "").strip()]


if not DEBUG and (_missing := missing_for_production(dict(env.ENVIRON))):
    raise ImproperlyConfigured(
        "Production (DEBUG=0) cannot start without "
        + ", ".join(f"{name} (e.g. {PRODUCTION_REQUIRED[name]})" for name in _missing)
        + ". Set them in the environment or the .env file beside docker-compose.yml.")

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-not-secret-" + "x" * 40)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    try:
        SECRET_KEY = env.str("SECRET_KEY")
        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(f"Production (DEBUG=0) needs it: {exc}") from None

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# ---------------------------------------------------------------- applications
INSTALLED_APPS = [
    "safety_portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "safety_portal.apps.PortalAxesConfig",  # django-axes, named in Chinese
    "csp",
    "django_celery_beat",
    "django_filters",
    # Second factor (security.md G6): TOTP devices and single-use recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # core is below everything (no tables), then the ground floor: every
    # other app may import schools.
    "core",
    "schools",
    "audit",
    "notifications",
    "followups",
    "reporting",
    "incidents",
    "attendance",
    "psych_screening",
    "campus",
    # Project-wide commands and views; above every app.
    "safety_portal.apps.SafetyPortalConfig",
]

MIDDLEWARE = [
    # The container's own health probe, answered before the Host header is read
    # (safety_portal.health: only a GET of /healthz from loopback).
    "safety_portal.health.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.otp_device / is_verified() from the session (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "schools.middleware.SessionLifetimeMiddleware",
    "schools.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Bureau accounts and the admin site: no page before the second factor (G6).
    "schools.second_factor_middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "schools.middleware.NoStoreForAuthenticatedMiddleware",
    "audit.middleware.ForbiddenResponseAuditMiddleware",
    # A bare 405 (a reloaded form address) as the portal's own page.
    "safety_portal.errors.MethodNotAllowedPageMiddleware",
    # Axes must come last: it turns a lockout raised during authentication into
    # its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "safety_portal.urls"
# A form sent without a valid token gets the portal's own page (safety_portal.errors).
CSRF_FAILURE_VIEW = "safety_portal.errors.csrf_failure"
WSGI_APPLICATION = "safety_portal.wsgi.application"
AUTH_USER_MODEL = "schools.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "schools.context_processors.portal",
                "notifications.context_processors.unread",
            ],
        },
    },
]

# ---------------------------------------------------------------- database
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'safety_portal.sqlite3'}"
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Opening a PostgreSQL connection costs 12-14 ms here; keep them, and check
    # before reuse so a restarted server costs at most one request per worker.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------- auth
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "schools.backends.PortalBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Lock by username only: many teachers share one school NAT address, and one
# mistyping teacher must not lock out the whole school (security.md S2). The
# cool-off expires; axes' own default never does.
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# axes.W006 warns that locking by username alone lets an attacker rotate clients
# to guess one account without an IP lock. Accepted deliberately: the lock per
# username still caps guesses per account at 5 per cool-off, and an IP lock
# would lock out every teacher behind a school's shared NAT (security.md S2).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# The client's address (audit rows, the access log, axes' attempt records) is
# read by django-ipware. PROXY_COUNT is the number of reverse proxies in front
# of the web service that append to X-Forwarded-For (0: the web service is
# reached directly, and X-Forwarded-For, which any client can forge, is ignored).
# axes reads its own AXES_IPWARE_* names, so they are derived from it here; the
# portal's schools.access.client_ip reads the same two, so both always agree.
# (AXES_IPWARE_PROXY_COUNT, its former name, is still read.)
PROXY_COUNT = env.int("PROXY_COUNT", default=env.int("AXES_IPWARE_PROXY_COUNT", default=0))
AXES_IPWARE_PROXY_COUNT = PROXY_COUNT
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if PROXY_COUNT else ("REMOTE_ADDR",))
# Take the address PROXY_COUNT hops from the right of X-Forwarded-For even when a
# client prepended forged entries (strict mode would then give no address at all).
IPWARE_STRICT = False

# Sessions: idle timeout through a sliding cookie, absolute lifetime through
# SessionLifetimeMiddleware (G7: idle <= 30 min, absolute <= 8 h).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=8 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "sp_session"

# Second factor (security.md G6). A school page marked sensitive asks for a TOTP
# code again when the last one in this session is older than this (step-up).
STEP_UP_SECONDS = env.int("STEP_UP_SECONDS", default=2 * 60 * 60)
# django-otp refuses a wrong code's next try for 1, 2, 4, 8, 16 ... seconds
# (doubling per failure, per device); a used code is refused again (last_t).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# The name an authenticator app shows next to the code.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="校园安全治理平台")

# ---------------------------------------------------------------- i18n and time
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True
LANGUAGE_COOKIE_NAME = "sp_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# ---------------------------------------------------------------- static and media
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files live outside the static root and are only served through
# permission-checked views; there is deliberately no MEDIA_URL route.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_NUMBER_FILES = 30
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# ---------------------------------------------------------------- security headers
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    # /healthz is probed over plain HTTP inside the compose network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# ---------------------------------------------------------------- e-mail
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
else:
    raise ImproperlyConfigured("Production (DEBUG=0) needs EMAIL_URL, e.g. smtp+tls://u:pw@host:587")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="safety-portal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
if not PORTAL_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"PORTAL_BASE_URL={PORTAL_BASE_URL!r} must start with https:// (or http://)")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Days before a deadline on which schools that have not submitted are reminded
# (0 = on the day itself).
REPORT_REMINDER_DAYS = env.list("REPORT_REMINDER_DAYS", cast=int, default=[2, 0])
# Mandatory reporting (issue 10 item 2): the bureau's limit, in hours after a
# concern is logged, for the report to the police (the law says 立即; the
# dashboard shows the actual gap of every referral), and the days a referral
# may sit in COOPERATING before its lead is asked to review it.
INCIDENTS_POLICE_REPORT_HOURS = env.int("INCIDENTS_POLICE_REPORT_HOURS", default=24)
INCIDENTS_REVIEW_DAYS = env.int("INCIDENTS_REVIEW_DAYS", default=30)
# Days the counselor has to give psychological support after a bullying case
# is recorded (未成年人保护法 Art. 39: 心理辅导; the bureau's limit).
INCIDENTS_BULLYING_SUPPORT_DAYS = env.int("INCIDENTS_BULLYING_SUPPORT_DAYS", default=2)
# Dropout control (issue 11 item 2): the hours a head teacher has to reach the
# guardians of a pupil absent without leave, after the register; and the hour
# (Asia/Shanghai) the school day ends, when a contact not made goes to the
# principal and the safety officer.
ATTENDANCE_CONTACT_HOURS = env.int("ATTENDANCE_CONTACT_HOURS", default=2)
ATTENDANCE_SCHOOL_DAY_ENDS = env.int("ATTENDANCE_SCHOOL_DAY_ENDS", default=17)
# School group robots (notifications.robots): the hosts a principal's webhook URL
# may point to (https only), so the portal cannot be made to post elsewhere.
GROUP_ROBOT_HOSTS = env.list("GROUP_ROBOT_HOSTS",
                             default=["qyapi.weixin.qq.com", "oapi.dingtalk.com"])
# http:// on 127.0.0.1/localhost, for a local fake robot: development and tests only.
GROUP_ROBOT_ALLOW_LOOPBACK = DEBUG

# ---------------------------------------------------------------- Celery
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_EMBEDDED_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Must exceed the longest retry countdown, or Redis redelivers a task that is
    # still waiting and the notice goes out twice (security.md R3/R4).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
elif DEBUG:
    # Embedded default: a real worker and beat with no Redis, on kombu's SQLAlchemy
    # transport over SQLite files under var/celery/ (safety_portal.embedded_broker:
    # safe with several publishers; the filesystem transport was not). The folder
    # is created by safety_portal.celery at start-up.
    CELERY_BROKER_URL = f"portalsqlite+sqlite:///{CELERY_EMBEDDED_DIR / 'broker.sqlite3'}"
    # An empty queue is looked at again after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"polling_interval": 0.5}
    CELERY_RESULT_BACKEND = f"db+sqlite:///{CELERY_EMBEDDED_DIR / 'results.sqlite3'}"
else:
    raise ImproperlyConfigured("Production (DEBUG=0) needs REDIS_URL for Celery")
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# No task's result is read (the rows are the state), so none is stored and
# publishing never subscribes to Redis' result channel: with Redis down, that
# subscription retried 20 x 1 s inside apply_async. A task whose caller does
# read its result says so (safety_portal.ping).
CELERY_TASK_IGNORE_RESULT = True
# Seconds one kick from a web request may spend on the broker (connect, then
# each socket read or write), in one attempt (core.publish.fire_and_forget).
TASK_PUBLISH_TIMEOUT = env.float("TASK_PUBLISH_TIMEOUT", default=0.3)
# An export job RUNNING without progress for this long lost its worker; it is
# queued again, up to EXPORT_MAX_ATTEMPTS runs in all (reporting.export_jobs).
EXPORT_STALE_SECONDS = env.int("EXPORT_STALE_SECONDS", default=600)
EXPORT_MAX_ATTEMPTS = 3

# ---------------------------------------------------------------- audit trail
# Audit rows are kept this many days, then purged monthly (audit.retention).
# The Cybersecurity Law (Art. 21) asks for at least six months: below 183 the
# purge refuses to run, and the database refuses to delete younger rows anyway.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)

# ---------------------------------------------------------------- bureau counts
# A count of pupils from 1 to this minus one is shown to the bureau as "<5"
# (core.suppression; architecture.md "Bureau pages show counts, never a
# child"). Not configurable by environment: lowering it is a policy change.
SMALL_CELL_THRESHOLD = 5

# ---------------------------------------------------------------- admin and logging
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
if not ADMIN_URL.endswith("/") or ADMIN_URL.startswith("/"):
    raise ImproperlyConfigured("ADMIN_URL must look like 'path/': no leading, one trailing slash")

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Values are %r-formatted by the callers, so a username holding "\n" and
        # a forged line stays on one log line (security.md D3).
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    # An expected 403 is one line, not a traceback (safety_portal.log_filters).
    "filters": {"expected_403": {"()": "safety_portal.log_filters.ExpectedForbidden"},
                # A database error's DETAIL quotes a row's values: never written (G5).
                "database_detail": {"()": "safety_portal.log_filters.DatabaseErrorDetail"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["database_detail"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # Django's default configuration gives "django" a console handler of its
        # own (with DEBUG on) that also propagates to the root's: every record
        # twice. One handler, no propagation.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False,
                           "filters": ["expected_403"]},
        "safety_portal": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

PORTAL_NAME = _("Campus Minor Safety Portal")

# The demo's guardians have made-up phone numbers on the prefix 100, which no
# operator assigns; they pass the phone check only on a DEBUG deployment (the
# demo), never in production (schools.phones).
DEMO_PHONE_PREFIX = "100" if DEBUG else ""
