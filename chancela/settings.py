"""Django settings for Chancela.

Everything deployment-specific comes from environment variables (see ARCHITECTURE.md,
"Interfaces that other tools rely on"); a local `.env` file, written by `make run`, fills the
ones that are not set.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from chancela.core.env import env_bool, env_int, env_list, env_str, load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("CHANCELA_DATA_DIR", str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

# The test settings turn this off: a developer's local `.env` (emulator URLs, keys) must not
# change what the suite sees.
if not env_bool("CHANCELA_IGNORE_DOTENV", False):
    load_dotenv(BASE_DIR / ".env")

DEBUG = env_bool("CHANCELA_DEBUG", False)

SECRET_KEY = env_str("CHANCELA_SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "CHANCELA_SECRET_KEY is not set. Run `make run` once to write a local .env, "
        "or set the variable in the environment."
    )

# Fernet keys for secrets at rest, newest first. Never derived from SECRET_KEY.
ENCRYPTION_KEYS = env_list("CHANCELA_ENCRYPTION_KEYS")

PUBLIC_URL = env_str("CHANCELA_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# Clicksign base URLs per environment. Deployment-level only (used to point at the emulator);
# never editable on a screen.
CLICKSIGN_URLS = {
    "sandbox": env_str("CHANCELA_CLICKSIGN_SANDBOX_URL", "https://sandbox.clicksign.com").rstrip(
        "/"
    ),
    "production": env_str("CHANCELA_CLICKSIGN_PRODUCTION_URL", "https://app.clicksign.com").rstrip(
        "/"
    ),
}

ALLOWED_HOSTS = env_list("CHANCELA_ALLOWED_HOSTS") or ["127.0.0.1", "localhost", "[::1]"]
CSRF_TRUSTED_ORIGINS = env_list("CHANCELA_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    # Before django_tasks_db: its `db_worker` command is replaced by ours (chancela.core.worker).
    "chancela.core",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    # The API docs page from the package's own static files (not a CDN, no inline script).
    "ninja",
    "chancela.institutions",
    "chancela.esign",
    "chancela.clicksign",
    "chancela.signing",
    "chancela.notifications",
    "chancela.callbacks",
    "chancela.api",
    "chancela.batches",
    "chancela.ops",
    "chancela.web",
]

MIDDLEWARE = [
    # First: every log line of the request (and the jobs it enqueues) carries its id.
    "chancela.core.correlation.CorrelationIdMiddleware",
    # /api/v1 answers only JSON in its documented error shape (404, 405, 500 included).
    "chancela.api.protocol.api_error_shape",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Serves the one stylesheet and htmx under gunicorn too (no separate static server needed).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle timeout and absolute lifetime of staff sessions; no-store on everything dynamic.
    "chancela.web.security.SessionLimitsMiddleware",
    "chancela.web.security.NoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "chancela.web.errors.FriendlyErrorPagesMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]
CSRF_FAILURE_VIEW = "chancela.web.errors.csrf_failure"

ROOT_URLCONF = "chancela.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chancela.web.context_processors.unit_filter",
            ],
        },
    },
]

FORM_RENDERER = "chancela.web.forms.ChancelaFormRenderer"

WSGI_APPLICATION = "chancela.wsgi.application"

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("CHANCELA_DATABASE_URL", f"sqlite:///{DATA_DIR / 'chancela.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker processes share one SQLite file: WAL lets readers go on while one writer
    # works, IMMEDIATE takes the write lock at BEGIN (no lock-upgrade deadlocks), and the busy
    # timeout makes a writer wait instead of failing with "database is locked".
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    _db["TEST"] = {
        "NAME": env_str("CHANCELA_TEST_DATABASE_NAME", str(DATA_DIR / "test_chancela.sqlite3"))
    }
else:
    _db["TEST"] = {"NAME": env_str("CHANCELA_TEST_DATABASE_NAME", "test_chancela")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background jobs (django-tasks + django-tasks-db: the queue lives in our database) --------
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes) on /entrar/ and /admin/login/: after LOGIN_FAILURE_LIMIT wrong
# passwords for one username, or from one address, both are refused for LOGIN_LOCKOUT_MINUTES
# (even with the right password). An administrator unlocks early in the admin ("Tentativas de
# acesso": delete the row) or with `manage.py axes_reset_username <user>` / `axes_reset_ip`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("CHANCELA_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("CHANCELA_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "chancela.web.security.lockout_response"
# Behind reverse proxies the client's address is the one they add to X-Forwarded-For: say how
# many proxies (each appends one address) with CHANCELA_PROXY_COUNT; 0 = use the socket address.
CHANCELA_PROXY_COUNT = env_int("CHANCELA_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "chancela.web.security.client_ip"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", "Português (Brasil)"), ("en", "English")]
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("CHANCELA_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Without collectstatic (local runs, tests), serve straight from the apps' static folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Originals and signed PDFs live outside the web root and are only served through views that
# check the user's units.
MEDIA_ROOT = Path(env_str("CHANCELA_MEDIA_ROOT", str(DATA_DIR / "files")))
# Where stored files live: the local folder above (one host), or an S3-compatible object store
# shared by every host (`CHANCELA_STORAGE=s3`). Everything goes through the storage API.
CHANCELA_STORAGE = env_str("CHANCELA_STORAGE", "local")
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if CHANCELA_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("CHANCELA_S3_BUCKET"),
            "location": env_str("CHANCELA_S3_PREFIX", ""),
            "endpoint_url": env_str("CHANCELA_S3_ENDPOINT_URL") or None,
            "region_name": env_str("CHANCELA_S3_REGION") or None,
            # Empty: boto3's own chain (AWS_* variables, instance role, ~/.aws).
            "access_key": env_str("CHANCELA_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("CHANCELA_S3_SECRET_ACCESS_KEY") or None,
            "addressing_style": env_str("CHANCELA_S3_ADDRESSING_STYLE") or None,
            # Never replace an object: a second file with the same name gets a new name.
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
        },
    }
elif CHANCELA_STORAGE != "local":
    raise ImproperlyConfigured("CHANCELA_STORAGE must be 'local' or 's3'.")

# Form fields and JSON bodies (the API's base64 documents: 100 MiB of PDFs is ~134 MiB of JSON);
# Django refuses a larger Content-Length before reading the body.
DATA_UPLOAD_MAX_MEMORY_SIZE = 150 * 1024 * 1024
# Files: always streamed to temporary files, limits applied as bytes arrive (chancela.core.uploads).
FILE_UPLOAD_HANDLERS = ["chancela.core.uploads.LimitedTemporaryFileUploadHandler"]
CHANCELA_UPLOAD_MAX_REQUEST_BYTES = env_int("CHANCELA_UPLOAD_MAX_REQUEST_BYTES", 520 * 1024 * 1024)
CHANCELA_UPLOAD_MAX_FILE_BYTES = 10 * 1024 * 1024  # a PDF sent for signature
CHANCELA_UPLOAD_FIELD_LIMITS = {
    "zip_file": 512 * 1024 * 1024,  # the batch ZIP of PDFs
    "csv_file": 5 * 1024 * 1024,  # the batch spreadsheet (CSV or .xlsx)
    "arquivo": 30 * 1024 * 1024,  # a signed PDF to verify (/verificar/)
}

# --- E-mail (the seed's failure log goes to each configuration's notification address) -------
EMAIL_BACKEND = env_str("CHANCELA_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("CHANCELA_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("CHANCELA_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("CHANCELA_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("CHANCELA_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("CHANCELA_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str(
    "CHANCELA_DEFAULT_FROM_EMAIL", "Chancela <nao-responda@chancela.local>"
)

# --- Security headers -----------------------------------------------------------------------
# The production switch: CHANCELA_HTTPS=true for a deployment reached over HTTPS (directly or
# through a TLS-terminating proxy that sets X-Forwarded-Proto). Cookies become Secure, HTTP is
# redirected to HTTPS (except the probes a load balancer calls over HTTP), HSTS is sent, and
# `manage.py check --deploy` is clean. Off for local runs on http://127.0.0.1.
HTTPS = env_bool("CHANCELA_HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = env_int("CHANCELA_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CHANCELA_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("CHANCELA_HSTS_PRELOAD", True)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp) on every response: scripts and styles only from our own
# static files — no inline script or style anywhere, no eval (htmx runs with allowEval off).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # the send screen previews the chosen PDFs in frames of blob: URLs it creates itself
        "frame-src": ["'self'", "blob:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Sessions of staff: closed after CHANCELA_SESSION_IDLE_MINUTES without activity (background
# refreshes of a page do not count) and CHANCELA_SESSION_MAX_HOURS after the login, whatever
# the activity (chancela.web.security.SessionLimitsMiddleware).
CHANCELA_SESSION_IDLE_MINUTES = env_int("CHANCELA_SESSION_IDLE_MINUTES", 60)
CHANCELA_SESSION_MAX_HOURS = env_int("CHANCELA_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = CHANCELA_SESSION_MAX_HOURS * 3600

# --- Logging: one JSON object per line in production, plain text in development; every record
# carries the correlation id of its request or job, and passes the redaction filter (a safety net
# for secrets and personal data) before it is written.
LOG_FORMAT = env_str("CHANCELA_LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "chancela.core.logging.RedactingFilter"},
        "correlation": {"()": "chancela.core.correlation.CorrelationIdFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(correlation_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["redact", "correlation"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("CHANCELA_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per request; `make run` turns it down to warnings after start-up.
        "django.server": {"level": env_str("CHANCELA_ACCESS_LOG_LEVEL", "INFO")},
        # httpx logs every URL at INFO; signed download URLs must not reach the logs.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- Chancela behaviour ---------------------------------------------------------------------
# After a webhook secret is replaced, callbacks signed with the old one still verify this long.
CHANCELA_WEBHOOK_SECRET_GRACE_HOURS = env_int("CHANCELA_WEBHOOK_SECRET_GRACE_HOURS", 72)
# Host API: calls allowed per API key per window (0 turns the limit off).
CHANCELA_API_RATE_LIMIT = env_int("CHANCELA_API_RATE_LIMIT", 100)
CHANCELA_API_RATE_WINDOW_SECONDS = env_int("CHANCELA_API_RATE_WINDOW_SECONDS", 60)
# A task row RUNNING for longer than this lost its worker (django-tasks-db never recovers it).
CHANCELA_TASK_STUCK_AFTER_SECONDS = env_int("CHANCELA_TASK_STUCK_AFTER_SECONDS", 1800)

# --- Operations (chancela.ops: /healthz, /readyz, /metrics) ----------------------------------
# /readyz answers 503 when no worker / scheduler was seen for this long (a live worker starts a
# periodic job at least every 30 s), or when a job has waited in the queue for this long.
CHANCELA_READY_WORKER_MAX_AGE_SECONDS = env_int("CHANCELA_READY_WORKER_MAX_AGE_SECONDS", 180)
CHANCELA_READY_SCHEDULER_MAX_AGE_SECONDS = env_int("CHANCELA_READY_SCHEDULER_MAX_AGE_SECONDS", 120)
CHANCELA_READY_QUEUE_MAX_AGE_SECONDS = env_int("CHANCELA_READY_QUEUE_MAX_AGE_SECONDS", 600)
# Periodic jobs run every `every_seconds × this` (chancela/core/periodic.py). Only tests and
# drills change it.
CHANCELA_PERIODIC_INTERVAL_SCALE = float(env_str("CHANCELA_PERIODIC_INTERVAL_SCALE", "1"))
# Requests per 10 s per Clicksign account; 0 = Clicksign's published limit (sandbox 20,
# production 50). Raise only when Clicksign confirmed a higher limit for the account's plan.
CHANCELA_CLICKSIGN_RATE_LIMITS = {
    "sandbox": env_int("CHANCELA_CLICKSIGN_RATE_LIMIT_SANDBOX", 0),
    "production": env_int("CHANCELA_CLICKSIGN_RATE_LIMIT_PRODUCTION", 0),
}
# /metrics (Prometheus) answers only a scraper sending `Authorization: Bearer <this>`; unset: 404.
CHANCELA_METRICS_TOKEN = env_str("CHANCELA_METRICS_TOKEN")

# --- Dispatch saga (chancela.signing.dispatch) -------------------------------------------------
# Attempts (leases taken) before a request with retryable errors is marked failed; backoff is
# exponential from BASE with full jitter, capped at CAP, and never shorter than Clicksign's
# rate-limit reset. The lease must outlast the slowest step (a 10 MB upload: ~2 min).
CHANCELA_DISPATCH_MAX_ATTEMPTS = env_int("CHANCELA_DISPATCH_MAX_ATTEMPTS", 8)
CHANCELA_DISPATCH_BACKOFF_BASE_SECONDS = env_int("CHANCELA_DISPATCH_BACKOFF_BASE_SECONDS", 30)
CHANCELA_DISPATCH_BACKOFF_CAP_SECONDS = env_int("CHANCELA_DISPATCH_BACKOFF_CAP_SECONDS", 3600)
CHANCELA_DISPATCH_LEASE_SECONDS = env_int("CHANCELA_DISPATCH_LEASE_SECONDS", 300)
# The seed's failure e-mail goes once per configuration and reason in this window: a revoked
# token fails every queued request alike, and a class batch must not become 50 e-mails.
CHANCELA_DISPATCH_FAILURE_EMAIL_QUIET_MINUTES = env_int(
    "CHANCELA_DISPATCH_FAILURE_EMAIL_QUIET_MINUTES", 60
)
# Public verification page (/verificar/): lookups per client IP in each window.
CHANCELA_VERIFY_RATE_LIMIT = env_int("CHANCELA_VERIFY_RATE_LIMIT", 20)
CHANCELA_VERIFY_RATE_WINDOW_SECONDS = env_int("CHANCELA_VERIFY_RATE_WINDOW_SECONDS", 600)
# Read timeout of the worker's Clicksign calls (seconds).
CHANCELA_DISPATCH_READ_TIMEOUT_SECONDS = env_int("CHANCELA_DISPATCH_READ_TIMEOUT_SECONDS", 30)
# Crash tests only: CHANCELA_KILL_AT=<point> makes the process os._exit() at that point of the
# saga, and only when this is on. Never set it in production.
CHANCELA_KILL_POINTS_ENABLED = env_bool("CHANCELA_KILL_POINTS_ENABLED", False)
# Outbound events to the host ERP: private/loopback targets are refused unless allowed
# (only for local runs and tests), and plain http only together with that switch.
CHANCELA_OUTBOUND_ALLOW_PRIVATE = env_bool("CHANCELA_OUTBOUND_ALLOW_PRIVATE", DEBUG)
# Seconds to wait before each retry of an event to the host ERP (Standard Webhooks' example
# schedule: ~27 hours in all); after the last one the event is marked failed.
CHANCELA_OUTBOUND_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000]

# --- Clicksign callbacks (chancela.callbacks) -------------------------------------------------
# Webhook bodies above this size are refused (413) before anything else is read.
CHANCELA_CALLBACK_MAX_BODY_BYTES = env_int("CHANCELA_CALLBACK_MAX_BODY_BYTES", 1024 * 1024)
# Middleware of POST /callbackclicksign… (chancela/callbacks/wsgi.py): a webhook delivery needs
# none of the browser stack in MIDDLEWARE (sessions, auth, messages, CSRF, locale, static files).
CHANCELA_WEBHOOK_MIDDLEWARE: list[str] = []
# Stored callback bodies (encrypted) and rejected-callback records are pruned after this.
CHANCELA_CALLBACK_RETENTION_DAYS = env_int("CHANCELA_CALLBACK_RETENTION_DAYS", 90)
# A callback for an envelope we do not know yet is parked and retried this many times
# (exponential backoff from 30 s), then reported as failed on the monitor screen.
CHANCELA_CALLBACK_PARK_MAX_ATTEMPTS = env_int("CHANCELA_CALLBACK_PARK_MAX_ATTEMPTS", 8)
# Signed files: size cap of the download, and extra hosts allowed to serve them (comma
# separated host[:port]) besides Clicksign's S3 buckets and the environment's service host.
CHANCELA_SIGNED_FILE_MAX_BYTES = env_int("CHANCELA_SIGNED_FILE_MAX_BYTES", 60 * 1024 * 1024)
# `make run` only: the Clicksign API the local emulator's demo accounts speak ("3.0" envelopes,
# or "1.9": old accounts without envelopes). "Testar conexão" detects it at every start.
CHANCELA_DEMO_CLICKSIGN_API = env_str("CHANCELA_DEMO_CLICKSIGN_API", "3.0")
if CHANCELA_DEMO_CLICKSIGN_API not in ("3.0", "1.9"):
    raise ImproperlyConfigured("CHANCELA_DEMO_CLICKSIGN_API must be 3.0 or 1.9.")

CHANCELA_SIGNED_FILE_HOSTS = [
    h.strip() for h in env_str("CHANCELA_SIGNED_FILE_HOSTS", "").split(",") if h.strip()
]
# Reconciliation: requests awaiting signatures with no news from Clicksign for this long are
# re-read, oldest first, using at most this share of the account's rate limit per run.
CHANCELA_RECONCILE_SILENT_MINUTES = env_int("CHANCELA_RECONCILE_SILENT_MINUTES", 30)
CHANCELA_RECONCILE_RATE_SHARE = 0.10
