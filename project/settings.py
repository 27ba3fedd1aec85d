"""All configuration comes from the environment (names fixed by API.md); `.env` is read when present."""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    # Empty means unset, as for the other helpers (compose passes unset variables as "").
    return [item.strip() for item in (os.environ.get(name) or default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


DEBUG = env_bool("DEBUG", False)
DATA_DIR = Path(os.environ.get("DATA_DIR") or BASE_DIR / "data")
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEV_SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production"  # noqa: S105 (DEBUG=1 only; refused otherwise)
SECRET_KEY = os.environ.get("SECRET_KEY", "") or (DEV_SECRET_KEY if DEBUG else "")
AUTH_DEV_LOGIN = env_bool("AUTH_DEV_LOGIN", False)


def _secret_key_is_insecure(key: str) -> bool:
    # Same yardstick as Django's security.W009 check.
    return len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure")


if not DEBUG:
    if _secret_key_is_insecure(SECRET_KEY):
        raise ImproperlyConfigured(
            "SECRET_KEY is missing or insecure (it needs 50+ characters, 5+ distinct, and no "
            "'django-insecure' prefix). Set SECRET_KEY, or DEBUG=1 for local development."
        )
    if AUTH_DEV_LOGIN:
        raise ImproperlyConfigured("AUTH_DEV_LOGIN=1 is refused when DEBUG=0: dev sign-in mints tokens for anyone.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "channels",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "apps.core",
    "apps.accounts",
    "apps.tickets",
    "apps.approvals",
    "apps.comments",
    "apps.attachments",
    "apps.macros",
    "apps.notifications",
    "apps.sla",
    "apps.reports",
    "apps.queues",
    "apps.live",
]

MIDDLEWARE = [
    # Outermost: every response, the other middleware's own error responses included, gets the
    # Content-Security-Policy (apps/core/csp.py builds it from the settings below).
    "apps.core.csp.ContentSecurityPolicyMiddleware",
    # Then: shapes /api/ errors that the middleware below raise themselves (DisallowedHost).
    "apps.core.middleware.ApiEdgeErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, and sync-only on purpose: Django then runs the whole chain in one sync segment. With a
    # sync-only middleware in the middle, the dual-mode ones inside it ran async, each hopping
    # to a thread per hook — ping took ~5 ms instead of ~1.
    "apps.core.middleware.ApiErrorShapeMiddleware",
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{DATA_DIR / 'helpdesk.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool through Django: connections are reused across requests and threads.
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": 2, "max_size": env_int("DATABASE_POOL_MAX_SIZE", 20), "timeout": 10}
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES["default"]["OPTIONS"] = {
        # WAL + a busy timeout so concurrent requests wait rather than fail with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Redis: channel layer and cache -------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# Channel layer over Redis: "pubsub" (RedisPubSubChannelLayer) or "lists" (RedisChannelLayer).
# README "Live updates" has the measurement behind the default.
CHANNEL_LAYER_REDIS_KIND = os.environ.get("CHANNEL_LAYER_REDIS_KIND", "").strip().lower() or "pubsub"
if CHANNEL_LAYER_REDIS_KIND not in {"pubsub", "lists"}:
    raise ImproperlyConfigured("CHANNEL_LAYER_REDIS_KIND must be 'pubsub' or 'lists'")
# Namespaces group and channel names in Redis (pub/sub ignores the database number in REDIS_URL).
CHANNEL_LAYER_PREFIX = os.environ.get("CHANNEL_LAYER_PREFIX", "").strip() or "helpdesk"
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": {
                "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "lists": "channels_redis.core.RedisChannelLayer",
            }[CHANNEL_LAYER_REDIS_KIND],
            "CONFIG": {"hosts": [REDIS_URL], "prefix": CHANNEL_LAYER_PREFIX},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Throttle checks run on every request: an unreachable Redis must fail them fast.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Namespaces cache keys (throttle counters) in Redis: deployments sharing a Redis don't count together.
CACHES["default"]["KEY_PREFIX"] = os.environ.get("CACHE_KEY_PREFIX", "").strip() or "helpdesk"

# --- Background jobs (API.md "Background work and email") -----------------------------------
# Django's Tasks framework with the database backend: jobs are rows in the same database, so
# enqueueing inside a transaction commits or rolls back with it; `manage.py db_worker` runs them
# (any number of workers on PostgreSQL share the queue with SKIP LOCKED).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# apps.core.jobs: a transient failure is retried after JOB_RETRY_BASE_SECONDS, doubling per attempt
# (capped at an hour), until JOB_MAX_ATTEMPTS; the defaults ride out about an hour of SMTP outage.
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 8)
JOB_RETRY_BASE_SECONDS = env_int("JOB_RETRY_BASE_SECONDS", 30)
# /health reports the queue as not ok once a due job has waited longer than this (no worker running).
JOB_QUEUE_MAX_WAIT_SECONDS = env_int("JOB_QUEUE_MAX_WAIT_SECONDS", 300)

# --- Email and notifications (API.md "Background work and email", docs/notifications.md) ---
SITE_URL = (os.environ.get("SITE_URL", "").strip() or "http://127.0.0.1:8000").rstrip("/")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip()
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "").strip()
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: STARTTLS (587) or implicit TLS (465)")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "").strip() or "Helpdesk <helpdesk@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A hung SMTP server must fail the job (and retry it), not hold a worker forever.
EMAIL_TIMEOUT = 30
# Without EMAIL_HOST, mail is written as .eml files under DATA_DIR/mail/ (make run shows it there).
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "apps.core.mail.EmlFileBackend"
EMAIL_FILE_PATH = DATA_DIR / "mail"
# Notifications for one recipient and ticket within this window go out as one email (0: each alone).
EMAIL_COALESCE_SECONDS = env_int("EMAIL_COALESCE_SECONDS", 120)
# A step still waiting this long reminds its approvers (and delegates), once per interval.
APPROVAL_REMINDER_HOURS = env_int("APPROVAL_REMINDER_HOURS", 24)
APPROVAL_REMINDER_INTERVAL = timedelta(hours=APPROVAL_REMINDER_HOURS)

# --- Websockets (API.md "Websocket") ------------------------------------------------------
WS_AUTH_TIMEOUT_SECONDS = env_int("WS_AUTH_TIMEOUT_SECONDS", 10)
# Topics one socket may follow besides its own user topic: a bound on what a client can make us hold.
WS_MAX_SUBSCRIPTIONS = env_int("WS_MAX_SUBSCRIPTIONS", 200)

# --- Clerk authentication -----------------------------------------------------------------
CLERK_FRONTEND_API_URL = os.environ.get("CLERK_FRONTEND_API_URL", "").strip().rstrip("/")
CLERK_JWKS_URL = os.environ.get("CLERK_JWKS_URL", "").strip() or (
    f"{CLERK_FRONTEND_API_URL}/.well-known/jwks.json" if CLERK_FRONTEND_API_URL else ""
)
CLERK_JWT_KEY = os.environ.get("CLERK_JWT_KEY", "").strip().replace("\\n", "\n")
CLERK_AUTHORIZED_PARTIES = env_list("CLERK_AUTHORIZED_PARTIES")
CLERK_JWKS_CACHE_SECONDS = env_int("CLERK_JWKS_CACHE_SECONDS", 3600)
CLERK_JWKS_REFETCH_COOLDOWN_SECONDS = env_int("CLERK_JWKS_REFETCH_COOLDOWN_SECONDS", 300)
CLERK_LEEWAY_SECONDS = 5
# The SPA's Clerk key (built in as VITE_CLERK_PUBLISHABLE_KEY). When set, the Content-Security-Policy
# allows Clerk's Frontend API (decoded from the key), Turnstile and img.clerk.com (apps/core/csp.py).
CLERK_PUBLISHABLE_KEY = (
    os.environ.get("CLERK_PUBLISHABLE_KEY", "").strip() or os.environ.get("VITE_CLERK_PUBLISHABLE_KEY", "").strip()
)
DEV_TOKEN_LIFETIME_SECONDS = env_int("DEV_TOKEN_LIFETIME_SECONDS", 3600)
# Cached authentication (apps.accounts.authcache; docs/authentication.md "Cached authentication"):
# a process reuses a resolved Bearer token for at most AUTH_CACHE_SECONDS (0 turns the cache off),
# and learns of revocations and access changes made by other processes within
# AUTH_CACHE_SYNC_SECONDS (it reads a generation counter in the shared cache that often).
AUTH_CACHE_SECONDS = env_int("AUTH_CACHE_SECONDS", 10)
AUTH_CACHE_SYNC_SECONDS = env_int("AUTH_CACHE_SYNC_SECONDS", 1)
if AUTH_CACHE_SECONDS < 0 or AUTH_CACHE_SYNC_SECONDS < 0:
    raise ImproperlyConfigured("AUTH_CACHE_SECONDS and AUTH_CACHE_SYNC_SECONDS must not be negative")

# --- Throttling (API.md "Input rules"; docs/authentication.md "Throttling") ----------------
# "<count>/<period>", period s, min, h or day (optionally with a multiple: "10/5min").
_RATE = re.compile(r"[1-9][0-9]*/[0-9]*(s|sec|m|min|h|hour|d|day)")


def env_rate(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip() or default
    if not _RATE.fullmatch(value):
        raise ImproperlyConfigured(f"{name} must be a rate like 120/min (count/s|min|h|day), got {value!r}")
    return value


THROTTLE_RATES = {
    # Unsafe methods (creates, comments, upload intents, decisions, ...) per signed-in user.
    "user_writes": env_rate("THROTTLE_USER_WRITES", "120/min"),
    # Calls without a signed-in user (health, dev sign-in) per client IP.
    "anonymous": env_rate("THROTTLE_ANONYMOUS", "300/min"),
    # Failed Bearer authentication per client IP; over it, even a right token waits.
    "failed_auth": env_rate("THROTTLE_FAILED_AUTH", "300/min"),
}
# The client IP is REMOTE_ADDR, never X-Forwarded-For (clients write that header): uvicorn
# resolves REMOTE_ADDR from trusted proxies (FORWARDED_ALLOW_IPS).
NINJA_NUM_PROXIES = 0

# --- Attachments --------------------------------------------------------------------------
R2_ACCOUNT_ID = os.environ.get("R2_ACCOUNT_ID", "").strip()
R2_BUCKET_NAME = os.environ.get("R2_BUCKET_NAME", "").strip()
R2_ACCESS_KEY_ID = os.environ.get("R2_ACCESS_KEY_ID", "").strip()
R2_SECRET_ACCESS_KEY = os.environ.get("R2_SECRET_ACCESS_KEY", "").strip()
S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "").strip() or (
    f"https://{R2_ACCOUNT_ID}.r2.cloudflarestorage.com" if R2_ACCOUNT_ID else ""
)
# R2 wants region "auto" in SigV4; other S3 endpoints their own region.
S3_REGION = os.environ.get("S3_REGION", "").strip() or (
    "auto" if ".r2.cloudflarestorage.com" in S3_ENDPOINT_URL else "us-east-1"
)
S3_UPLOAD_METHOD = os.environ.get("S3_UPLOAD_METHOD", "auto").strip().lower() or "auto"
if S3_UPLOAD_METHOD not in {"auto", "post", "put"}:
    raise ImproperlyConfigured("S3_UPLOAD_METHOD must be one of auto, post, put")
ATTACHMENTS_STORAGE = os.environ.get("ATTACHMENTS_STORAGE", "").strip().lower() or ("s3" if R2_BUCKET_NAME else "local")
if ATTACHMENTS_STORAGE not in {"local", "s3"}:
    raise ImproperlyConfigured("ATTACHMENTS_STORAGE must be 'local' or 's3'")
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)
ATTACHMENT_ALLOWED_TYPES = env_list(
    "ATTACHMENT_ALLOWED_TYPES",
    ",".join(
        [
            "application/pdf",
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
            "text/plain",
            "text/csv",
            "application/zip",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ]
    ),
)
ATTACHMENTS_LOCAL_DIR = DATA_DIR / "attachments"

# --- Tickets ------------------------------------------------------------------------------
TICKET_REOPEN_WINDOW_DAYS = env_int("TICKET_REOPEN_WINDOW_DAYS", 14)

# --- Static files and the SPA -------------------------------------------------------------
STATIC_URL = "/static/"
# A build artifact (collectstatic in the image), not data: it must not live on the data volume.
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# In development the admin's static files are found in place; production runs collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
if DEBUG:
    STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
SPA_DIST_DIR = BASE_DIR / "frontend" / "dist"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Production hardening (effective when DEBUG=0; see README "Production") --------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
