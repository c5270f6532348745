"""Settings for the cinema project. Every knob comes from the environment
(or an optional `.env` file beside manage.py); see the README's table."""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from cinema.keys import development_key_pair

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- product knobs ----------------------------------------------------------
SEAT_HOLD_SECONDS = env.int("SEAT_HOLD_SECONDS", default=600)
MAX_SEATS_PER_BOOKING = env.int("MAX_SEATS_PER_BOOKING", default=10)
# Inventory limits (issue 18): unexpired held seats per user across all shows,
# and held + bought per user on one show.
MAX_HELD_SEATS_PER_USER = env.int("MAX_HELD_SEATS_PER_USER", default=20)
MAX_SEATS_PER_USER_PER_SHOW = env.int("MAX_SEATS_PER_USER_PER_SHOW", default=10)
# Per-user token bucket on holding: "refills/period[,burst]" (cinema/token_bucket.py); empty = no limit.
HOLD_RATE = env.str("HOLD_RATE", default="30/min,20")
# Browser API clients from other origins (django-cors-headers), e.g. https://app.example.com
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CURRENCY = env.str("CURRENCY", default="INR")
# Seat prices a newly scheduled show starts from when its screen has no show yet
# (otherwise the screen's latest show's prices), e.g. "STANDARD=200,PREMIUM=300".
DEFAULT_SEAT_PRICES = {
    "STANDARD": "200.00",
    "PREMIUM": "300.00",
    "RECLINER": "500.00",
    "ACCESSIBLE": "200.00",
    **env.dict("DEFAULT_SEAT_PRICES", default={}),
}
LOCK_WAIT_SECONDS = env.int("LOCK_WAIT_SECONDS", default=3)
IDEMPOTENCY_TTL_HOURS = env.int("IDEMPOTENCY_TTL_HOURS", default=24)
# How often the seat picker re-reads seat statuses (an unchanged map costs a 304).
SEAT_MAP_POLL_MS = env.int("SEAT_MAP_POLL_MS", default=4000)
# Refuse a choice of seats that strands one empty seat in its row (Regal's rule).
LONE_SEAT_RULE = env.bool("LONE_SEAT_RULE", default=True)

# --- events (SPEC 7.3): outbox relay and audit consumer ----------------------
# Empty: nothing is published and events wait in the outbox (the admin shows the backlog).
AMQP_URL = env.str("AMQP_URL", default="")
EVENTS_EXCHANGE = env.str("EVENTS_EXCHANGE", default="cinema.events")
AUDIT_QUEUE = env.str("AUDIT_QUEUE", default="cinema.audit")
# Published outbox rows are kept this long for debugging, then pruned by the relay.
OUTBOX_RETENTION_HOURS = env.int("OUTBOX_RETENTION_HOURS", default=72)
OUTBOX_POLL_SECONDS = env.float("OUTBOX_POLL_SECONDS", default=0.5)
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=200)
# How far the relay lowers its own CPU priority (0: not at all), so that in a
# rush the web workers come first and the relay catches up afterwards.
OUTBOX_RELAY_NICE = env.int("OUTBOX_RELAY_NICE", default=10)
# --- payments (parsed and checked at startup by payments.conf) ----------------
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="test")  # test | none | stripe
PAYMENT_WINDOW_SECONDS = env.int("PAYMENT_WINDOW_SECONDS", default=600)
BOOKING_FEE_PER_SEAT = env.str("BOOKING_FEE_PER_SEAT", default="30.00")
TAX_RATE = env.str("TAX_RATE", default="0.18")  # on the booking fee
CANCELLATION_POLICY = env.str("CANCELLATION_POLICY", default="24h:100,2h:50")
PAYMENT_WEBHOOK_SECRET = env.str("PAYMENT_WEBHOOK_SECRET", default="")
if not PAYMENT_WEBHOOK_SECRET:
    if not DEBUG and PAYMENT_PROVIDER == "test":
        raise ImproperlyConfigured("PAYMENT_WEBHOOK_SECRET is required when DEBUG is off.")
    PAYMENT_WEBHOOK_SECRET = "whsec_development_only_do_not_use_in_production"
STRIPE_API_KEY = env.str("STRIPE_API_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")

# --- applications -----------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "accounts",
    "catalog",
    "booking",
    "events",
    "payments",
    "mailer",
    "tickets",
]

MIDDLEWARE = [
    "cinema.middleware.RequestHardeningMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "cinema.middleware.HtmlGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cinema.urls"
WSGI_APPLICATION = "cinema.wsgi.application"

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
                "cinema.context_processors.site",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
_db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
_db["CONN_HEALTH_CHECKS"] = True
if _db["ENGINE"] == "django.db.backends.mysql":
    from MySQLdb.constants import CLIENT

    _db.setdefault("OPTIONS", {}).update(
        {
            "charset": "utf8mb4",
            # FOUND_ROWS is Django's own flag. MULTI_STATEMENTS lets the hot
            # paths send their leading reads in one round trip
            # (booking/sql.py statements_run); every statement still takes
            # its values as parameters, never pasted into the SQL.
            "client_flag": CLIENT.FOUND_ROWS | CLIENT.MULTI_STATEMENTS,
            "isolation_level": "read committed",
            # A request never waits long on a row lock: past this it gets 503.
            "init_command": (
                f"SET SESSION innodb_lock_wait_timeout={LOCK_WAIT_SECONDS}, sql_mode='STRICT_TRANS_TABLES'"
            ),
        }
    )
    _db.setdefault("TEST", {}).update({"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"})
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db.setdefault("OPTIONS", {}).update(
        # Writers take the lock when the transaction begins, so they queue up
        # instead of failing half-way with "database is locked".
        {"transaction_mode": "IMMEDIATE", "timeout": max(LOCK_WAIT_SECONDS, 5)}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- cache (throttling and lockouts must be shared by gunicorn workers) ------
# Without CACHE_URL: the local Redis when it answers (what `make run` starts), else the
# file cache, whose culling lists its whole folder on every write (about 0.9 ms a
# throttle check with 400 keys against 0.07 ms on Redis: docs/performance.md).
def _local_redis() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.2).close()
    except OSError:
        return False
    return True


_DEFAULT_CACHE = (
    "redis://127.0.0.1:6379/0"
    if "CACHE_URL" not in os.environ and _local_redis()
    else f"filecache://{BASE_DIR / '.cache' / 'django'}"
)
CACHES = {"default": env.cache_url("CACHE_URL", default=_DEFAULT_CACHE)}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "cinema.cache.RedisCache"  # one client per pool: see cinema/cache.py
# Cached reads (cinema/readcache.py) are never served older than this, whatever the
# versions say: the bound on staleness when a version bump is lost. 0 turns them off.
READ_CACHE_SECONDS = env.float("READ_CACHE_SECONDS", default=2.0)

# --- users ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2PasswordHasher",  # Argon2id, m=19 MiB, t=2, p=1 (see accounts/hashers.py)
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        # Our users have a display name, not first/last names: compare with it too.
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.NotBlankPasswordValidator"},
]
# New accounts per client address and for everyone (API and page alike).
REGISTER_RATE_PER_IP = env.str("REGISTER_RATE_PER_IP", default="10/hour")
REGISTER_RATE_GLOBAL = env.str("REGISTER_RATE_GLOBAL", default="1000/hour")
# New accounts confirm their email address before they may hold seats
# (the cost of a throwaway account); off in DEBUG so the demo works as it is.
REQUIRE_EMAIL_VERIFICATION = env.bool("REQUIRE_EMAIL_VERIFICATION", default=not DEBUG)
EMAIL_VERIFICATION_MAX_AGE_SECONDS = env.int("EMAIL_VERIFICATION_MAX_AGE_SECONDS", default=3 * 24 * 3600)
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "catalog:home"
LOGOUT_REDIRECT_URL = "catalog:home"

# Repeated failed logins lock the account from that address out for a while.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "email"
# The API posts `email`, Django's login forms post `username`: count both as one.
AXES_USERNAME_CALLABLE = "accounts.lockout.login_username"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "cinema.client_ip.client_ip"  # the NUM_PROXIES rule, as for throttles

# How many reverse proxies of ours append to X-Forwarded-For. 0: ignore the
# header and use the socket's address (anything else lets clients pick theirs).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# --- i18n / time --------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Kolkata")
USE_I18N = True
USE_TZ = True

# --- static files -------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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

# --- email --------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="tickets@cinema.local")
# On: the request that queued an email sends it once its transaction commits.
# Off: the request only writes the row and the outbox_relay process sends it
# within EMAIL_POLL_SECONDS (production under a rush: no mail rendering in requests).
EMAIL_SEND_AFTER_COMMIT = env.bool("EMAIL_SEND_AFTER_COMMIT", default=True)
EMAIL_POLL_SECONDS = env.float("EMAIL_POLL_SECONDS", default=2 if not EMAIL_SEND_AFTER_COMMIT else 60)

# --- API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",  # simplejwt, user read by accounts/sql.py
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["cinema.parsers.LimitedJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's anon and user throttles counted as token buckets (O(1) per request).
        "cinema.throttling.AnonBucketThrottle",
        "cinema.throttling.UserBucketThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
        "login": env.str("THROTTLE_LOGIN", default="10/min"),
    },
    "NUM_PROXIES": NUM_PROXIES,
    "EXCEPTION_HANDLER": "cinema.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "cinema.schema.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
    "TIME_ZONE": "UTC",
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

SPECTACULAR_SETTINGS = {
    "TITLE": "Cinema seat booking API",
    "DESCRIPTION": "Browse movies and shows, hold seats, book them. JWT bearer auth.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cinema.schema.add_common_errors",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # Serve Swagger UI / ReDoc from our own static files: no CDN needed.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "SeatStatusEnum": "booking.models.SeatStatus",
        "BookingStatusEnum": "booking.models.BookingStatus",
        "SeatLockStatusEnum": ["LOCKED", "AVAILABLE"],
        "SeatTypeEnum": "catalog.models.SeatType",
    },
}

JWT_ALGORITHM = env.str("JWT_ALGORITHM", default="RS256")
if JWT_ALGORITHM not in {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"}:
    raise ImproperlyConfigured(f"JWT_ALGORITHM {JWT_ALGORITHM!r} is not an asymmetric algorithm.")
JWT_PRIVATE_KEY = env.str("JWT_PRIVATE_KEY", default="").replace("\\n", "\n")
JWT_PUBLIC_KEY = env.str("JWT_PUBLIC_KEY", default="").replace("\\n", "\n")
if not (JWT_PRIVATE_KEY and JWT_PUBLIC_KEY):
    if not DEBUG:
        raise ImproperlyConfigured("JWT_PRIVATE_KEY and JWT_PUBLIC_KEY are required when DEBUG is off.")
    JWT_PRIVATE_KEY, JWT_PUBLIC_KEY = development_key_pair(BASE_DIR / ".keys", JWT_ALGORITHM)

SIMPLE_JWT = {
    "ALGORITHM": JWT_ALGORITHM,
    "SIGNING_KEY": JWT_PRIVATE_KEY,
    "VERIFYING_KEY": JWT_PUBLIC_KEY,
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "CHECK_USER_IS_ACTIVE": True,
}

# --- security -----------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Strict: our own scripts, styles, fonts and fetches only, nothing inline but
# style attributes (the seat grid sets its column count with one; a style
# attribute cannot run code). Posters may come from any https image host.
# The API reference pages (Swagger UI, ReDoc) run inline code and are exempt.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/", "/api/redoc/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}


# === operations: request ids, metrics, logs, health (issue 15) ================
# Kept in one block so other edits to this file merge cleanly.
from cinema.logs import logging_config  # noqa: E402

# Outermost: the request id exists before anything logs and reaches every response;
# django-prometheus's pair times the whole stack and counts requests by view.
MIDDLEWARE = [
    "cinema.request_id.RequestIdMiddleware",
    "cinema.metrics.RequestCpuMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# Besides loopback, who may scrape /metrics (CIDRs, e.g. the Prometheus network).
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
HEALTH_BROKER_TIMEOUT = env.float("HEALTH_BROKER_TIMEOUT", default=1.0)
# Probes and scrapes speak plain HTTP inside the container / cluster.
SECURE_REDIRECT_EXEMPT = [r"^health(/live)?$", r"^metrics$"]
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = logging_config(fmt=LOG_FORMAT, level=env.str("LOG_LEVEL", default="WARNING"))
# A client's mistake is one line, not a traceback (cinema/logging.py).
LOGGING["filters"] = {"one_line_client_errors": {"()": "cinema.logging.OneLineClientErrors"}}
LOGGING["handlers"]["console"]["filters"] = ["one_line_client_errors"]
# The relay and the audit consumer say when they connect, retry and stop.
LOGGING["loggers"]["events"] = {"level": env.str("EVENTS_LOG_LEVEL", default="INFO")}

# --- several nodes, read replicas, the edge (SPEC 7.5; docs/scaling.md) ----------
# Anonymous seat maps say they are public for a second, so nginx can absorb polling.
MIDDLEWARE.append("cinema.edge.PublicSeatMapMiddleware")
# Read replicas: catalogue reads and anonymous seat maps may use one; see cinema/replicas.py.
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=5)
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=2.0)
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=1.0)
for _i, _url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    _replica = env.db_url_config(_url)
    _replica.update({"CONN_MAX_AGE": _db["CONN_MAX_AGE"], "CONN_HEALTH_CHECKS": True, "TEST": {"MIRROR": "default"}})
    if _replica["ENGINE"] == "django.db.backends.mysql":
        # A replica that is gone must not hold a request for long: it is skipped.
        same = _db["ENGINE"] == _replica["ENGINE"]
        _replica["OPTIONS"] = {**(_db.get("OPTIONS", {}) if same else {}), "connect_timeout": 1}
    DATABASES[f"replica{_i}"] = _replica
if len(DATABASES) > 1:
    DATABASE_ROUTERS = ["cinema.db_router.ReplicaRouter"]
    # Last: it calls the view itself, to answer again from the primary if a replica fails.
    MIDDLEWARE.append("cinema.replicas.ReplicaMiddleware")

# --- overload and cached reads (issue 13; docs/performance.md) -------------------
# Outermost: a request that already waited more than OVERLOAD_MAX_WAIT_SECONDS for a
# gunicorn thread is answered 503 + Retry-After at once (cinema/overload.py); 0 = off.
MIDDLEWARE.insert(0, "cinema.overload.ShedLoadMiddleware")
# Fresh cached reads for viewers without credentials are answered before Django's
# handler: cinema.readfront.ReadFront, around the WSGI application (cinema/wsgi.py).
OVERLOAD_MAX_WAIT_SECONDS = env.float("OVERLOAD_MAX_WAIT_SECONDS", default=3.0)
OVERLOAD_RETRY_AFTER = env.int("OVERLOAD_RETRY_AFTER", default=2)
