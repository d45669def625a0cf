"""desk: a service-desk ticketing system for a university IT department."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from celery import Celery, Task
from flask import Flask

from config import Config, load_config

BLUEPRINTS = (
    "desk.core.views",
    "desk.auth.views",
)

# Imported so that every table is on the metadata (migrations, create_all) and every
# reference-file section and Celery task is registered.
FEATURE_MODULES = (
    "desk.core.models",
    "desk.core.tasks",
    "desk.reference.models",
    "desk.reference.services",
    "desk.auth.models",
    "desk.catalog.models",
    "desk.tickets.models",
)


def create_app(config: Config | Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app: settings, extensions, blueprints, CLI, error pages, Celery."""
    import importlib

    from desk.auth.cli import create_user_command
    from desk.core.errors import register_error_handlers
    from desk.core.i18n import init_i18n, select_locale, select_timezone
    from desk.core.templating import init_templating
    from desk.extensions import babel, csrf, db, init_redis, login_manager, migrate
    from desk.reference.cli import load_reference_command

    app = Flask(__name__, template_folder="../templates", static_folder="static")
    settings = config if isinstance(config, Config) else load_config()
    app.config.from_object(settings)
    if isinstance(config, Mapping):
        app.config.update(config)
    app.config["REMEMBER_COOKIE_DURATION"] = dt.timedelta(
        days=app.config["REMEMBER_COOKIE_DURATION_DAYS"]
    )

    for module in FEATURE_MODULES:
        importlib.import_module(module)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    init_i18n(app)
    init_templating(app)
    init_redis(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"

    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)

    app.cli.add_command(_desk_group(create_user_command, load_reference_command))
    register_error_handlers(app)
    celery_init_app(app)
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

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
