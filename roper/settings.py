"""Roper settings: one file, read from the environment.

A fresh clone runs with no configuration (SQLite, console email, tasks run eagerly).
Production differs only by environment variables; a bad value stops start-up with a
message that names it.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _read(name, reader, **kwargs):
    """Read one variable, turning any parse error into a message that names it."""
    try:
        return reader(name, **kwargs)
    except (ValueError, ImproperlyConfigured, KeyError) as exc:
        raise ImproperlyConfigured(f"Environment variable {name} has a bad value: {exc}") from exc


def _strict_bool(name, default):
    value = env.str(name, default=str(default)).strip().lower()
    if value in {"true", "1", "yes", "on"}:
        return True
    if value in {"false", "0", "no", "off", ""}:
        return False
    raise ValueError(f"{value!r} is not true or false")


DEBUG = _read("DEBUG", _strict_bool, default=False)

# Read as it is: django-environ takes a value starting with "$" for the name of another
# variable, and one key in fifty that `get_random_secret_key` makes starts with "$" (it then
# read as empty, and Roper refused to start).
SECRET_KEY = os.environ.get("SECRET_KEY", "")
#: No SECRET_KEY and no DEBUG: commands that only read the code (makemigrations, check) run
#: with a throwaway key, but Roper is not served without one: roper.wsgi refuses
#: (`refuse_without_secret_key`).
SECRET_KEY_MISSING = not SECRET_KEY and not DEBUG
if not SECRET_KEY:
    SECRET_KEY = (
        get_random_secret_key()
        if SECRET_KEY_MISSING
        else "insecure-development-key-never-use-in-production"  # noqa: S105  # nosec B105 - DEBUG only
    )


def refuse_without_secret_key():
    if SECRET_KEY_MISSING:
        raise ImproperlyConfigured("SECRET_KEY is required unless DEBUG=true.")


ALLOWED_HOSTS = _read(
    "ALLOWED_HOSTS", env.list, default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", env.list, default=[])

INSTALLED_APPS = [
    "roper.admin_site.RoperAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Single sign-on (sso/): allauth's social login only; Roper keeps its own sign-in page,
    # two-factor and lockout.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "roper",
    "people",
    "sso",
    "policies",
    "devices",
    "incidents",
    "conduct",
    "reports",
    "transfers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Directly after SecurityMiddleware, as WhiteNoise asks: a static file is answered here,
    # before sessions and authentication, with WhiteNoise's own caching and compression.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages are compressed here, as no proxy in front of Roper is assumed to do it; before every
    # middleware that reads or writes the body. BREACH: Django (4.2+) pads each compressed
    # response with random bytes, and the CSRF token is masked afresh in every response.
    "django.middleware.gzip.GZipMiddleware",
    "roper.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "allauth.account.middleware.AccountMiddleware",  # allauth's, for its sign-in flow
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "roper.sessions.SessionTimeoutMiddleware",
    "roper.two_factor.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "roper.middleware.SchoolMiddleware",
    "roper.middleware.RefuseNulMiddleware",
    # A create form's second POST (Enter twice, Back then Record) finds the first's record.
    "roper.once.SubmitOnceMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "roper.urls"
WSGI_APPLICATION = "roper.wsgi.application"

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
                "roper.context_processors.roper",
            ],
            "builtins": ["roper.templatetags.once"],
        },
    },
]

# Database: SQLite by default, PostgreSQL (with psycopg 3's connection pool) in production.
DATABASES = {
    "default": _read("DATABASE_URL", env.db, default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] not in {
    "django.db.backends.postgresql",
    "django.db.backends.sqlite3",
}:
    raise ImproperlyConfigured(
        "Environment variable DATABASE_URL has a bad value: use postgres://… or sqlite:///…"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": _read("DATABASE_POOL_MIN", env.int, default=1),
        "max_size": _read("DATABASE_POOL_MAX", env.int, default=10),
        "timeout": 10,
    }
    # The planner's price of reading a page out of order: 1.1, as for an SSD and a school's
    # data held in memory, not PostgreSQL's default 4.0 (spinning disks). At 4.0 the triage
    # dashboard's learners were read by hashing every learner of the school (5.7 ms) rather
    # than by 177 index lookups (0.7 ms); no page measured in bench/ got slower.
    random_page_cost = _read("DATABASE_RANDOM_PAGE_COST", env.float, default=1.1)
    # Roper's prepared statements (roper/sql.py: the desk's search and check-in, at every
    # phone of the morning rush) are planned once per connection, with one plan for every
    # value, as they are written for; left to choose, PostgreSQL plans the search afresh
    # each time (~0.7 ms). Django's own queries are not prepared: this changes none of them.
    DATABASES["default"]["OPTIONS"]["options"] = (
        f"-c random_page_cost={random_page_cost} -c plan_cache_mode=force_generic_plan"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# roper imports no app (DESIGN.md): it reads schools and a user's roles in them from these
# models, as Django's auth reads AUTH_USER_MODEL. A membership has `user`, `roles` (a list of
# roper.roles.Role) and either `school` or `trust`; a school has `trust`.
ROPER_SCHOOL_MODEL = "people.School"
ROPER_MEMBERSHIP_MODEL = "people.Membership"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-in while an account is locked
    # Django's, reading with the user whether they have a second-factor device (one query
    # where django-otp makes two more on each request of a user with none).
    # The only one: a second backend would check a wrong password twice. (Sessions signed in
    # before it named Django's own backend: at this upgrade everyone signs in once more.)
    "roper.two_factor.ModelBackend",
]
LOGIN_URL = "login"
#: How long a password-reset link works (roper/passwords.py); it works once in any case.
PASSWORD_RESET_TIMEOUT = _read("PASSWORD_RESET_MINUTES", env.int, default=60) * 60
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = _read("TIME_ZONE", env.str, default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(_read("STATIC_ROOT", env.str, default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": _read(
            "STATICFILES_BACKEND",
            env.str,
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
# Uploaded evidence lives outside any public path and is served only through
# permission-checked views.
PRIVATE_STORAGE_ROOT = Path(
    _read("PRIVATE_STORAGE_ROOT", env.str, default=str(BASE_DIR / "private"))
)

# Email: console in development; e.g. smtp+tls://user:password@smtp.example.org:587
_email = _read("EMAIL_URL", env.email_url, default="consolemail://")
vars().update(_email)
DEFAULT_FROM_EMAIL = _read("DEFAULT_FROM_EMAIL", env.str, default="Roper <roper@localhost>")
#: Seconds before a silent mail server is given up on (the email is retried later), so that
#: a worker or a cron run never hangs on one.
EMAIL_TIMEOUT = _read("EMAIL_TIMEOUT", env.float, default=10)
SITE_URL = _read("SITE_URL", env.str, default="http://127.0.0.1:8000").rstrip("/")

#: The check of an imported policy's links (policies/links.py) never connects to a private,
#: loopback or link-local address (SSRF). Not read from the environment: only the tests turn
#: it on, to check links against a server they start on 127.0.0.1.
LINK_CHECK_ALLOW_LOOPBACK = False
#: Whether imported policies' links are checked at all (a school with no way out to the
#: internet from its server turns it off: every link would show as not answering).
POLICY_LINK_CHECKS = _read("POLICY_LINK_CHECKS", env.bool, default=True)

# Celery: no REDIS_URL means no broker, and tasks run eagerly in the calling process.
REDIS_URL = _read("REDIS_URL", env.str, default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"

# The cache: CACHE_URL when given, else Redis when REDIS_URL is set (one cache for every
# gunicorn worker and the Celery worker), else this process's memory. Keys name the database
# (roper/cache.py), so that two databases never share an entry.
if env.str("CACHE_URL", default=""):
    CACHES = {"default": _read("CACHE_URL", env.cache_url)}
elif REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CACHES["default"]["KEY_FUNCTION"] = "roper.cache.make_key"
CACHES["default"]["KEY_PREFIX"] = "roper"
#: Sessions are read from the cache when it is one all workers share (a session ended in one
#: worker, at sign-out or a rotation, is gone for all), and from the database otherwise.
SHARED_CACHE = CACHES["default"]["BACKEND"].rsplit(".", 1)[-1] not in {
    "LocMemCache",
    "DummyCache",
}
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if SHARED_CACHE
    else "django.contrib.sessions.backends.db"
)
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "max_retries": 1}
CELERY_TIMEZONE = TIME_ZONE
# No task may hang a worker: after the soft limit the task gets SoftTimeLimitExceeded (and
# what it has not finished is found again by the next reminder run); at the hard limit the
# worker process is replaced.
CELERY_TASK_SOFT_TIME_LIMIT = _read("CELERY_TASK_SOFT_TIME_LIMIT", env.int, default=240)
CELERY_TASK_TIME_LIMIT = _read("CELERY_TASK_TIME_LIMIT", env.int, default=300)
CELERY_BEAT_SCHEDULE = {
    # One task runs every registered reminder job (roper/reminders.py); each job finds what
    # is due from the database, so a missed or doubled run neither loses nor repeats one.
    "reminders": {"task": "roper.tasks.run_reminders", "schedule": 300.0},
}

# Wonde's API (people/mis/wonde.py): the UK domain; the tests point it at a local server.
WONDE_API_URL = _read("WONDE_API_URL", env.str, default="https://api.wonde.com/v1.0")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SESSION_COOKIE_HTTPONLY = True
SESSION_ABSOLUTE_MINUTES = _read("SESSION_ABSOLUTE_MINUTES", env.int, default=10 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_MINUTES * 60
IDLE_MINUTES = _read("IDLE_MINUTES", env.int, default=120)
SAFEGUARDING_IDLE_MINUTES = _read("SAFEGUARDING_IDLE_MINUTES", env.int, default=30)

# Two-factor sign-in (roper/two_factor.py) for the roles that read safeguarding records and
# for admins. Only the tests switch it off, except in the tests of two-factor itself.
TWO_FACTOR_ENFORCED = _read("TWO_FACTOR_ENFORCED", _strict_bool, default=True)
OTP_TOTP_ISSUER = _read("OTP_TOTP_ISSUER", env.str, default="Roper")

# Lockout after repeated failed sign-ins, by username AND address: wrong passwords from one
# address lock that account from that address only, so nobody elsewhere can lock the DSL out
# (by username alone anyone could, for 30 minutes at a time). A whole school shares one public
# address, so a pupil guessing in school still locks the account in school. The locked-out
# page says when it ends; the school's admin can unlock sooner in /admin/ (Access attempts).
AXES_FAILURE_LIMIT = _read("AXES_FAILURE_LIMIT", env.int, default=5)
AXES_COOLOFF_TIME = _read("AXES_COOLOFF_MINUTES", env.int, default=30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "roper.sessions.locked_out"  # registration/locked_out.html, with the end
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# The client's address (django-ipware). With no proxy, REMOTE_ADDR, which a client cannot
# forge. Behind PROXY_COUNT reverse proxies that each append to X-Forwarded-For, the address
# the proxies saw: ipware counts the proxies named in the header (the nearest is REMOTE_ADDR,
# not in it) and refuses a longer chain, so a forged header falls back to the proxy's address
# and an attacker can neither pick another person's address nor rotate through addresses.
_proxy_count = _read("PROXY_COUNT", env.int, default=0)
if _proxy_count < 0:
    raise ImproperlyConfigured("Environment variable PROXY_COUNT has a bad value: below 0")
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if _proxy_count else ("REMOTE_ADDR",)
)
AXES_IPWARE_PROXY_COUNT = _proxy_count - 1 if _proxy_count else None
# Single sign-on (sso/, README "Single sign-on"): off until a superuser adds an identity
# provider in the admin. django-allauth runs the OpenID Connect flow; sso.adapter decides.
SOCIALACCOUNT_ADAPTER = "sso.adapter.SocialAccountAdapter"
ACCOUNT_ADAPTER = "sso.adapter.AccountAdapter"  # nobody signs up
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"  # the provider vouches, or the admin decides
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # matching by email is sso.services' own rule
SOCIALACCOUNT_STORE_TOKENS = False  # Roper calls no API with them
SOCIALACCOUNT_LOGIN_ON_GET = False  # the button POSTs, with the CSRF token
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10

# HTTPS: on by default in production, behind a TLS-terminating proxy that sets
# X-Forwarded-Proto. HTTPS=false only for local development and tests.
HTTPS = _read("HTTPS", _strict_bool, default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container's own health check speaks plain HTTP
SESSION_COOKIE_SECURE = HTTPS
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"  # the provider's redirect URI
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", env.int, default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _read("LOG_LEVEL", env.str, default="INFO")},
}
