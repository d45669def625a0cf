"""desk: a service-desk ticketing system for a university IT department."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import click
from celery import Celery, Task
from flask import Flask
from sqlalchemy.orm import configure_mappers

from config import Config, load_config

# Feature packages, in dependency order. For each, create_app imports whichever of
# `models`, `services`, `tasks`, `views` and `cli` exist, so a feature only adds files:
# tables reach the metadata, reference-file sections and Celery tasks get registered,
# `views.bp` is mounted and the click commands of `cli` join `flask desk`.
FEATURES = (
    "core",
    "reference",
    "auth",
    "catalog",
    "tickets",
    "absences",
    "search",
    "sla",
    "notifications",
    "followups",
    "portal",
    "watchers",
    "satisfaction",
    "queues",
    "canned",
    "preferences",
    "admin",
    "identity",
    "kb",
    "status",
    "accessibility",
    "inbound",
    "privacy",
)
FEATURE_MODULES = ("models", "services", "tasks", "views", "cli")


def _feature_modules() -> list[ModuleType]:
    modules = []
    for feature in FEATURES:
        for part in FEATURE_MODULES:
            name = f"desk.{feature}.{part}"
            if importlib.util.find_spec(f"desk.{feature}") and importlib.util.find_spec(name):
                modules.append(importlib.import_module(name))
    return modules


def create_app(config: Config | Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app: settings, extensions, blueprints, CLI, error pages, Celery."""
    from desk.auth.cookie import RollingCookieSessions
    from desk.core.db import use_sqlite_transactions
    from desk.core.dbwait import init_bounded_waits
    from desk.core.errors import register_error_handlers
    from desk.core.i18n import init_i18n, select_locale, select_timezone
    from desk.core.input import init_input_checks
    from desk.core.jinja import PageEnvironment
    from desk.core.logs import init_request_ids, setup_logging
    from desk.core.metrics import init_metrics
    from desk.core.readonly import init_read_only_commit
    from desk.core.security import init_proxy, init_security
    from desk.core.templating import init_templating
    from desk.extensions import babel, csrf, db, init_redis, login_manager, migrate

    app = Flask(__name__, template_folder="../templates", static_folder="static")
    app.jinja_environment = PageEnvironment  # type: ignore[assignment] # before jinja_env's first use
    app.session_interface = RollingCookieSessions()
    settings = config if isinstance(config, Config) else load_config()
    app.config.from_object(settings)
    if isinstance(config, Mapping):
        app.config.update(config)
    app.config["REMEMBER_COOKIE_DURATION"] = dt.timedelta(
        days=app.config["REMEMBER_COOKIE_DURATION_DAYS"]
    )

    setup_logging(app.config["LOG_LEVEL"])
    init_proxy(app)
    modules = _feature_modules()

    init_request_ids(app)  # first hook, so that every later hook and page has the request id
    init_input_checks(app)  # before any route is added: bounds the `int` converter
    init_metrics(app)
    db.init_app(app)
    with app.app_context():  # Flask-SQLAlchemy made the engines; nothing connects here
        for engine in db.engines.values():
            use_sqlite_transactions(engine)
        init_bounded_waits(app, db.engines.values())
    init_read_only_commit(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    init_i18n(app)
    init_templating(app)
    init_redis(app)
    init_security(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    from desk.core.i18n import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"

    commands = []
    for module in modules:
        if module.__name__.endswith(".views"):
            app.register_blueprint(module.bp)
        elif module.__name__.endswith(".cli"):
            commands += [c for c in vars(module).values() if isinstance(c, click.Command)]
    app.cli.add_command(_desk_group(*commands))
    register_error_handlers(app)
    celery_init_app(app)
    # Once, in the parent, before gunicorn and Celery fork: otherwise every child process
    # configures the ORM on its first query (seen in a worker's profile under load).
    configure_mappers()
    return app


def _desk_group(*commands):
    """`flask desk ...` administration commands."""
    from flask.cli import AppGroup

    group = AppGroup("desk", help="desk administration commands.")
    for command in commands:
        group.add_command(command)
    return group


def celery_init_app(app: Flask) -> Celery:
    """The Flask docs' pattern: every task runs inside this app's context."""
    from desk.core.broker import install_kombu_guard
    from desk.core.dbwait import in_task

    install_kombu_guard()

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            marked = in_task.set(True)  # its database waits are bounded (desk.core.dbwait)
            try:
                with app.app_context():
                    return self.run(*args, **kwargs)
            finally:
                in_task.reset(marked)

    from desk.core.logs import connect_celery_request_ids

    connect_celery_request_ids()
    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
