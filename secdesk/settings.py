import contextlib
import os
import secrets

from csp.constants import NONE, SELF

from secdesk.lib import env, private

DATA_DIR = env.data_dir()
private.make_dir(DATA_DIR)


def _kept_secret(variable: str, name: str) -> str:
    """$variable, or a secret generated once and kept in the data directory."""
    if key := env.text(variable):
        return key
    path = DATA_DIR / name
    if not path.exists():
        made = DATA_DIR / f".{name}.{os.getpid()}"
        fd = os.open(made, os.O_WRONLY | os.O_CREAT | os.O_EXCL, private.FILE)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
        # Whole or not at all: of processes starting together (test workers),
        # the first one's secret is everyone's.
        with contextlib.suppress(FileExistsError):
            os.link(made, path)
        made.unlink()
    return path.read_text().strip()


SECRET_KEY = _kept_secret("SECDESK_SECRET_KEY", "secret_key")
# The key of the audit trail's hashes, kept outside the database: whoever can
# write the database but has not this key cannot rewrite the trail unnoticed.
AUDIT_KEY = _kept_secret("SECDESK_AUDIT_KEY", "audit_key").encode()
DEBUG = env.flag("SECDESK_DEBUG")
# The one site address (see env.site_url): where a process listens changes no
# link it writes.
SITE_URL = env.site_url("SECDESK_SITE_URL", env.text("SECDESK_SITE_URL"))
ALLOWED_HOSTS = [h for h in env.text("SECDESK_ALLOWED_HOSTS").split(",") if h] or [
    "127.0.0.1",
    "localhost",
    "[::1]",
    "testserver",
]
# The site address is always one of them: the proxy passes its name on.
ALLOWED_HOSTS.append(env.host(SITE_URL))
# Behind a TLS proxy the browser's Origin is the site address, while the request
# that reaches secdesk is plain http: Django's CSRF check needs to be told.
CSRF_TRUSTED_ORIGINS = [env.origin(SITE_URL)]
# The reverse proxies in front of secdesk: only from them is X-Forwarded-For
# believed (see secdesk/web/throttle.py).
TRUSTED_PROXIES = env.networks("SECDESK_TRUSTED_PROXIES", env.text("SECDESK_TRUSTED_PROXIES"))
if TRUSTED_PROXIES:
    # The proxy tells whether the browser came over TLS (it sets the header,
    # whatever the browser sent). Someone who reaches secdesk past the proxy can
    # only make their own request look secure, which asks more of it, not less.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A trial on this machine (`secdesk serve --demo` sets it before Django starts),
# where a plain http address, mail written to files and advisories naming the
# local address are what is expected.
DEMO = env.flag("SECDESK_DEMO")
if (_listen := env.text("SECDESK_LISTEN")) and not env.text("SECDESK_SITE_URL"):
    # `secdesk serve` without a site address sets it to its --web address before
    # Django starts: pages are opened where it listens, so that host is let in
    # and its forms taken. Links written into advisories and mail still name
    # SITE_URL alone.
    _host, _port = env.host_port("SECDESK_LISTEN", _listen)
    _listen_url = f"http://{f'[{_host}]' if ':' in _host else _host}:{_port}"
    ALLOWED_HOSTS.append(env.host(_listen_url))
    CSRF_TRUSTED_ORIGINS.append(env.origin(_listen_url))
# The first administrator `secdesk serve` creates on its first start.
FIRST_ADMIN_EMAIL = env.text("SECDESK_ADMIN_EMAIL", "admin@localhost")

# Outgoing mail: through this relay (host, port), or written to files in the
# data directory when None (see secdesk/mail/delivery.py).
_relay = env.text("SECDESK_SMTP_RELAY")
SMTP_RELAY = env.host_port("SECDESK_SMTP_RELAY", _relay) if _relay else None
SMTP_STARTTLS = env.flag("SECDESK_SMTP_STARTTLS")
SMTP_USER = env.text("SECDESK_SMTP_USER")
SMTP_PASSWORD = env.text("SECDESK_SMTP_PASSWORD")
# Connections a worker sends over at once: each member's mail is their own.
SMTP_CONNECTIONS = env.count("SECDESK_SMTP_CONNECTIONS", 4)
# The largest message the mail intake takes, in bytes.
MAIL_MAX_BYTES = env.count("SECDESK_MAIL_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "secdesk.audit",
    "secdesk.outbox",
    "secdesk.teams",
    "secdesk.cases",
    "secdesk.fixes",
    "secdesk.advisories",
    "secdesk.mail",
    "secdesk.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above whitenoise: static files carry the policy too.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "secdesk.web.middleware.SessionEpochMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Scripts and styles only from our own static files: an injected <script> or
# style attribute in rendered case text cannot run, and no page can be framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

ROOT_URLCONF = "secdesk.urls"
WSGI_APPLICATION = "secdesk.wsgi.application"

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
            ],
        },
    },
    # Mail texts (secdesk/lib/mail_text.py): plain text, so nothing is escaped.
    {
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

DATABASES = {"default": env.database(env.text("DATABASE_URL"), DATA_DIR)}
if (_database := env.sqlite_file(DATABASES["default"])) and _database.parent.is_dir():
    # Made here, private, before SQLite makes it with its own mode (0644 less
    # the umask); its -wal and -shm files take the mode of the database file.
    private.create_file(_database)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
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
# A password reset link works for an hour (and once: see secdesk/accounts/reset.py).
PASSWORD_RESET_TIMEOUT = 3600
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = 12 * 3600
OTP_TOTP_ISSUER = "secdesk"
# Login throttling: this many failures for one account or address within the
# window, and further attempts are refused until it passes.
LOGIN_FAILURES_ALLOWED = 5
LOGIN_FAILURE_WINDOW_MINUTES = 15
# Recipients the mail intake takes for one message; the next RCPT is told 452.
MAIL_MAX_RECIPIENTS = env.count("SECDESK_MAIL_MAX_RECIPIENTS", 50)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SITE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
# whitenoise serves the apps' static files where they are (no collectstatic),
# from the middleware, so that they carry the headers every page does.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOG_LEVEL = env.choice(
    "SECDESK_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "INFO"
)
# Embargoed text must never reach a log above debug level: the loggers below
# print only what secdesk itself writes, and secdesk never logs message bodies.
# Every line goes out through the one handler, which keeps capabilities (the
# token of /r/<token>/ and the like) out of it; a library that would set up
# logging of its own (csaf does, on import) finds it set up already.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"capabilities": {"()": "secdesk.web.log_redaction.RedactCapabilities"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["capabilities"],
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "secdesk": {"level": LOG_LEVEL},
        # Not Django's own handlers (a console while debugging, mail to ADMINS):
        # its lines, too, go through the one above.
        "django": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # Each SMTP connection and each worker tick would otherwise log a line.
        "mail.log": {"level": "WARNING"},
    },
}
