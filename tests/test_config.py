"""Settings come from DESK_* variables; bad values stop startup with the variable's name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import (
    ConfigError,
    DevelopmentConfig,
    ProductionConfig,
    celery_broker_url,
    load_config,
)
from config import (
    TestingConfig as _TestingConfig,
)

GOOD_SECRET = "x" * 40
ROOT = Path(__file__).resolve().parent.parent


def test_production_refuses_missing_secret():
    with pytest.raises(ConfigError, match="DESK_SECRET_KEY"):
        ProductionConfig({})


def test_production_refuses_short_secret():
    with pytest.raises(ConfigError, match="DESK_SECRET_KEY"):
        ProductionConfig({"DESK_SECRET_KEY": "short"})


def test_production_accepts_a_real_secret():
    cfg = ProductionConfig(
        {"DESK_SECRET_KEY": GOOD_SECRET, "DESK_DATABASE_URL": "postgresql://u@db/desk"}
    )
    assert cfg.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db/desk"


def test_malformed_database_url_names_the_variable():
    with pytest.raises(ConfigError, match="DESK_DATABASE_URL is not a valid database URL"):
        DevelopmentConfig({"DESK_DATABASE_URL": "not a url::"})


def test_unsupported_database_names_the_variable():
    with pytest.raises(ConfigError, match="DESK_DATABASE_URL must point to PostgreSQL or SQLite"):
        DevelopmentConfig({"DESK_DATABASE_URL": "mysql://u@h/db"})


def test_bad_redis_url_names_the_variable():
    with pytest.raises(ConfigError, match="DESK_REDIS_URL"):
        DevelopmentConfig({"DESK_REDIS_URL": "localhost:6379"})


def test_bad_number_names_the_variable():
    with pytest.raises(ConfigError, match="DESK_MAIL_PORT must be a whole number"):
        DevelopmentConfig({"DESK_MAIL_PORT": "twenty-five"})


def test_redis_timeout_bounds_every_redis_client():
    config = DevelopmentConfig({"DESK_REDIS_TIMEOUT": "0.25"})
    assert config.REDIS_TIMEOUT == 0.25
    options = config.CELERY["broker_transport_options"]
    assert options["socket_timeout"] == options["socket_connect_timeout"] == 0.25
    assert config.CELERY["broker_connection_timeout"] == 0.25
    for raw in ("soon", "0", "nan"):
        with pytest.raises(ConfigError, match="DESK_REDIS_TIMEOUT"):
            DevelopmentConfig({"DESK_REDIS_TIMEOUT": raw})


def test_database_timeouts_bound_requests_and_tasks():
    config = DevelopmentConfig({})
    assert (config.DATABASE_TIMEOUT, config.WORKER_DATABASE_TIMEOUT) == (10.0, 300.0)
    config = DevelopmentConfig(
        {"DESK_DATABASE_TIMEOUT": "2.5", "DESK_WORKER_DATABASE_TIMEOUT": "0"}
    )
    assert (config.DATABASE_TIMEOUT, config.WORKER_DATABASE_TIMEOUT) == (2.5, 0.0)
    for raw in ("soon", "-1", "nan"):
        with pytest.raises(ConfigError, match="DESK_DATABASE_TIMEOUT"):
            DevelopmentConfig({"DESK_DATABASE_TIMEOUT": raw})


def test_bad_boolean_names_the_variable():
    with pytest.raises(ConfigError, match="DESK_MAIL_USE_SSL must be true or false"):
        DevelopmentConfig({"DESK_MAIL_USE_SSL": "maybe"})


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="DESK_ENV"):
        load_config({"DESK_ENV": "staging"})


def test_defaults_are_embedded():
    cfg = DevelopmentConfig({"DESK_INSTANCE_DIR": "/srv/desk"})
    assert cfg.SQLALCHEMY_DATABASE_URI == "sqlite:////srv/desk/desk.sqlite3"
    assert cfg.REDIS_URL == "unix:///srv/desk/redis.sock"
    assert cfg.CELERY["broker_url"] == "redis+socket:///srv/desk/redis.sock?virtual_host=0"
    assert cfg.DISPLAY_TIMEZONE == "Europe/Paris"
    assert cfg.BABEL_DEFAULT_LOCALE == "fr"


def test_testing_config_prefers_test_urls():
    cfg = _TestingConfig(
        {
            "DESK_DATABASE_URL": "sqlite:////a.db",
            "DESK_TEST_DATABASE_URL": "postgresql://u@h/t",
            "DESK_TEST_REDIS_URL": "redis://h:6379/11",
        }
    )
    assert cfg.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/t"
    assert cfg.REDIS_URL == "redis://h:6379/11"


def test_unix_socket_db_number_reaches_celery():
    assert (
        celery_broker_url("unix:///tmp/r.sock?db=3") == "redis+socket:///tmp/r.sock?virtual_host=3"
    )
    assert celery_broker_url("redis://h:6379/2") == "redis://h:6379/2"


def test_create_app_fails_fast_on_bad_url(monkeypatch):
    from desk import create_app

    monkeypatch.setenv("DESK_ENV", "development")
    monkeypatch.setenv("DESK_DATABASE_URL", "::bad::")
    with pytest.raises(ConfigError, match="DESK_DATABASE_URL"):
        create_app()


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-c", "import wsgi"],
        [sys.executable, "-m", "flask", "--app", "desk:create_app", "db", "current"],
    ],
    ids=["gunicorn-entry-point", "flask-cli"],
)
def test_bad_setting_stops_startup_with_one_line_naming_the_variable(command):
    env = {**os.environ, "DESK_ENV": "development", "DESK_DATABASE_URL": "::bad::"}
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert "DESK_DATABASE_URL is not a valid database URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_entry_point_refuses_the_default_secret():
    env = {k: v for k, v in os.environ.items() if k != "DESK_SECRET_KEY"}
    env["DESK_ENV"] = "production"
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "DESK_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DESK_RATELIMIT_LOGIN", "lots", "DESK_RATELIMIT_LOGIN must be rate limits"),
        ("DESK_LOG_LEVEL", "chatty", "DESK_LOG_LEVEL must be one of"),
        ("DESK_METRICS_ALLOWED_IPS", "10.0.0.1,nowhere", "DESK_METRICS_ALLOWED_IPS must be IP"),
        ("DESK_SESSION_HOURS", "0", "DESK_SESSION_HOURS must be at least 1"),
        ("DESK_TRUSTED_PROXIES", "-1", "DESK_TRUSTED_PROXIES must be at least 0"),
        ("DESK_WORKER_NICE", "-5", "DESK_WORKER_NICE must be at least 0"),
        ("DESK_WORKER_NICE", "20", "DESK_WORKER_NICE must be at most 19"),
        ("DESK_WORKER_NICE", "low", "DESK_WORKER_NICE must be a whole number"),
        # "Always" typed as a huge number: the window would end past year 9999.
        ("DESK_REOPEN_WINDOW_DAYS", "99999999", "DESK_REOPEN_WINDOW_DAYS must be at most 36500"),
        # The same "never" elsewhere: a sign-in's cookie expiry past year 9999 (every login
        # failed), a retention cutoff before year 1 (the nightly sweep and /metrics failed),
        # a waiting ticket's date counted a day at a time past year 9999 (the reminder and
        # auto-close sweeps failed after seconds per ticket).
        ("DESK_SESSION_HOURS", "99999999", "DESK_SESSION_HOURS must be at most 876000"),
        ("DESK_REMEMBER_DAYS", "99999999", "DESK_REMEMBER_DAYS must be at most 36500"),
        ("DESK_TICKET_RETENTION_DAYS", "99999999", "DESK_TICKET_RETENTION_DAYS must be at most"),
        ("DESK_ACCOUNT_RETENTION_DAYS", "99999999", "DESK_ACCOUNT_RETENTION_DAYS must be at"),
        ("DESK_WAITING_REMINDER_DAYS", "99999999", "DESK_WAITING_REMINDER_DAYS must be at most"),
        ("DESK_WAITING_AUTOCLOSE_DAYS", "99999999", "DESK_WAITING_AUTOCLOSE_DAYS must be at"),
    ],
)
def test_hardening_settings_are_checked(name, value, message):
    with pytest.raises(ConfigError, match=message):
        DevelopmentConfig({name: value})


def test_hardening_defaults():
    import ipaddress

    cfg = DevelopmentConfig(
        {"DESK_METRICS_ALLOWED_IPS": "10.0.0.5, 192.168.0.0/24", "DESK_LOG_LEVEL": "debug"}
    )
    assert cfg.PERMANENT_SESSION_LIFETIME.total_seconds() == 8 * 3600
    assert cfg.REMEMBER_COOKIE_SAMESITE == "Lax"
    assert cfg.TRUSTED_PROXIES == 0
    assert cfg.LOG_LEVEL == "DEBUG"
    assert ipaddress.ip_address("192.168.0.77") in cfg.METRICS_ALLOWED_NETWORKS[1]
    assert cfg.METRICS_TOKEN == ""
    assert DevelopmentConfig({}).METRICS_ALLOWED_NETWORKS == []


def test_cookies_are_secure_wherever_desk_is_served_over_https():
    """A site whose public address is https:// gets Secure cookies (and HSTS, read from the
    same setting) without a setting to forget; DESK_SECURE_COOKIES still decides when set."""
    secret = {"DESK_SECRET_KEY": "s" * 40}
    https = ProductionConfig({**secret, "DESK_BASE_URL": "https://desk.umontpellier.fr"})
    assert https.SESSION_COOKIE_SECURE is True and https.REMEMBER_COOKIE_SECURE is True
    assert (
        ProductionConfig({**secret, "DESK_BASE_URL": "http://127.0.0.1:8000"}).SESSION_COOKIE_SECURE
        is False
    )
    assert DevelopmentConfig({}).SESSION_COOKIE_SECURE is False  # make run: http://127.0.0.1
    off = {**secret, "DESK_BASE_URL": "https://desk.umontpellier.fr", "DESK_SECURE_COOKIES": "0"}
    assert ProductionConfig(off).SESSION_COOKIE_SECURE is False


def test_english_mail_from_follows_the_default_name_only():
    # The built-in French name gets an English one, whatever the address...
    assert DevelopmentConfig({}).MAIL_FROM_EN == "Service centre <desk@localhost>"
    cfg = DevelopmentConfig({"DESK_MAIL_FROM": "Centre de services <desk@univ.fr>"})
    assert cfg.MAIL_FROM_EN == "Service centre <desk@univ.fr>"
    # ...a name the site chose (its university's) is its own to translate.
    cfg = DevelopmentConfig({"DESK_MAIL_FROM": "Université Exemple <desk@univ.fr>"})
    assert cfg.MAIL_FROM_EN == "Université Exemple <desk@univ.fr>"
    cfg = DevelopmentConfig(
        {
            "DESK_MAIL_FROM": "Université Exemple <desk@univ.fr>",
            "DESK_MAIL_FROM_EN": "Exemple University <DESK@univ.fr>",
        }
    )
    assert cfg.MAIL_FROM_EN == "Exemple University <DESK@univ.fr>"


def test_english_mail_from_must_keep_the_address():
    with pytest.raises(ConfigError, match="DESK_MAIL_FROM_EN must use DESK_MAIL_FROM's address"):
        DevelopmentConfig(
            {
                "DESK_MAIL_FROM": "Université Exemple <desk@univ.fr>",
                "DESK_MAIL_FROM_EN": "Exemple University <helpdesk@univ.fr>",
            }
        )
    with pytest.raises(ConfigError, match="DESK_MAIL_FROM_EN"):
        DevelopmentConfig({"DESK_MAIL_FROM_EN": "Service desk"})


@pytest.mark.parametrize(
    ("config", "extra", "hidden"),
    [
        (ProductionConfig, {}, True),
        (ProductionConfig, {"DESK_LOG_SQL_PARAMETERS": "1"}, False),
        (DevelopmentConfig, {}, False),
    ],
)
def test_production_keeps_what_people_typed_out_of_sql_errors(tmp_path, config, extra, hidden):
    """An SQL error's text (logged with its trace) carries the statement's parameters: in
    production it leaves them out unless DESK_LOG_SQL_PARAMETERS asks for them."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from desk import create_app
    from desk.extensions import db

    environ = {
        "DESK_SECRET_KEY": GOOD_SECRET,
        "DESK_DATABASE_URL": f"sqlite:///{tmp_path}/desk.sqlite3",
        "DESK_INSTANCE_DIR": str(tmp_path),
        **extra,
    }
    app = create_app(config(environ))
    with app.app_context():
        with pytest.raises(DBAPIError) as failed:
            db.session.execute(
                text("SELECT * FROM no_such_table WHERE x = :v"), {"v": "Mme Dupont"}
            )
        db.session.rollback()
        db.engine.dispose()
    assert ("Mme Dupont" in str(failed.value)) is not hidden


def test_the_longest_durations_allowed_still_work(app, db, client, monkeypatch):
    """At their maximum, the durations bounded above still sign people in, erase nothing
    early and remind nobody, where 99999999 failed each: the bounds are not too loose."""
    import datetime as dt

    from config import HUNDRED_YEARS_DAYS, WAITING_DAYS_MAX
    from desk.auth.models import Role
    from desk.core.db import utcnow
    from desk.notifications import reminders
    from desk.privacy import sweep
    from desk.tickets.history import apply_status
    from desk.tickets.models import Status
    from desk.tickets.workflow import Actor
    from tests.support.factories import make_ticket, make_user

    days = dt.timedelta(days=HUNDRED_YEARS_DAYS)
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", days)
    monkeypatch.setitem(app.config, "REMEMBER_COOKIE_DURATION", days)
    for name in ("TICKET_RETENTION_DAYS", "ACCOUNT_RETENTION_DAYS"):
        monkeypatch.setitem(app.config, name, HUNDRED_YEARS_DAYS)
    for name in ("WAITING_REMINDER_DAYS", "WAITING_AUTOCLOSE_DAYS"):
        monkeypatch.setitem(app.config, name, WAITING_DAYS_MAX)
    user = make_user("ines@umontpellier.fr")
    response = client.submit(
        "/login", {"email": user.email, "password": "password", "remember": "y"}
    )
    assert response.status_code == 302
    assert client.get("/home").status_code == 200
    assert sweep.overdue(utcnow()) == {"ticket": 0, "account": 0}
    sweep.erase_expired()
    ticket = make_ticket(status="in_progress")
    tech = make_user(role=Role.TECHNICIAN, queues=(ticket.queue,))
    apply_status(ticket, Status.WAITING_ON_REQUESTER, tech, Actor.STAFF, at=utcnow())
    db.session.commit()
    assert reminders.send_waiting_reminders() == 0
    assert reminders.auto_close_waiting() == 0
