"""Settings for every environment, read from the environment (12-factor) via django-environ.

Defaults make `make run` work on a machine with no database or broker server:
SQLite in var/, Celery over kombu's filesystem transport in var/celery/.
"""

from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()


def filesystem_broker_options(folder: Path) -> dict:
    """kombu's filesystem transport: a queue folder that the web, worker and beat share."""
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-dev-only-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
# Earlier keys, comma-separated, after a rotation: sessions, signed links and recovery codes
# made under them stay valid while listed.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not DEBUG:
    # Refuse to start a production process with settings that would make it unsafe or unreachable.
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG=false the CRM refuses to start without a secret "
            "key: set SECRET_KEY in the environment or in .env (see .env.example)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS is empty. With DEBUG=false the CRM refuses to start without the host "
            "names it serves: set ALLOWED_HOSTS=crm.example.com (comma-separated)."
        )
else:
    SECRET_KEY = SECRET_KEY or _DEV_SECRET_KEY
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "customers",
    "relationships",
    "processes",
    "analytics",
    "integrations",
    "imports",
    "api",
    "privacy",
    "mail",
    "demo",
]

MIDDLEWARE = [
    # Outermost: a read whose database connection dropped mid-way runs once more (core.middleware).
    "core.middleware.RetryReadsOnDroppedConnectionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # With a read replica: a user who just wrote reads their writes from the primary
    # (core.db.replica); not loaded without one.
    "core.middleware.ReadYourWritesMiddleware",
    # The language chosen on the user's profile over the browser's (core.i18n); no query.
    "core.i18n.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # An idle or too old session is logged out (with a message) before anything else sees it;
    # last activity is written at most once a minute (core.sessions).
    "core.middleware.SessionLimitsMiddleware",
    # Roles in MFA_REQUIRED_ROLES enrol in two-factor authentication before using the app.
    "core.middleware.MfaRequiredMiddleware",
    # Cache-Control: no-store on every response to a logged-in user.
    "core.middleware.NoStoreForUsersMiddleware",
    # One UserActivity row per user and day for the usage report; no query after the first.
    "analytics.middleware.UserActivityMiddleware",
    # The audit: writes below are recorded as the request user's; refused pages are recorded.
    "core.audit.security.AuditMiddleware",
    # A merged customer's (or contact person's) pages redirect to the survivor's.
    "customers.middleware.MergedRecordRedirectMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

# Covering indexes (INCLUDE columns) are PostgreSQL's; on SQLite (development) Django builds
# them without the extra columns, which is all the warning says.
# SQLite has no deferrable unique constraints: processes' stage_position_unique is a plain unique
# index there instead (processes migration 0013), which is all W038 warns about.
SILENCED_SYSTEM_CHECKS = ["models.W040", "models.W038"]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

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
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
                "core.context_processors.roles",
                "processes.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'crm.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one file: WAL lets readers run beside a writer,
    # IMMEDIATE transactions make writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, but a restarting server is waited for (core.db.backends.postgresql).
        DATABASES["default"]["ENGINE"] = "core.db.backends.postgresql"
    # The customer page's statements, compiled once per process (core.fastpath), are
    # prepared on the server after their fifth run on a connection, so PostgreSQL stops planning
    # them on every request. Only those bind on the server; every other query binds on the
    # client (Django's default) and is never prepared. Set DB_PREPARE_THRESHOLD=off behind a
    # pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
    _prepare = env.str("DB_PREPARE_THRESHOLD", default="5").strip().lower()
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        None if _prepare in ("", "off", "none") else int(_prepare)
    )
# How long opening a PostgreSQL connection keeps trying while the server refuses it (a restart
# takes about half a second); requests wait that long at most instead of failing.
DB_CONNECT_RETRY_SECONDS = env.float("DB_CONNECT_RETRY_SECONDS", default=5.0)
# A streaming replica of the default database (core/db/replica.py): reports, exports, list counts
# and API list reads go to it, everything else (and all writes) to the default database.
if env.str("DATABASE_REPLICA_URL", default=""):
    if not DATABASES["default"]["ENGINE"].startswith("core.db.backends.postgresql"):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL is set but DATABASE_URL is not PostgreSQL: a read replica "
            "is a PostgreSQL streaming replica of the default database."
        )
    DATABASES["replica"] = {
        **env.db("DATABASE_REPLICA_URL"),
        "ENGINE": DATABASES["default"]["ENGINE"],
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        # A replica that is down is skipped, not waited for: connect within a few seconds and
        # never retry (core.db.backends.postgresql), the primary answers instead.
        "CONNECT_RETRY_SECONDS": 0,
    }
    DATABASES["replica"]["OPTIONS"] = {
        "connect_timeout": env.int("REPLICA_CONNECT_TIMEOUT", default=2),
        **DATABASES["default"]["OPTIONS"],
        **DATABASES["replica"].get("OPTIONS", {}),
    }
    DATABASE_ROUTERS = ["core.db.replica.PrimaryReplicaRouter"]
# Read-your-writes: for this long after a request that wrote, the user's reads all go to the
# primary (a signed cookie, and a mark in the cache for API clients that keep no cookies).
REPLICA_STICKY_SECONDS = env.float("REPLICA_STICKY_SECONDS", default=10.0)
# A replica further behind than this, or down, is not read from: the primary answers. Keep it
# below REPLICA_STICKY_SECONDS, or a user's own write could vanish from a report for a while.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
# How long each process trusts its last look at the replica's health and lag.
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=2.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The customer page's statements are compiled once per process by core.fastpath, which relies on
# Django internals; false runs the same querysets the plain way (same page, compiled on every
# request: about a third slower), e.g. after a Django upgrade until `make check` and
# core.fastpath's tests pass again.
CRM_FAST_PATH = env.bool("CRM_FAST_PATH", default=True)
# Whose customers staff see (core.visibility): "all" of them, or "team": their own team's and
# the unowned ones (managers, superusers and, for financial records, finance see all). Editing is
# for the owner's side in both. Any other value stops start-up (system check core.E003).
CRM_VISIBILITY = env.str("CRM_VISIBILITY", default="all").strip().lower()

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Declared permissions (`user.has_perm("relationships.issue_invoices")`, `{{ perms }}`) are
    # answered by core.permissions.can(), before ModelBackend reads the admin's model permissions.
    "core.permissions.PermissionBackend",
    # Django's ModelBackend, but each request's user comes with their profile in the same
    # query (the language middleware reads it).
    "core.auth.ProfileModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock a username+address pair after repeated failures, for a cool-off period.
# The address is the client's as the trusted reverse proxies report it (core.clientip): with
# TRUSTED_PROXY_COUNT=0 (direct) the connection's own address, behind N proxies the N-th entry
# from the right of X-Forwarded-For (the one the outermost trusted proxy appended), never an
# entry the client wrote itself.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# Also locks out an address that failed this many times across all usernames (spraying), and
# hands the lock-out page a reason; see core.login_limits.
AXES_HANDLER = "core.login_limits.LoginLimitsHandler"
# Failures from one address, whatever the usernames, within the cool-off before that address is
# refused (spraying one password over many usernames).
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
# Failures against one username from all addresses within the cool-off after which attempts from
# an address the user has never logged in from wait LOGIN_USERNAME_DELAY_SECONDS between them
# (doubling with every further such number of failures, at most a minute). Never a lock-out.
LOGIN_USERNAME_SOFT_LIMIT = env.int("LOGIN_USERNAME_SOFT_LIMIT", default=10)
LOGIN_USERNAME_DELAY_SECONDS = env.int("LOGIN_USERNAME_DELAY_SECONDS", default=5)

# Sessions end after SESSION_IDLE_MINUTES without a request, and SESSION_MAX_HOURS after the
# log-in in any case (core.sessions); the cookie lives no longer than the absolute limit.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_MAX_HOURS = env.float("SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = int(SESSION_MAX_HOURS * 3600)

# Two-factor authentication (django-otp): users of these roles ("admin" = staff and superusers)
# must enrol before they can use the app. Empty: optional for everyone.
MFA_REQUIRED_ROLES = env.list("MFA_REQUIRED_ROLES", default=[])
OTP_TOTP_ISSUER = env.str("MFA_ISSUER", default="CRM")

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("pl", _("Polish")), ("cs", _("Czech")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Only where Django's own locale formats differ from what users of that country expect
# (crm/formats/pl: "31.08.2020", not "31-08-2020").
FORMAT_MODULE_PATH = ["crm.formats"]
# The language chosen on the log-in page (and in the user menu) is remembered by the browser
# for a year; a logged-in user's profile choice comes first (core.i18n).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Warsaw")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
if DEBUG:
    # Development serves files from the app folders directly; no collectstatic needed.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
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

# --- Cache ---------------------------------------------------------------------------------
# The reports cache what only a nightly job changes (analytics.process_kpis, the KPI rollup),
# under keys that change when the job has run, so a stale entry is never read. Without
# REDIS_URL each process keeps its own small in-memory cache, which is enough for that.
# With Redis, the cache is an optimisation and never a dependency of reading: core.cache answers
# as an empty cache while Redis is away (one log line when it goes, one when it is back), gives
# up on a call after REDIS_CACHE_TIMEOUT seconds, and skips Redis for REDIS_CACHE_RETRY_AFTER
# seconds after a failure, so an unreachable server costs a page at most one short timeout.
_redis_url = env.str("REDIS_URL", default="")
_cache_timeout = env.float("REDIS_CACHE_TIMEOUT", default=0.25)
CACHES = {
    "default": (
        {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": _redis_url,
            "OPTIONS": {
                "retry_after": env.float("REDIS_CACHE_RETRY_AFTER", default=5.0),
                "socket_connect_timeout": _cache_timeout,
                "socket_timeout": _cache_timeout,
            },
        }
        if _redis_url
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    )
}

# --- E-mail ---------------------------------------------------------------------------------
# EMAIL_URL=smtp+tls://user:password@smtp.example.com:587 switches to SMTP.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# Seconds an SMTP conversation may stall: Django's default waits for ever, and the send task
# holds its e-mail's row lock (and a worker) while it talks to the server.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=30.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="crm@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Mailbox sync (mail.services.sync): off unless asked for, so `make run` needs no mail server.
MAIL_SYNC_ENABLED = env.bool("MAIL_SYNC_ENABLED", default=False)
MAIL_SYNC_INTERVAL = env.float("MAIL_SYNC_INTERVAL", default=120.0)
MAIL_SYNC_BATCH = env.int("MAIL_SYNC_BATCH", default=200)
MAIL_SYNC_MAX_MESSAGE_BYTES = env.int("MAIL_SYNC_MAX_MESSAGE_BYTES", default=25 * 1024 * 1024)
MAIL_SYNC_FETCH_BYTES = env.int("MAIL_SYNC_FETCH_BYTES", default=20 * 1024 * 1024)
MAIL_SYNC_ATTACHMENT_MAX_BYTES = env.int("MAIL_SYNC_ATTACHMENT_MAX_BYTES", default=5 * 1024 * 1024)
MAIL_IMAP_TIMEOUT = env.float("MAIL_IMAP_TIMEOUT", default=30.0)
# A mailbox's IMAP host may be a loopback or private address (core.network): only with DEBUG
# by default, so a user's mailbox settings cannot probe the internal network.
MAIL_ALLOW_PRIVATE_HOSTS = env.bool("MAIL_ALLOW_PRIVATE_HOSTS", default=DEBUG)
# Fernet keys for mailbox passwords, first encrypts, all decrypt; unset: derived from SECRET_KEY.
MAIL_ENCRYPTION_KEYS = env.list("MAIL_ENCRYPTION_KEYS", default=[])
# Mailings (mail.services.mailings): messages sent per minute at most, in one batch a minute.
MAIL_MAILING_RATE = env.int("MAIL_MAILING_RATE", default=600)
# E-mails written from the CRM (mail.services.sending): replies go to the shared mailbox when
# set; our own Message-IDs name this domain; a failed send is tried this many times in all,
# waiting MAIL_SEND_RETRY_SECONDS, doubled after each failure, before it is marked failed.
MAIL_REPLY_TO = env.str("MAIL_REPLY_TO", default="")
MAIL_MESSAGE_ID_DOMAIN = env.str(
    "MAIL_MESSAGE_ID_DOMAIN", default=DEFAULT_FROM_EMAIL.rpartition("@")[2] or "crm.localhost"
)
MAIL_SEND_MAX_ATTEMPTS = env.int("MAIL_SEND_MAX_ATTEMPTS", default=5)
MAIL_SEND_RETRY_SECONDS = env.int("MAIL_SEND_RETRY_SECONDS", default=60)
MAIL_MAX_RECIPIENTS = env.int("MAIL_MAX_RECIPIENTS", default=10)
MAIL_MAX_ATTACHMENTS = env.int("MAIL_MAX_ATTACHMENTS", default=10)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=_redis_url or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(VAR_DIR / "celery")
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it has finished, and a worker killed mid-task (OOM, SIGKILL, a
# lost machine) hands it back to the queue: every queued task is idempotent, so a second run
# finds its work done instead of doing it twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A broker that is away must fail fast in the web process: the outbox (core.outbox) keeps the
# message and the drainer sends it later. Connecting and publishing give up within about a
# second (BROKER_TIMEOUT per attempt, one retry).
_broker_timeout = env.float("BROKER_TIMEOUT", default=0.5)
CELERY_BROKER_CONNECTION_TIMEOUT = _broker_timeout
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
OUTBOX_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # An unacknowledged task (its worker died) is handed to another worker after this
        # many seconds; longer than the longest task, or a slow one would run twice at once.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "socket_connect_timeout": _broker_timeout,
        "socket_timeout": env.float("BROKER_SOCKET_TIMEOUT", default=5.0),
        # How often a worker looks for such tasks (kombu scans every interval x throttle s).
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
    }
# The task outbox (core.outbox): seconds publishing is skipped after the broker failed, messages
# a drainer claims at a time, and hours sent messages are kept (enqueue_once looks back on them).
OUTBOX_RETRY_AFTER = env.float("OUTBOX_RETRY_AFTER", default=5.0)
OUTBOX_DRAIN_BATCH = env.int("OUTBOX_DRAIN_BATCH", default=500)
OUTBOX_KEEP_SENT_HOURS = env.int("OUTBOX_KEEP_SENT_HOURS", default=24)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Exactly one beat (core.beat): how often a standby beat tries for the lock, and how often the
# running beat checks that it still holds it (seconds).
BEAT_LOCK_RETRY_SECONDS = env.float("BEAT_LOCK_RETRY_SECONDS", default=10.0)
BEAT_LOCK_CHECK_SECONDS = env.float("BEAT_LOCK_CHECK_SECONDS", default=15.0)
# Batches the nightly scoring job computes at once (PostgreSQL), each on its own connection:
# about one per core of the database server.
SCORING_WORKERS = env.int("SCORING_WORKERS", default=2)
# The hour (TIME_ZONE) at which the daily digest e-mails go out.
DIGEST_HOUR = env.int("DIGEST_HOUR", default=7)
CELERY_BEAT_SCHEDULE = {
    # E-mails whose retry the broker lost, queued again (mail.services.sending).
    "mail-send-stale-emails": {
        "task": "mail.tasks.send_stale_emails",
        "schedule": 600.0,
    },
    # Likely duplicates among the customers created or changed lately (customers.duplicates).
    "customers-find-duplicates": {
        "task": "customers.tasks.find_duplicate_customers",
        "schedule": crontab(hour=3, minute=50),
    },
    # What a broker outage or a dead web process left in the outbox (core.outbox).
    # Connected mailboxes (mail.tasks.sync_mailboxes; does nothing unless MAIL_SYNC_ENABLED).
    "mail-sync-mailboxes": {
        "task": "mail.tasks.sync_mailboxes",
        "schedule": MAIL_SYNC_INTERVAL,
    },
    "core-drain-outbox": {
        "task": "core.tasks.drain_outbox",
        "schedule": 60.0,
    },
    # Background exports older than EXPORT_KEEP_HOURS, files and all (core.export_jobs).
    "core-expire-exports": {
        "task": "core.tasks.expire_exports",
        "schedule": crontab(minute=20),
    },
    # A mailing whose batch worker died before queuing the next batch goes on (mail.tasks).
    "mail-resume-mailings": {
        "task": "mail.tasks.resume_mailings",
        "schedule": 300.0,
    },
    "clear-expired-sessions": {
        "task": "customers.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
    "expire-contracts": {
        "task": "relationships.tasks.expire_contracts",
        "schedule": crontab(hour=0, minute=30),
    },
    "bill-recurring-contracts": {
        "task": "relationships.tasks.bill_recurring_contracts",
        "schedule": crontab(hour=1, minute=0),
    },
    # The column totals of boards too large to sum per request (processes.selectors).
    "processes-refresh-board-totals": {
        "task": "processes.tasks.refresh_board_totals",
        "schedule": 45.0,
    },
    "processes-watch-sla-and-stalls": {
        "task": "processes.tasks.watch_processes",
        "schedule": crontab(minute="*/15"),
    },
    # After midnight, so yesterday is complete.
    "analytics-rollup-usage": {
        "task": "analytics.tasks.rollup_usage",
        "schedule": crontab(hour=0, minute=20),
    },
    # After midnight, so yesterday is complete; its stage stays are measured first.
    "analytics-rollup-process-kpis": {
        "task": "analytics.tasks.rollup_process_kpis",
        "schedule": crontab(hour=0, minute=40),
    },
    "analytics-score-customers": {
        "task": "analytics.tasks.score_all_customers",
        "schedule": crontab(hour=2, minute=30),
    },
    "analytics-send-daily-digests": {
        "task": "analytics.tasks.send_daily_digests",
        "schedule": crontab(hour=DIGEST_HOUR, minute=0),
    },
    "analytics-report-snapshots": {
        "task": "analytics.tasks.refresh_report_snapshots",
        "schedule": crontab(hour=3, minute=30),
    },
    "analytics-data-quality": {
        "task": "analytics.tasks.compute_data_quality",
        "schedule": crontab(hour=3, minute=45),
    },
    "analytics-measure-stage-stays": {
        "task": "analytics.tasks.measure_stage_stays",
        "schedule": crontab(minute="*/10"),
    },
    "analytics-snapshot-forecast": {
        "task": "analytics.tasks.snapshot_forecast",
        "schedule": crontab(day_of_week="monday", hour=5, minute=0),
    },
    # Stored answers of expired Idempotency-Keys (api).
    "api-purge-idempotency-keys": {
        "task": "api.tasks.purge_idempotency_keys",
        "schedule": crontab(minute=5),
    },
    "processes-open-collection-cases": {
        "task": "processes.tasks.open_collection_cases",
        "schedule": crontab(hour=6, minute=0),
    },
    # Webhook retries whose pause is over (integrations.services.deliveries).
    "integrations-send-due-webhooks": {
        "task": "integrations.tasks.send_due_webhooks",
        "schedule": 60.0,
    },
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Everything is served from our own origin; no inline scripts (htmx is told not to add styles).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "font-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Forms and UI ---------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
from django.contrib.messages import constants as message_constants  # noqa: E402

MESSAGE_TAGS = {message_constants.ERROR: "danger"}

# --- Product settings -----------------------------------------------------------------------
CUSTOMER_LIST_PAGE_SIZE = env.int("CUSTOMER_LIST_PAGE_SIZE", default=25)
# Invoice, contract and payout lists.
FINANCE_LIST_PAGE_SIZE = env.int("FINANCE_LIST_PAGE_SIZE", default=25)
# Lists that act (core.lists): the most rows one bulk action changes (more is refused with a
# message), and the rows an export reads from the database at a time.
BULK_ACTION_MAX_ROWS = env.int("BULK_ACTION_MAX_ROWS", default=500)
EXPORT_CHUNK_SIZE = env.int("EXPORT_CHUNK_SIZE", default=2000)
# A list's export with more rows than this is written by a worker to a file the user downloads
# from "My exports" (core.export_jobs), not while the browser waits (gunicorn's timeout).
EXPORT_INLINE_MAX_ROWS = env.int("EXPORT_INLINE_MAX_ROWS", default=10000)
# Hours a background export's file is kept (from when it was asked for), then deleted.
EXPORT_KEEP_HOURS = env.int("EXPORT_KEEP_HOURS", default=24)
# Offered on new contracts, invoices and payouts; every amount carries its own ISO 4217 code.
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="PLN")
# Invoices generated by recurring billing are due this many days after they are issued.
INVOICE_PAYMENT_TERM_DAYS = env.int("INVOICE_PAYMENT_TERM_DAYS", default=14)
# Recurring billing issues at most this many past periods of one contract in one run; a contract
# with more unbilled periods (a start date far in the past) waits until a person confirms them
# on the contract's page, and the contract form asks before saving such a start date.
BILLING_MAX_PERIODS_PER_RUN = env.int("BILLING_MAX_PERIODS_PER_RUN", default=3)
# A payout whose amount is above this number needs a manager's approval before it is paid. The
# number is compared with the amount in the payout's own currency (1000 = 1000 PLN for a PLN
# payout, 1000 EUR for a EUR payout); there is no conversion.
PAYOUT_APPROVAL_THRESHOLD = Decimal(env.str("PAYOUT_APPROVAL_THRESHOLD", default="1000"))
# Uploaded documents: at most this many bytes (a bigger file is refused while it arrives, never
# stored whole), and only these extensions, each with the one content type the file's bytes must
# show (sniffed by magic number; .txt and .csv must be UTF-8 or Windows-1250/1251 text, not markup).
# Files are stored and served with that type, never with the one the browser declared.
DOCUMENT_MAX_SIZE = env.int("DOCUMENT_MAX_SIZE", default=10 * 1024 * 1024)
# Imports (imports/): the largest file accepted, in bytes (a bigger one is refused while it
# arrives, never read whole), the most data rows one file may hold, the rows per preview page,
# and the country whose phone and tax id rules apply when neither the row nor the user says.
IMPORT_MAX_SIZE = env.int("IMPORT_MAX_SIZE", default=50 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
IMPORT_PREVIEW_PAGE_SIZE = env.int("IMPORT_PREVIEW_PAGE_SIZE", default=50)
IMPORT_DEFAULT_COUNTRY = env.str("IMPORT_DEFAULT_COUNTRY", default="PL")
DOCUMENT_ALLOWED_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# --- Processes (processes app) ---------------------------------------------------------------
# Boards, instance, ticket and task lists.
PROCESS_LIST_PAGE_SIZE = env.int("PROCESS_LIST_PAGE_SIZE", default=25)
# Rows per page of the audit list and of a customer's change history.
AUDIT_LIST_PAGE_SIZE = env.int("AUDIT_LIST_PAGE_SIZE", default=50)
# An open instance with no activity for this many days warns its owner (a definition may override).
PROCESS_STALL_DAYS = env.int("PROCESS_STALL_DAYS", default=7)
# This many hours after a warning's deadline, the managers are told as well (escalation).
PROCESS_ESCALATION_HOURS = env.int("PROCESS_ESCALATION_HOURS", default=24)
# A sales discount above this percentage needs a manager's approval before it applies.
PROCESS_DISCOUNT_APPROVAL_THRESHOLD = Decimal(
    env.str("PROCESS_DISCOUNT_APPROVAL_THRESHOLD", default="10")
)
# The home page (analytics.home): rows shown per block (its count and link give the rest), and
# after how many days without contact a sales rep's customer is listed there.
HOME_BLOCK_ROWS = env.int("HOME_BLOCK_ROWS", default=5)
HOME_UNCONTACTED_DAYS = env.int("HOME_UNCONTACTED_DAYS", default=30)
# The collections job opens a case for an invoice this many days past its due date.
COLLECTIONS_GRACE_DAYS = env.int("COLLECTIONS_GRACE_DAYS", default=7)

# --- Analytics (analytics app) ----------------------------------------------------------------
# The address the CRM is reached at, for the links in e-mails sent by scheduled jobs (no request
# to take the host from): https://crm.example.com
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The daily digest lists, besides what is already late, the processes and tickets whose deadline
# falls within this many hours.
DIGEST_SLA_HOURS = env.int("DIGEST_SLA_HOURS", default=24)

# --- Integrations (integrations app) ----------------------------------------------------------
# Seconds a webhook POST waits to connect, and for each part of the answer, before it has failed.
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=5.0)
# Pauses (seconds) before each retry of a failed delivery; when all are used up it has failed.
WEBHOOK_RETRY_SCHEDULE = env.list(
    "WEBHOOK_RETRY_SCHEDULE", cast=int, default=[60, 300, 1800, 7200, 43200]
)
# Failed deliveries in a row after which a subscription is switched off and its owner told.
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=5)
# Webhook targets on loopback or private addresses (refused in production: SSRF).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=DEBUG)
# Posts per minute a web form takes from one client address, and in all.
WEBFORM_RATE_LIMIT_PER_ADDRESS = env.int("WEBFORM_RATE_LIMIT_PER_ADDRESS", default=5)
WEBFORM_RATE_LIMIT_PER_FORM = env.int("WEBFORM_RATE_LIMIT_PER_FORM", default=60)
# --- API (api app) --------------------------------------------------------------------------
# Requests per token (per user for a browser session on the docs page): "600/minute",
# "10000/hour"... Counted in the cache (Redis); with Redis away the API answers unlimited.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/minute")
# Rows per page of a list (?page_size= up to API_MAX_PAGE_SIZE).
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=200)
# Hours a create's answer is kept for a retry with the same Idempotency-Key.
API_IDEMPOTENCY_KEY_HOURS = env.int("API_IDEMPOTENCY_KEY_HOURS", default=24)
REST_FRAMEWORK = {
    # The bearer token first: a request without credentials is a 401 with WWW-Authenticate.
    # The session serves the docs page's "Try it out" (with the CSRF token, as every form).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.TokenAccess",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StableCursorPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.handle",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CRM API",
    "DESCRIPTION": (
        "The CRM's REST API: customers, relationships, billing and processes, with the same "
        "permissions and record access as the screens. Errors are RFC 9457 problems."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problem_responses",
    ],
    # One name per choice set where several models call theirs "status" or "kind".
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "customers.models.Customer.Kind",
        # A customer's status is its current relationship's.
        "RelationshipStatusEnum": "relationships.models.Relationship.Status",
        "RelationshipKindEnum": "relationships.models.Relationship.Kind",
        "RelationshipEndReasonEnum": "relationships.models.Relationship.EndReason",
        "ContractStatusEnum": "relationships.models.Contract.Status",
        "PayoutStatusEnum": "relationships.models.Payout.Status",
        "PayoutKindEnum": "relationships.models.Payout.Kind",
        "AssetStatusEnum": "relationships.models.Asset.Status",
        "ProcessKindEnum": "processes.models.ProcessDefinition.Kind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
