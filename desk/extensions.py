"""Flask extensions, created unbound and wired in `create_app`."""

from __future__ import annotations

import redis
from flask import Flask, current_app
from flask_babel import Babel
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from desk.core import pool  # noqa: F401 - registers the check of pooled connections
from desk.core.db import Base
from desk.core.limiter import DeskLimiter

db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Per client address (the proxy's view of it: see desk.core.security.init_proxy); storage and
# limits come from the app's config in desk.core.security.init_security. A Redis outage is
# logged once, not per request (desk.core.limiter).
limiter = DeskLimiter(key_func=get_remote_address)


def init_redis(app: Flask) -> None:
    """One connection pool per app; short timeouts so a dead or hung Redis never hangs a
    request (DESK_REDIS_TIMEOUT; `redis_options` gives the same to other clients)."""
    app.extensions["redis"] = redis.Redis.from_url(app.config["REDIS_URL"], **redis_options(app))


def redis_options(app: Flask) -> dict:
    """Connection options every Redis client of desk uses (Flask-Limiter's storage too)."""
    timeout = app.config["REDIS_TIMEOUT"]
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout}


def get_redis() -> redis.Redis:
    """The app's Redis client."""
    return current_app.extensions["redis"]
