"""Relwatch settings, read from the environment (see README "Settings")."""

from pathlib import Path

from csp.constants import NONCE, SELF

from relwatch import config, services
from relwatch.env import envbool, envint, envlist, envrate, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
# Embedded services' data, the generated secret key and collected static files.
VAR_DIR = services.var_dir()

DEBUG = envbool("DEBUG", False)
SECRET_KEY = config.secret_key(DEBUG, VAR_DIR / "secret_key")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    # Swagger UI for /api/docs/, served from static (no CDN).
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "axes",
    "relations",
    "ingest",
    "coding",
    "dashboard",
    "alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "relwatch.middleware.RejectNulBytesInCookiesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "relwatch.urls"
WSGI_APPLICATION = "relwatch.wsgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
    # Event and article rows and plain selects (dashboard/rows.py: the *.jinja templates under
    # templates/dashboard/rows/), about ten times faster than through Django's engine.
    {
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "dashboard.rows.environment", "autoescape": True},
    },
]

DATABASES = {"default": config.database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = config.redis_url()
CACHES = {
    "default": {
        "BACKEND": "relwatch.caching.ReusingRedisCache",
        "LOCATION": config.cache_location(REDIS_URL),
        "KEY_PREFIX": "relwatch",
        "TIMEOUT": 300,
        # A Redis outage must not take pages down: the cache then behaves as a miss.
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/admin/login/"
# Where a login lands when it has no "next", or one it refused (another site's address):
# the overview, not Django's default /accounts/profile/, which this site does not have.
LOGIN_REDIRECT_URL = "dashboard:overview"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "relwatch.staticfiles.IncrementalCompressedManifestStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Development serves straight from the source folders; fixed here because pytest-django
# turns settings.DEBUG off at run time while the storage above stays the DEBUG one.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Celery: JSON only, late acknowledgement so a killed worker's task is delivered again.
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 120, minimum=1)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 180, minimum=1)
# Unacked tasks of a dead worker are delivered again after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 600, minimum=1)
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CONCURRENCY = envint("CELERY_WORKER_CONCURRENCY", 2, minimum=1)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)

# Ingestion
RELWATCH_ALLOW_PRIVATE_FEEDS = envbool("RELWATCH_ALLOW_PRIVATE_FEEDS", False)
INGEST_MAX_BYTES = envint("INGEST_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
INGEST_TIMEOUT = envint("INGEST_TIMEOUT", 30, minimum=1)
INGEST_MAX_ENTRIES = envint("INGEST_MAX_ENTRIES", 200, minimum=1)
INGEST_USER_AGENT = envstr(
    "INGEST_USER_AGENT", "Relwatch/0.1 (+https://github.com/relwatch; news monitoring)"
)

# E-mail (alerts and the monthly brief): SMTP from the environment when EMAIL_HOST is set,
# else one file per mail under var/mail/.
EMAIL_HOST = envstr("EMAIL_HOST")
EMAIL_BACKEND = config.email_backend(EMAIL_HOST)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_PORT = envint("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS, EMAIL_USE_SSL = config.email_security(
    envbool("EMAIL_USE_TLS", False), envbool("EMAIL_USE_SSL", False)
)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "relwatch@localhost")
# The site's address as readers reach it, for the links in mails, webhooks and the brief.
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000")

# Alerts: delivery retries (backoff doubling from ALERTS_RETRY_SECONDS, at most
# ALERTS_MAX_ATTEMPTS tries, then "failed" with the reason), and what a webhook may cost.
ALERTS_RETRY_SECONDS = envint("ALERTS_RETRY_SECONDS", 30, minimum=1)
ALERTS_MAX_ATTEMPTS = envint("ALERTS_MAX_ATTEMPTS", 8, minimum=1)
ALERTS_WEBHOOK_TIMEOUT = envint("ALERTS_WEBHOOK_TIMEOUT", 10, minimum=1)
ALERTS_WEBHOOK_MAX_BYTES = envint("ALERTS_WEBHOOK_MAX_BYTES", 65536, minimum=1024)

# Dashboard
DASHBOARD_LOGIN_REQUIRED = envbool("DASHBOARD_LOGIN_REQUIRED", False)

REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["relwatch.permissions.ReadOnlyUnlessConfigured"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "rest_framework.views.exception_handler",
    # Per client address (anonymous) or per user, counted in the Redis cache; a 429 says
    # when to come back in Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "relwatch.throttling.AnonThrottle",
        "relwatch.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": envrate("API_THROTTLE_ANON", "60/min"),
        "user": envrate("API_THROTTLE_USER", "600/min"),
    },
    # The client is REMOTE_ADDR: a client-sent X-Forwarded-For must not buy a fresh quota.
    "NUM_PROXIES": envint("API_NUM_PROXIES", 0, minimum=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Relwatch API",
    "DESCRIPTION": "Actors, events, dyad series and the relations graph, read-only.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/: Swagger UI from static (drf-spectacular-sidecar), its start-up script a
    # file of its own (SpectacularSwaggerSplitView), no validator badge from swagger.io: the
    # page needs nothing the site's Content-Security-Policy refuses.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "/static/favicon.svg",
    "SWAGGER_UI_SETTINGS": {
        "deepLinking": True,
        "validatorUrl": None,
        "docExpansion": "list",
        "defaultModelsExpandDepth": 0,
        "displayRequestDuration": True,
    },
    # Several models share choice sets; name them once so the schema has no clashes.
    "ENUM_NAME_OVERRIDES": {
        "EventKindEnum": "relations.models.Event.Kind",
        "ActorKindEnum": "relations.models.Actor.Kind",
        "LanguageEnum": "relations.models.Language",
        # Stories and suggestions have a "status" of their own beside events' and feeds'.
        "CodingStatusEnum": "coding.models.ReviewStatus",
    },
}

# Login throttling: five failures lock the user name + address pair for an hour.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# Web security. Production (DEBUG off) gets the strict set that `check --deploy` expects.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Each reports every start at INFO; only their problems are worth a line.
        "pgserver": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},
        # A line per HTTP request: each fetch's outcome is in the feed's fetch log (admin) and
        # in the worker's line for its task.
        "httpx": {"level": "WARNING"},
    },
}
