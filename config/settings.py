"""Settings, read from the environment only (django-environ).

With no environment at all this runs the embedded default: DEBUG on, a SQLite
file under var/, Celery tasks executed in-process. Production sets DEBUG=false
and must then provide SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS and a broker.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)

# Read raw, not through env(): django-environ treats a value starting with "$"
# as the name of another variable, and a random key starts with "$" 1 time in 50.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if DEBUG:
    # A fresh key per process is fine locally: nothing signed must outlive it.
    SECRET_KEY = SECRET_KEY or get_random_secret_key()
else:
    if not SECRET_KEY:
        raise ImproperlyConfigured("Set the SECRET_KEY environment variable.")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters.")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "accounts",
    "diary",
    "notifications",  # alerts to the care team, reminders to patients
    "exports",  # PDF / CSV / FHIR exports of a diary, built in the background
    "patient_app",  # the patient's offline-first web app at /app/ (issue 14)
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Messages follow Accept-Language; without it, an API login's own `language`
    # (api.authentication activates it once the caller is known).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],  # the landing page at /
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if "DATABASE_URL" not in env:
    VAR_DIR.mkdir(exist_ok=True)  # the embedded default keeps its SQLite file here
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
# Each request is one transaction: a failed request leaves nothing half-written.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if not DEBUG else 0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The languages of API messages, push texts and emails: catalogues under
# locale/ (django.po kept in git, compiled to .mo by the build: see Makefile).
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]  # the landing page's stylesheet
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Locally, serve static files straight from the apps (no collectstatic needed).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")

# --- API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.DiaryPagination",
    "DEFAULT_SCHEMA_CLASS": "api.schema.DiaryAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    # Fail open when their cache (Redis) is down: api/throttling.py.
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonRateThrottle",
        "api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="60/min"),
        "user": env("THROTTLE_USER", default="1200/min"),
        "enroll": env("THROTTLE_ENROLL", default="10/hour"),
        "password": env("THROTTLE_PASSWORD", default="10/hour"),
    },
    "UNAUTHENTICATED_USER": None,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("ACCESS_TOKEN_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("REFRESH_TOKEN_DAYS", default=30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CSF leak symptom diary API",
    "DESCRIPTION": (
        "The contract the phone app and clinic pages are built against (v1; see "
        "`docs/api.md`, `docs/mobile-quickstart.md` and `docs/errors.md` in the repository). "
        "Bodies are JSON; times are ISO 8601 with an offset and answered in UTC. Every error "
        'has the shape `{"error": {"code", "message", "fields"}}`: act on `code` (an enum, '
        "listed with each operation's statuses), show `message`. Diary records carry an id "
        "the phone chooses, so every create and every sync batch is safe to retry as is. "
        "Flags are prompts for a clinician to review, not diagnoses."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Operations are tagged (and generated client modules named) by resource,
    # the first path segment after the prefix: entries, sync, auth, me...
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Stable enum names for generated clients, whichever components share a field name.
    "ENUM_NAME_OVERRIDES": {
        "TreatmentKindEnum": "diary.models.TreatmentKind",
        "FlagKindEnum": "diary.models.FlagKind",
        # Issue 13: a PGIC answer's checkpoint, and a check-in's (GET /reminders/due/).
        "PgicCheckpointEnum": "diary.models.Checkpoint",
        "CheckinStepEnum": "notifications.schedule.CHECKIN_STEP_NAMES",
    },
    # Served from our own static files: the docs page works without a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- The diary -----------------------------------------------------------------
ENROLLMENT_CODE_TTL = timedelta(hours=env.int("ENROLLMENT_CODE_HOURS", default=72))
# A password reset code (handed to a patient by their care team) lives this long.
RESET_CODE_TTL = timedelta(hours=env.int("RESET_CODE_HOURS", default=24))
SYNC_MAX_ITEMS = 500
# How far in the future a phone's clock may be before an entry is refused.
ENTRY_FUTURE_TOLERANCE = timedelta(minutes=10)

# --- Background jobs -------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=env("REDIS_URL", default="")) or None
CELERY_RESULT_BACKEND = None
# No broker configured: the embedded default runs every task in-process.
# With DEBUG off that must be asked for (TASKS_IN_PROCESS=true, as the benches do).
TASKS_IN_PROCESS = env.bool("TASKS_IN_PROCESS", default=DEBUG and CELERY_BROKER_URL is None)
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None

if not DEBUG:
    # Production must say where everything is: falling back to a SQLite file or
    # to building exports inside web requests would fail quietly, much later.
    _missing = [
        name
        for name, given in (
            ("DATABASE_URL", "DATABASE_URL" in env),
            ("CELERY_BROKER_URL (or REDIS_URL)", CELERY_BROKER_URL or TASKS_IN_PROCESS),
            ("ALLOWED_HOSTS", ALLOWED_HOSTS),
        )
        if not given
    ]
    if _missing:
        raise ImproperlyConfigured(f"With DEBUG off, set {', '.join(_missing)}.")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A message a dead worker took comes back after this many seconds (acks_late):
# longer than the longest task (CELERY_TASK_TIME_LIMIT), so a running job is
# not handed out twice, and short enough that a killed one is back in minutes.
# No task waits in the broker with a countdown longer than this (retries wait
# in the database instead: docs/resilience.md).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=360),
    # A broker that is down answers quickly instead of holding a web request.
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
if CELERY_KEY_PREFIX := env("CELERY_KEY_PREFIX", default=""):
    # Every broker key under this prefix: two deployments (or two checkouts'
    # test runs) can share one Redis database.
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = CELERY_KEY_PREFIX
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A publish that fails is retried once, briefly; then the outbox keeps the job.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# --- The outbox (docs/resilience.md) ---
# A pending judgement or a flag nobody was told about is handed out again once
# it has waited this long, by a job beat runs every OUTBOX_DISPATCH_SECONDS
# (and once when beat starts).
OUTBOX_REDISPATCH_AFTER = timedelta(seconds=env.int("OUTBOX_REDISPATCH_SECONDS", default=60))
# After a failed publish, a process leaves jobs to the outbox for this long.
BROKER_BACKOFF_SECONDS = env.int("BROKER_BACKOFF_SECONDS", default=10)
# What a 503 (database or Redis briefly away) tells the client to wait.
UNAVAILABLE_RETRY_AFTER_SECONDS = env.int("UNAVAILABLE_RETRY_AFTER_SECONDS", default=5)
# Celery's Django fixup would close the database connection around every task
# (a new PostgreSQL session per job); with this set it does so only every that
# many tasks, and config/celery.py closes a broken or CONN_MAX_AGE-old one.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
# A claimed no-response checkpoint whose judgement has not finished by then (its
# message lost, its worker killed) is claimed again: longer than a job can run.
CHECKPOINT_LEASE = timedelta(seconds=env.int("CHECKPOINT_LEASE_SECONDS", default=600))
# The one beat schedule. Verdicts that change with time alone (the no-response
# checkpoints) are judged when due, every minute; the full sweep is a daily
# safety net (anything a lost job or a bug left unjudged).
CELERY_BEAT_SCHEDULE = {
    "sweep-relapses": {
        "task": "diary.tasks.sweep_relapses",
        "schedule": env.int("SWEEP_INTERVAL_SECONDS", default=86400),
    },
    "judge-due-checkpoints": {
        "task": "diary.tasks.judge_due_checkpoints",
        "schedule": env.int("CHECKPOINT_INTERVAL_SECONDS", default=60),
    },
    "redispatch-evaluations": {
        "task": "diary.tasks.redispatch_evaluations",
        "schedule": env.int("OUTBOX_DISPATCH_SECONDS", default=60),
    },
}

# Throttle counters live here; production points CACHE_URL at Redis
# (e.g. rediscache://127.0.0.1:6379/1) so every gunicorn worker shares them.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if "redis" in CACHES["default"]["BACKEND"].lower():
    # Redis down answers at once: a request must not wait on a throttle counter.
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    )

# --- Notifications (notifications/) ----------------------------------------------
# Email: EMAIL_URL such as smtp+tls://user:pass@mail.example.org:587; the
# embedded default prints mail to the console.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CSF diary <diary@localhost>")
# Links in emails and webhooks point here.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# A relapse flag still open and unacknowledged this long goes to the coordinators too.
ESCALATE_AFTER = timedelta(hours=env.float("ESCALATE_AFTER_HOURS", default=24))
# An email or webhook delivery is given up after this many transient failures.
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=8)
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
# A service-account JSON file switches push from the stored-message backend to FCM.
FCM_CREDENTIALS_FILE = env("FCM_CREDENTIALS_FILE", default="")
# A delivery's `status` is not the only one in the schema: name its enum.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["DeliveryStatusEnum"] = (
    "notifications.models.DeliveryStatus"
)
CELERY_BEAT_SCHEDULE |= {
    "sweep-notifications": {
        "task": "notifications.tasks.sweep_notifications",
        "schedule": env.int("NOTIFY_SWEEP_SECONDS", default=60),
    },
    "send-due-reminders": {
        "task": "notifications.tasks.send_due_reminders",
        "schedule": env.int("REMINDER_SWEEP_SECONDS", default=60),
    },
}

# --- Exports (exports/) ---------------------------------------------------------
# Built files live in a storage of their own, outside MEDIA_ROOT: they are only
# ever served through the API's download endpoint, to whoever may read the
# patient. EXPORT_STORAGE_BACKEND may name any Django storage (e.g. django-storages'
# S3Storage, which takes EXPORT_ROOT as its key prefix).
EXPORT_TTL = timedelta(days=env.int("EXPORT_TTL_DAYS", default=7))
# The FHIR identifier system of the clinics' record numbers (Patient.identifier, type MR):
# set it to the URI (or urn:oid:) your records system is registered under.
CLINIC_RECORD_NUMBER_SYSTEM = env(
    "CLINIC_RECORD_NUMBER_SYSTEM", default="urn:csf-diary:clinic-record-number"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "exports": {
        "BACKEND": env(
            "EXPORT_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": {"location": str(env.path("EXPORT_ROOT", default=VAR_DIR / "exports"))},
    },
}
# Building a year's PDF costs seconds of a worker: a per-user ceiling on requests.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["export"] = env("THROTTLE_EXPORT", default="60/hour")
# Flags and export jobs both have a `status`: name the exports' enum in the schema.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["ExportStatusEnum"] = (
    "exports.models.ExportStatus"
)
CELERY_BEAT_SCHEDULE |= {
    "expire-exports": {
        "task": "exports.tasks.expire_exports",
        "schedule": env.int("EXPORT_EXPIRY_INTERVAL_SECONDS", default=3600),
    },
}

# --- Security (production) ---------------------------------------------------------
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every HTML page (config/security.py): own-origin scripts, styles, images and
# requests only; no inline script; never framed. The API docs page (Swagger UI
# starts itself with an inline script) keeps its own.
CONTENT_SECURITY_POLICY = env(
    "CONTENT_SECURITY_POLICY",
    default="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY_EXEMPT = ["/api/docs/"]
MIDDLEWARE.insert(1, "config.security.ContentSecurityPolicyMiddleware")
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# --- Audit trail and abuse protection (issue 7) -------------------------------------
INSTALLED_APPS += ["axes", "audit"]
# The audit write wraps everything below it and runs after the view's
# transaction has ended; the API guard sets no-store and refuses huge bodies.
MIDDLEWARE[1:1] = ["api.middleware.AuditMiddleware", "api.middleware.ApiGuardMiddleware"]
# Last: its process_exception sees the view's exception first.
MIDDLEWARE += ["api.middleware.DegradedServiceMiddleware"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out login before the password
    "django.contrib.auth.backends.ModelBackend",
]
# Proxies in front of the app that append to X-Forwarded-For. 0: trust only
# REMOTE_ADDR, so a client cannot pick its own IP to dodge a per-IP limit.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = NUM_PROXIES
AXES_CLIENT_IP_CALLABLE = "api.client_ip.client_ip"
# Failed logins: after AXES_FAILURE_LIMIT failures for one username, or from
# one IP, that username (or IP) is refused, right password or not, until the
# cool-off has passed. A success resets the count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Attempts during a lockout do not restart it: the owner gets back in once it
# has passed, however long an attacker keeps knocking.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Counted in PostgreSQL (axes' AccessAttempt), not the cache: a Redis restart
# must not wipe every lockout, and logins must work while Redis is down. The
# token view runs outside ATOMIC_REQUESTS, so a refused login's count is not
# rolled back with its error response (api/views/auth.py).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
SILENCED_SYSTEM_CHECKS = []
# The served schema documents the error shape too (checked by tests/api/test_schema_fuzz.py).
CSRF_FAILURE_VIEW = "api.errors.api_aware_csrf_failure"
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "api.schema_hooks.add_error_responses",
]
AXES_DISABLE_ACCESS_LOG = True  # the audit trail records every login already
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False  # its banner would land in every command's output
AXES_IP_WHITELIST = env.list("LOGIN_IP_ALLOWLIST", default=[]) or None
LOGGING["loggers"] = {**LOGGING.get("loggers", {}), "axes": {"level": "WARNING"}}
# Per-user ceiling on writes (entries, patches, sync batches, flag changes),
# counted by UserRateThrottle beside the general rate, in the same round trip.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["write"] = env("THROTTLE_WRITE", default="120/min")
# A request body larger than this is refused with 413 before it is read (a
# full 500-item sync batch with long notes stays well below it).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=2_621_440)
# The sync view reads request.body (its fingerprint): Django's own limit must
# not refuse, with a plain 400, what the API's 413 above lets through.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(DATA_UPLOAD_MAX_MEMORY_SIZE, API_MAX_BODY_BYTES)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Patient rights: a closed account's diary is kept for its clinic's retention
# period (Clinic.retention_days), then removed by this daily task.
CELERY_BEAT_SCHEDULE |= {
    "purge-closed-diaries": {
        "task": "diary.tasks.purge_closed_diaries",
        "schedule": env.int("PURGE_INTERVAL_SECONDS", default=86400),
    },
}
# The trail's monthly partitions on PostgreSQL (docs/audit.md): the daily job
# keeps this month's and the next AUDIT_PARTITIONS_AHEAD months' made.
AUDIT_PARTITIONS_AHEAD = env.int("AUDIT_PARTITIONS_AHEAD", default=3)
CELERY_BEAT_SCHEDULE |= {
    "ensure-audit-partitions": {
        "task": "audit.tasks.ensure_audit_partitions",
        "schedule": env.int("AUDIT_PARTITION_INTERVAL_SECONDS", default=86400),
    },
}
# --- end audit trail and abuse protection ---

# --- API v1.1 (issue 12): token families keep a row per refresh; expired ones go daily.
CELERY_BEAT_SCHEDULE |= {
    "purge-expired-tokens": {
        "task": "accounts.tasks.purge_expired_tokens",
        "schedule": env.int("TOKEN_PURGE_INTERVAL_SECONDS", default=86400),
    },
}

# --- Clinic web pages (issue 6): server-rendered pages under /clinic/ ---
# Session login (Django's LoginView) with CSRF; staff roles only, scoped like the API.
INSTALLED_APPS += ["clinic"]
TEMPLATES[0]["OPTIONS"]["context_processors"] += ["clinic.context.clinic_header"]
LOGIN_URL = "clinic:login"
LOGIN_REDIRECT_URL = "clinic:home"
LOGOUT_REDIRECT_URL = "clinic:login"
# --- end clinic web pages ---
