"""`flask desk fetch-mail`."""

from __future__ import annotations

import click
from flask import current_app

from desk.inbound.services import fetch_mail
from desk.inbound.sources import configured_sources


@click.command("fetch-mail")
def fetch_mail_command() -> None:
    """Read the configured mailboxes once (what the beat task does)."""
    if not configured_sources(current_app.config):
        raise click.ClickException(
            "no mailbox configured (DESK_INBOUND_MAILDIR or DESK_INBOUND_IMAP_URL)"
        )
    result = fetch_mail()
    click.echo(
        "fetch-mail: "
        + (", ".join(f"{k} {v}" for k, v in sorted(result.counts.items())) or "nothing")
    )
