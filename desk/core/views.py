"""Home page by role, and the health endpoint."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user

from desk.core.access import AUTHENTICATED, PUBLIC, access
from desk.core.metrics import render_metrics
from desk.core.services import check_health

bp = Blueprint("core", __name__)


@bp.get("/")
@access(PUBLIC)
def index():
    """Send visitors to the login page and users to their home."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("core.home"))


@bp.get("/home")
@access(AUTHENTICATED)
def home():
    """A home page that fits the user's role."""
    return render_template("core/home.html")


@bp.get("/healthz")
@access(PUBLIC)
def healthz():
    """Database, Redis and worker status as JSON: 503 only when the database is down."""
    code, report = check_health()
    response = jsonify(report)
    response.headers["Cache-Control"] = "no-store"
    return response, code


@bp.get("/metrics")
@access(PUBLIC)
def metrics():
    """Prometheus metrics, for allowed addresses or the bearer token only (else 404)."""
    return render_metrics()
