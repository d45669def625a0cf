"""Settings for desk, read from DESK_* environment variables.

Every class reads the environment when it is *instantiated* (not at import), so tests and the
launcher can set variables before building an app. `load_config()` picks the class from DESK_ENV.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from email.utils import formataddr, parseaddr
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("DESK_INSTANCE_DIR", BASE_DIR / "instance"))
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused in production on purpose
# The sender of desk's e-mails out of the box, and its name for English readers.
DEFAULT_MAIL_FROM = "Centre de services <desk@localhost>"
DEFAULT_MAIL_FROM_NAME_EN = "Service centre"  # as the English pages name the site (base.html)
# The longest duration a setting in days or hours may give ("always", in practice): dates a
# hundred years away or back stay far inside what Python and the databases can hold.
HUNDRED_YEARS_DAYS = 36_500
# Waiting days are business days, counted one day at a time for each waiting ticket.
WAITING_DAYS_MAX = 3_650
# An attribute's name (RFC 4512 descr) or OID, as a search may ask for it.
LDAP_ATTRIBUTE = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,63}|[0-9]+(\.[0-9]+)+")


class ConfigError(click.ClickException):
    """A setting is missing or malformed; the message names the variable.

    A ClickException so that `flask ...` commands print "Error: <message>" and exit 1
    instead of a traceback; wsgi.py and the worker turn it into a one-line exit too.
    """


class _Env:
    """Typed readers over a mapping of environment variables."""

    def __init__(self, environ: Mapping[str, str]):
        self.environ = environ

    def str(self, name: str, default: str = "") -> str:
        return self.environ.get(name, default).strip() or default

    def int(self, name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
        raw = self.environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{name} must be at most {maximum}, got {value}")
        return value

    def float(self, name: str, default: float, minimum: float = 0.0) -> float:
        raw = self.environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
        if not value >= minimum:  # also refuses nan
            raise ConfigError(f"{name} must be at least {minimum}, got {raw}")
        return value

    def bool(self, name: str, default: bool) -> bool:
        raw = self.environ.get(name, "").strip().lower()
        if not raw:
            return default
        if raw in {"1", "true", "yes", "on"}:
            return True
        if raw in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        """One of `choices` (compared in upper case)."""
        value = self.str(name, default).upper()
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value

    def networks(self, name: str, default: str = "") -> list:
        """Comma-separated IP addresses or networks (10.0.0.0/8, ::1)."""
        import ipaddress

        raw = self.str(name, default)
        try:
            return [
                ipaddress.ip_network(p.strip(), strict=False) for p in raw.split(",") if p.strip()
            ]
        except ValueError:
            raise ConfigError(
                f"{name} must be IP addresses or networks separated by commas, got {raw!r}"
            ) from None

    def rate(self, name: str, default: str) -> str:
        """A rate limit such as "10 per minute;100 per hour" (the `limits` syntax)."""
        from limits import parse_many

        value = self.str(name, default)
        try:
            parse_many(value)
        except ValueError:
            raise ConfigError(
                f'{name} must be rate limits like "10 per minute;100 per hour", got {value!r}'
            ) from None
        return value

    def list(self, name: str, default: list[str]) -> list[str]:
        raw = self.environ.get(name, "").strip()
        if not raw:
            return default
        return [item.strip().lower() for item in raw.split(",") if item.strip()]


def database_url(name: str, raw: str) -> str:
    """Validate a SQLAlchemy URL and select psycopg 3 for PostgreSQL."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(f"{name} is not a valid database URL: {raw!r}") from None
    if url.drivername in {"postgres", "postgresql"}:
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in {"postgresql", "sqlite"}:
        raise ConfigError(f"{name} must point to PostgreSQL or SQLite, got {url.drivername!r}")
    return url.render_as_string(hide_password=False)


def redis_url(name: str, raw: str) -> str:
    """Check that a Redis URL has a scheme redis-py understands."""
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"{name} must start with redis://, rediss:// or unix://, got {raw!r}")
    return raw


def english_mail_from(mail_from: str, mail_from_en: str | None) -> str:
    """The From of English readers' e-mails: DESK_MAIL_FROM_EN, which must keep DESK_MAIL_FROM's
    address (SPF/DMARC alignment, bounces and reply matching know that one); unset, the
    built-in French name becomes DEFAULT_MAIL_FROM_NAME_EN, and a name the site chose (often
    the university's own) is kept as it is."""
    name, address = parseaddr(mail_from)
    if mail_from_en:
        if parseaddr(mail_from_en)[1].lower() != address.lower():
            raise ConfigError(
                f"DESK_MAIL_FROM_EN must use DESK_MAIL_FROM's address <{address}>,"
                f" got {mail_from_en!r}"
            )
        return mail_from_en
    if name == parseaddr(DEFAULT_MAIL_FROM)[0]:
        return formataddr((DEFAULT_MAIL_FROM_NAME_EN, address))
    return mail_from


def celery_broker_url(redis: str) -> str:
    """Kombu spells a unix-socket Redis as redis+socket://."""
    if redis.startswith("unix://"):
        path, _, query = redis.removeprefix("unix://").partition("?")
        db = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("db", "0")
        return f"redis+socket://{path}?virtual_host={db}"
    return redis


def broker_timeouts(timeout: float) -> dict:
    """Celery settings that bound every broker call by `timeout` seconds (one retry at most)."""
    return {
        "broker_connection_timeout": timeout,
        "broker_transport_options": {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            # Publishing never waits for a dead broker to come back (kombu would retry the
            # connection every 2 s); the worker and beat reconnect with their own policy.
            "max_retries": 0,
        },
        # A publish retries once at once (a connection the broker dropped), never longer.
        "task_publish_retry_policy": {
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0,
            "interval_max": 0,
        },
    }


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    def __init__(self, environ: Mapping[str, str] | None = None):
        env = _Env(os.environ if environ is None else environ)
        self.INSTANCE_DIR = env.str("DESK_INSTANCE_DIR", str(INSTANCE_DIR))
        # Level of the JSON log lines written to stdout by web, worker and beat.
        self.LOG_LEVEL = env.choice(
            "DESK_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        )
        # Signs sessions and CSRF tokens; production refuses the default.
        self.SECRET_KEY = env.str("DESK_SECRET_KEY", DEV_SECRET_KEY)
        # SQLite file under instance/ unless a PostgreSQL URL is given.
        self.SQLALCHEMY_DATABASE_URI = database_url(
            "DESK_DATABASE_URL",
            env.str("DESK_DATABASE_URL", f"sqlite:///{self.INSTANCE_DIR}/desk.sqlite3"),
        )
        # No pre-ping round trip per request: desk.core.pool replaces closed connections.
        # Last in, first out: a request gets the connection used last, whose prepared
        # statements are warm (desk.core.readonly), instead of going round the pool.
        self.SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_use_lifo": True}
        # Seconds a web request waits for PostgreSQL to answer one statement, COMMIT or
        # ROLLBACK before it gives up (desk.core.dbwait): a server that stops answering while
        # keeping the connection open costs the outage page, not a worker hung until
        # gunicorn's timeout. Celery tasks get WORKER_DATABASE_TIMEOUT; 0 waits for ever.
        self.DATABASE_TIMEOUT = env.float("DESK_DATABASE_TIMEOUT", 10.0)
        self.WORKER_DATABASE_TIMEOUT = env.float("DESK_WORKER_DATABASE_TIMEOUT", 300.0)
        # An SQL error's log line (and its trace) carries the statement's parameters: what people
        # typed, their names and addresses. Production leaves them out unless an operator asks
        # while debugging; development and the tests keep them.
        if not env.bool("DESK_LOG_SQL_PARAMETERS", self.ENV_NAME != "production"):
            self.SQLALCHEMY_ENGINE_OPTIONS["hide_parameters"] = True
        # Redis for Celery and rate state; the embedded default is a unix socket under instance/.
        self.REDIS_URL = redis_url(
            "DESK_REDIS_URL", env.str("DESK_REDIS_URL", f"unix://{self.INSTANCE_DIR}/redis.sock")
        )
        # Connect and read timeout of every Redis call (the app's client, Celery's publish and
        # its worker): a hung Redis then costs a request this long, once, instead of hanging it.
        self.REDIS_TIMEOUT = env.float("DESK_REDIS_TIMEOUT", 1.0, minimum=0.05)
        self.CELERY = {
            "broker_url": celery_broker_url(self.REDIS_URL),
            "task_ignore_result": True,
            "task_acks_late": True,  # a task killed mid-run is redelivered, never dropped
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "broker_connection_max_retries": None,  # a worker outlives any broker outage
            # A delivery running when the broker drops finishes (its outcome is in the
            # database); killing it mid-SMTP could only add an uncertain send.
            "worker_cancel_long_running_tasks_on_connection_loss": False,
            "timezone": "UTC",
            **broker_timeouts(self.REDIS_TIMEOUT),
        }
        # The worker's CPU priority below the web tier's (its niceness, 0-19): on a host
        # running both, a burst of submissions is answered first and its e-mails go out a
        # few seconds later, instead of every page waiting behind the deliveries. On a host
        # of its own, the worker has nothing to yield to and runs at full speed anyway.
        self.WORKER_NICE = env.int("DESK_WORKER_NICE", 10, minimum=0)
        if self.WORKER_NICE > 19:
            raise ConfigError(f"DESK_WORKER_NICE must be at most 19, got {self.WORKER_NICE}")
        # /healthz calls the workers "stale" when none has run the heartbeat for this long.
        self.WORKER_STALE_SECONDS = env.int("DESK_WORKER_STALE_SECONDS", 180, minimum=10)
        # Where timestamps are shown; the database always stores UTC.
        self.DISPLAY_TIMEZONE = env.str("DESK_DISPLAY_TIMEZONE", "Europe/Paris")
        self.BABEL_DEFAULT_LOCALE = env.str("DESK_DEFAULT_LOCALE", "fr")
        self.BABEL_DEFAULT_TIMEZONE = self.DISPLAY_TIMEZONE
        self.LANGUAGES = ["fr", "en"]
        # Public URL, used in e-mails to link back to tickets.
        self.BASE_URL = env.str("DESK_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        # Outgoing mail (an SMTP relay in production; a local sink under `make run`).
        self.MAIL_HOST = env.str("DESK_MAIL_HOST", "127.0.0.1")
        self.MAIL_PORT = env.int("DESK_MAIL_PORT", 8025, minimum=1)
        self.MAIL_USE_STARTTLS = env.bool("DESK_MAIL_USE_STARTTLS", False)
        self.MAIL_USE_SSL = env.bool("DESK_MAIL_USE_SSL", False)
        self.MAIL_USERNAME = env.str("DESK_MAIL_USERNAME")
        self.MAIL_PASSWORD = env.str("DESK_MAIL_PASSWORD")
        self.MAIL_FROM = env.str("DESK_MAIL_FROM", DEFAULT_MAIL_FROM)
        # The sender English readers see (desk.notifications.mailer); see english_mail_from.
        self.MAIL_FROM_EN = english_mail_from(self.MAIL_FROM, env.str("DESK_MAIL_FROM_EN"))
        self.MAIL_TIMEOUT = env.int("DESK_MAIL_TIMEOUT", 10, minimum=1)
        # Incoming mail. Replies go to a per-ticket plus address of this one (signed with the
        # secret key); empty: e-mails carry no Reply-To and ask to answer on the web.
        self.REPLY_ADDRESS = env.str("DESK_REPLY_ADDRESS")
        # Mailboxes read for replies: a Maildir folder (development, `make run`) and/or IMAP
        # (imaps://user:password@host:993/INBOX, or imap://...?starttls=1). Empty: not read.
        self.INBOUND_MAILDIR = env.str("DESK_INBOUND_MAILDIR")
        self.INBOUND_IMAP_URL = env.str("DESK_INBOUND_IMAP_URL")
        # A CA file to trust for the IMAP server's certificate (else the system's).
        self.INBOUND_IMAP_CAFILE = env.str("DESK_INBOUND_IMAP_CAFILE")
        self.INBOUND_POLL_SECONDS = env.int("DESK_INBOUND_POLL_SECONDS", 60, minimum=5)
        # A larger message is not read (it goes to the failed folder with the reason).
        self.INBOUND_MAX_MB = env.int("DESK_INBOUND_MAX_MB", 25, minimum=1)
        # More messages than this from one sender in a minute are held (admins are told);
        # 0 turns throttling off.
        self.INBOUND_MAX_PER_MINUTE = env.int("DESK_INBOUND_MAX_PER_MINUTE", 20, minimum=0)
        # New requests by e-mail from one sender acknowledged in an hour; the next ones are
        # filed without one, so a robot answering each acknowledgement ends its loop. 0: no cap.
        self.INBOUND_MAX_ACKS_PER_HOUR = env.int("DESK_INBOUND_MAX_ACKS_PER_HOUR", 10, minimum=0)
        # The authserv-id (RFC 8601) of the university's own receiving mail server: its
        # Authentication-Results line saying dmarc=fail holds the message (a forged From).
        # Empty: not read, since a header anyone can write is only trusted with its id.
        self.INBOUND_AUTHSERV_ID = env.str("DESK_INBOUND_AUTHSERV_ID")
        # Login throttling: this many failures for one login from one address make that pair
        # wait that many minutes (other addresses, and so the account's owner, are unaffected).
        self.LOGIN_MAX_FAILURES = env.int("DESK_LOGIN_MAX_FAILURES", 5, minimum=1)
        self.LOGIN_LOCK_MINUTES = env.int("DESK_LOGIN_LOCK_MINUTES", 15, minimum=1)
        # Requests before a 429 page, per signed-in account (per client address before signing
        # in: login attempts, public searches; desk/core/limits.py): login attempts, searches
        # (every search box shares one budget) and ticket submissions. Campus NAT puts many
        # people behind one address, hence generous values for what is counted by address.
        self.RATELIMIT_LOGIN = env.rate("DESK_RATELIMIT_LOGIN", "20 per minute;200 per hour")
        self.RATELIMIT_SEARCH = env.rate("DESK_RATELIMIT_SEARCH", "60 per minute")
        # Help-article suggestions fetched as people type (a request per pause, public):
        # a budget of their own, so that typing a description does not use up the searches.
        self.RATELIMIT_SUGGEST = env.rate("DESK_RATELIMIT_SUGGEST", "180 per minute")
        # Tickets created from the catalogue; any POST of its forms (a form sent back with
        # mistakes, the no-JavaScript help-article check) counts against the attempts only.
        self.RATELIMIT_SUBMIT = env.rate("DESK_RATELIMIT_SUBMIT", "10 per minute;100 per hour")
        self.RATELIMIT_SUBMIT_ATTEMPTS = env.rate(
            "DESK_RATELIMIT_SUBMIT_ATTEMPTS", "30 per minute;300 per hour"
        )
        self.RATELIMIT_EXPORT = env.rate("DESK_RATELIMIT_EXPORT", "10 per minute")
        # /metrics answers these client addresses (the monitoring server), or a request with
        # "Authorization: Bearer <token>"; anyone else gets a 404. Neither set: nobody.
        self.METRICS_ALLOWED_NETWORKS = env.networks("DESK_METRICS_ALLOWED_IPS")
        self.METRICS_TOKEN = env.str("DESK_METRICS_TOKEN")
        # Addresses accepted as institutional (Zoom licence form, ...).
        self.INSTITUTIONAL_DOMAINS = env.list(
            "DESK_INSTITUTIONAL_DOMAINS", ["umontpellier.fr", "etu.umontpellier.fr"]
        )
        # Uploads live outside the web root and are served through an access check.
        self.UPLOAD_DIR = env.str("DESK_UPLOAD_DIR", f"{self.INSTANCE_DIR}/uploads")
        self.MAX_UPLOAD_MB = env.int("DESK_MAX_UPLOAD_MB", 10, minimum=1)
        self.MAX_CONTENT_LENGTH = (self.MAX_UPLOAD_MB + 1) * 1024 * 1024
        # A form's text, past which desk answers its 413 page: each text field of a form with
        # files (werkzeug's limit; the longest field desk takes is 20,000 characters), at most
        # this many parts in it, and the whole body of a form without files or of any other
        # request (desk.core.input.DeskRequest; the largest form, the accessibility
        # statement's 24 fields of up to 20,000 characters, is about 600 kB when full).
        self.MAX_FORM_MEMORY_SIZE = 500_000
        self.MAX_FORM_PARTS = 1_000
        self.MAX_FORM_BODY_SIZE = 1_000_000
        # A requester may reopen a resolved ticket for this many days. At most a hundred years
        # ("always", in practice): a larger window ends past year 9999, and every page and
        # e-mail reply of a resolved ticket failed computing it.
        self.REOPEN_WINDOW_DAYS = env.int(
            "DESK_REOPEN_WINDOW_DAYS", 10, minimum=0, maximum=HUNDRED_YEARS_DAYS
        )
        # Reverse proxies in front of desk whose X-Forwarded-For/-Proto/-Host/-Port are trusted
        # (0: none, the peer address is the client). Rate limits and logs use the result.
        self.TRUSTED_PROXIES = env.int("DESK_TRUSTED_PROXIES", 0, minimum=0)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        # Secure cookies (and HSTS) wherever desk is served over https: a site whose public
        # address is https:// gets them without a setting to forget.
        self.SESSION_COOKIE_SECURE = env.bool(
            "DESK_SECURE_COOKIES", self.BASE_URL.startswith("https://")
        )
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        # A session ends after this many hours without a request (the signed cookie's age is
        # checked by the server, not only by the browser).
        # Both at most a hundred years: a cookie's expiry past year 9999 failed every sign-in
        # (99999999 typed for "never").
        self.SESSION_HOURS = env.int(
            "DESK_SESSION_HOURS", 8, minimum=1, maximum=HUNDRED_YEARS_DAYS * 24
        )
        self.PERMANENT_SESSION_LIFETIME = dt.timedelta(hours=self.SESSION_HOURS)
        self.REMEMBER_COOKIE_DURATION_DAYS = env.int(
            "DESK_REMEMBER_DAYS", 14, minimum=1, maximum=HUNDRED_YEARS_DAYS
        )
        self.WTF_CSRF_TIME_LIMIT = env.int("DESK_CSRF_TIME_LIMIT", 8 * 3600, minimum=60)
        # Notifications: an e-mail is tried this many times (exponential backoff from the base
        # delay) before it is marked failed for an admin to retry.
        self.NOTIFY_MAX_ATTEMPTS = env.int("DESK_NOTIFY_MAX_ATTEMPTS", 6, minimum=1)
        self.NOTIFY_RETRY_BASE_SECONDS = env.int("DESK_NOTIFY_RETRY_BASE_SECONDS", 60, minimum=1)
        # A row claimed longer ago than this lost its worker (crash) and is delivered again.
        self.NOTIFY_SENDING_TIMEOUT_SECONDS = env.int(
            "DESK_NOTIFY_SENDING_TIMEOUT_SECONDS", 300, minimum=1
        )
        # Beat re-enqueues outbox rows still pending this long after they were due.
        self.OUTBOX_REQUEUE_SECONDS = env.int("DESK_OUTBOX_REQUEUE_SECONDS", 60, minimum=1)
        # How long one drain task sends before handing over to a new one (other tasks and
        # worker processes get their turn in between).
        self.OUTBOX_DRAIN_SECONDS = env.float("DESK_OUTBOX_DRAIN_SECONDS", 5.0, minimum=0)
        # Personal data (RGPD/GDPR): what people wrote in a finished ticket (its subject's
        # details, form, messages, notes, files, e-mails) is erased this many days after its
        # last change, and an account deactivated this many days ago is anonymised
        # (desk.privacy; the daily sweep). 0 keeps them: set it from the university's record
        # of processing activities.
        # At most a hundred years: an older cutoff falls before year 1, and the nightly sweep
        # and /metrics failed computing it.
        self.TICKET_RETENTION_DAYS = env.int(
            "DESK_TICKET_RETENTION_DAYS", 1095, minimum=0, maximum=HUNDRED_YEARS_DAYS
        )
        self.ACCOUNT_RETENTION_DAYS = env.int(
            "DESK_ACCOUNT_RETENTION_DAYS", 365, minimum=0, maximum=HUNDRED_YEARS_DAYS
        )
        # Who people write to about their personal data (the university's data protection
        # officer), shown on the privacy page.
        self.PRIVACY_CONTACT = env.str("DESK_PRIVACY_CONTACT", "dpo@umontpellier.fr")
        # Who is responsible for the processing (the data controller), named on that page.
        self.PRIVACY_CONTROLLER = env.str("DESK_PRIVACY_CONTROLLER", "Université de Montpellier")
        # Business days waiting on the requester before a reminder, and before auto-close. At
        # most 3650 (some fourteen years): each waiting ticket's date is counted a day at a
        # time, and 99999999 ("never") took seconds per ticket before failing past year 9999.
        self.WAITING_REMINDER_DAYS = env.int(
            "DESK_WAITING_REMINDER_DAYS", 3, minimum=1, maximum=WAITING_DAYS_MAX
        )
        self.WAITING_AUTOCLOSE_DAYS = env.int(
            "DESK_WAITING_AUTOCLOSE_DAYS", 7, minimum=1, maximum=WAITING_DAYS_MAX
        )
        # Staff who chose the digest get at most one e-mail of new tickets per this period,
        # within business hours.
        self.NOTIFY_DIGEST_MINUTES = env.int("DESK_NOTIFY_DIGEST_MINUTES", 120, minimum=1)
        # How people log in: "local" (passwords in desk) or "cas" (the university's CAS 3.0
        # single sign-on; local passwords then only work for break-glass accounts).
        self.AUTH = env.str("DESK_AUTH", "local").lower()
        if self.AUTH not in {"local", "cas"}:
            raise ConfigError(f"DESK_AUTH must be local or cas, got {self.AUTH!r}")
        # The CAS prefix, e.g. https://cas.umontpellier.fr/cas/ (login, p3/serviceValidate...).
        self.CAS_URL = env.str("DESK_CAS_URL")
        if self.AUTH == "cas" and not self.CAS_URL.startswith(("https://", "http://")):
            raise ConfigError("DESK_AUTH=cas needs DESK_CAS_URL, an http(s) URL of the CAS")
        # Seconds desk waits for the CAS to validate a ticket before showing an error page.
        self.CAS_TIMEOUT = env.int("DESK_CAS_TIMEOUT", 10, minimum=1)
        # The directory (LDAP, SupAnn): empty URL = no directory (accounts from CAS attributes
        # or local, phones from the HR CSV import).
        self.LDAP_URL = env.str("DESK_LDAP_URL")
        if self.LDAP_URL and not self.LDAP_URL.startswith(("ldap://", "ldaps://")):
            raise ConfigError(
                f"DESK_LDAP_URL must start with ldap:// or ldaps://, got {self.LDAP_URL!r}"
            )
        self.LDAP_BIND_DN = env.str("DESK_LDAP_BIND_DN")
        self.LDAP_BIND_PASSWORD = env.str("DESK_LDAP_BIND_PASSWORD")
        self.LDAP_PEOPLE_DN = env.str("DESK_LDAP_PEOPLE_DN", "ou=people,dc=umontpellier,dc=fr")
        self.LDAP_GROUPS_DN = env.str("DESK_LDAP_GROUPS_DN", "ou=groups,dc=umontpellier,dc=fr")
        self.LDAP_PEOPLE_FILTER = env.str("DESK_LDAP_PEOPLE_FILTER", "(objectClass=inetOrgPerson)")
        self.LDAP_TIMEOUT = env.int("DESK_LDAP_TIMEOUT", 5, minimum=1)
        # The attribute that names a directory entry for good, kept on each account's link so
        # that a renamed entry (a new uid, and with it a new DN) stays the same account:
        # OpenLDAP's entryUUID (operational: desk asks for it by name), 389-DS's nsUniqueId,
        # AD's objectGUID (binary: kept as its GUID text). Set but empty: entries are followed
        # by login and DN only. Only ever read from the directory, never from the CAS.
        self.LDAP_ENTRY_ID_ATTRIBUTE = env.environ.get(
            "DESK_LDAP_ENTRY_ID_ATTRIBUTE", "entryUUID"
        ).strip()
        if self.LDAP_ENTRY_ID_ATTRIBUTE and not LDAP_ATTRIBUTE.fullmatch(
            self.LDAP_ENTRY_ID_ATTRIBUTE
        ):
            raise ConfigError(
                "DESK_LDAP_ENTRY_ID_ATTRIBUTE must be an LDAP attribute name such as entryUUID "
                f"(or empty), got {self.LDAP_ENTRY_ID_ATTRIBUTE!r}"
            )
        # The nightly sync stops (and alerts) instead of deactivating more than this share of
        # the directory-linked accounts: a broken directory must not lock the university out.
        self.DIRECTORY_MAX_DEACTIVATE_PERCENT = env.int(
            "DESK_DIRECTORY_MAX_DEACTIVATE_PERCENT", 5, minimum=0
        )


class DevelopmentConfig(Config):
    """`make run`: embedded SQLite and Redis, debug pages off (errors still get our pages)."""

    ENV_NAME = "development"


class TestingConfig(Config):
    """pytest: DESK_TEST_* URLs win, CSRF stays on (tests send tokens like a browser)."""

    ENV_NAME = "testing"
    TESTING = True

    def __init__(self, environ: Mapping[str, str] | None = None):
        environ = dict(os.environ if environ is None else environ)
        for name in ("DATABASE_URL", "REDIS_URL"):
            if environ.get(f"DESK_TEST_{name}"):
                environ[f"DESK_{name}"] = environ[f"DESK_TEST_{name}"]
        super().__init__(environ)


class ProductionConfig(Config):
    """gunicorn behind a proxy, PostgreSQL and Redis; refuses to start on a default secret."""

    ENV_NAME = "production"

    def __init__(self, environ: Mapping[str, str] | None = None):
        super().__init__(environ)
        if self.SECRET_KEY == DEV_SECRET_KEY or len(self.SECRET_KEY) < 32:
            raise ConfigError(
                "DESK_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Instantiate the config class named by DESK_ENV (development by default)."""
    environ = os.environ if environ is None else environ
    name = environ.get("DESK_ENV", "development").strip() or "development"
    if name not in CONFIGS:
        raise ConfigError(f"DESK_ENV must be one of {', '.join(CONFIGS)}, got {name!r}")
    return CONFIGS[name](environ)
