"""Admin page of identity: each account's last sync and entry, conflicts, sync runs, "sync now"."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from desk.auth.models import Role, User
from desk.core.access import access
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import MAX_ID
from desk.core.templating import ADMIN_MENU, register_nav
from desk.extensions import db
from desk.identity.accounts import take_directory_access
from desk.identity.models import DirectoryConflict, DirectoryLink, DirectorySync
from desk.identity.sync import queue_sync
from desk.identity.views import bp

register_nav(_l("Directory and sign-in"), "identity.admin", (Role.ADMIN,), 70, menu=ADMIN_MENU)

PAGE = 50

STATUS = {
    "queued": _l("queued"),
    "running": _l("running"),
    "ok": _l("done"),
    "stopped": _l("stopped by the safety limit"),
    "failed": _l("failed: directory unreachable"),
    "skipped": _l("skipped: another sync was running"),
}
COUNTS = {
    "entries": _l("entries"),
    "updated": _l("updated"),
    "renamed": _l("renamed in the directory (new login or DN, same entry)"),
    "deactivated": _l("deactivated"),
    "released": _l("their open tickets back in the queues"),
    "reactivated": _l("reactivated"),
    "linked": _l("linked"),
    "not_linked": _l("to link by hand (a password or a staff role)"),
    "shared_email": _l("to link by hand (an address several directory entries share)"),
    "shared_login": _l("logins several directory entries share (nobody signs in with them)"),
    "conflicts": _l("conflicts"),
    "would_deactivate": _l("would deactivate"),
    "active": _l("active accounts"),
}


# Why a run failed (DirectorySync.reason), said in the reader's language when shown.
FAILURES = {
    "unreachable": STATUS["failed"],
    "cut_short": _l("failed: the directory cut its answer short"),
}


def run_result(run: DirectorySync) -> str:
    """The result of a sync run, with the reason it failed, in the reader's language."""
    if run.status != "failed":
        return str(STATUS.get(run.status, run.status))
    if run.reason == "groups_missing":
        groups = ", ".join((run.reason_data or {}).get("groups", []))
        return _("failed: group missing from the directory (%(groups)s)", groups=groups)
    if run.reason == "error":
        error = (run.reason_data or {}).get("error", "")
        return _("failed: an unexpected error (%(error)s); see the logs", error=error)
    # A run failed before desk kept reasons could only have failed to reach the directory.
    return str(FAILURES.get(run.reason or "unreachable", STATUS["failed"]))


@bp.context_processor
def _labels() -> dict:
    return {
        "sync_result": run_result,
        "sync_count": lambda key: COUNTS.get(key, key),
    }


@bp.get("/admin/identity")
@access(Role.ADMIN)
def admin():
    """Sync runs, open conflicts and the directory link of every account (keyset pages)."""
    after = request.args.get("after", type=int) or 0
    if not 0 <= after <= MAX_ID:
        abort(404)
    rows = db.session.execute(
        select(User, DirectoryLink)
        .join(DirectoryLink, DirectoryLink.user_id == User.id)
        .where(User.id > after)
        .order_by(User.id)
        .limit(PAGE + 1)
    ).all()
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    conflicts = db.session.scalars(
        select(DirectoryConflict)
        .join(DirectoryConflict.user)
        .order_by(DirectoryConflict.detected_at.desc())
        .limit(200)
    ).all()
    runs = db.session.scalars(
        select(DirectorySync).order_by(DirectorySync.id.desc()).limit(10)
    ).all()
    return render_template(
        "identity/admin.html",
        rows=rows,
        next_after=rows[-1][0].id if more and rows else None,
        conflicts=conflicts,
        runs=runs,
        directory_configured=bool(current_app.config.get("LDAP_URL")),
        auth_mode=current_app.config.get("AUTH"),
    )


@bp.post("/admin/identity/sync")
@access(Role.ADMIN)
def admin_sync():
    """Start a directory sync now (the worker runs it)."""
    if not current_app.config.get("LDAP_URL"):
        flash(_("No directory is configured (DESK_LDAP_URL)."), "error")
        return redirect(url_for("identity.admin"))
    queue_sync(actor=current_user)
    db.session.commit()
    flash(_("The directory sync has started; reload this page to see its result."), "success")
    return redirect(url_for("identity.admin"))


@bp.post("/admin/identity/conflicts/<int:user_id>/directory")
@access(Role.ADMIN)
def admin_take_directory(user_id: int):
    """Resolve a role/queue conflict in favour of the directory at the next sync."""
    user = db.session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None or not take_directory_access(user, actor=current_user):
        abort(404)
    db.session.commit()
    flash(_("The directory's role and queues will apply at the next sync."), "success")
    return redirect(url_for("identity.admin"))
