"""`flask desk sync-directory`, `flask desk break-glass`."""

from __future__ import annotations

import click
from flask import current_app

from desk.auth.services import find_user
from desk.extensions import db
from desk.identity.directory import get_directory
from desk.identity.services import set_break_glass
from desk.identity.sync import sync_directory


@click.command("sync-directory")
def sync_directory_command() -> None:
    """Sync every account with the directory now (what the nightly task does)."""
    directory = get_directory(current_app.config)
    if directory is None:
        raise click.ClickException("no directory configured (DESK_LDAP_URL)")
    run = sync_directory(directory)
    db.session.commit()
    counts = run.counts
    if run.status == "failed" and run.reason == "groups_missing":
        click.echo(
            "sync failed: the directory has no group "
            + ", ".join(run.reason_data["groups"])
            + " of the role mapping (deleted, renamed or hidden from desk's service account); "
            "nothing was changed"
        )
    elif run.status == "failed":
        # The counts are empty then: say why, which the ERROR line above details.
        click.echo(
            "sync failed: the directory did not answer or cut its answer short; nothing was "
            "changed (the ERROR line says why)"
        )
    elif run.status == "stopped":
        limit = current_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"]
        click.echo(
            f"sync stopped: it would deactivate {counts['would_deactivate']} of "
            f"{counts['active']} active accounts, more than "
            f"DESK_DIRECTORY_MAX_DEACTIVATE_PERCENT={limit} allows; nothing was changed "
            f"({counts['entries']} directory entries read)"
        )
    else:
        click.echo(
            f"sync {run.status}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
    if run.status != "ok":
        raise SystemExit(1)


@click.command("break-glass")
@click.argument("email")
@click.option("--off", is_flag=True, help="Remove the flag.")
def break_glass_command(email: str, off: bool) -> None:
    """Let an admin account log in with its password while CAS is on (/login/local)."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account {email}")
    try:
        set_break_glass(user, not off, actor=None)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"{user.email}: break-glass {'off' if off else 'on'}")
