"""`flask desk erase-expired`: the retention sweep, run by hand (beat also runs it hourly)."""

from __future__ import annotations

import click

from desk.core.db import utcnow
from desk.privacy import sweep


@click.command("erase-expired")
@click.option("--dry-run", is_flag=True, help="Count what is due, erase nothing.")
def erase_expired_command(dry_run: bool) -> None:
    """Erase the personal data kept past their retention (DESK_TICKET_RETENTION_DAYS after
    a ticket's last change, DESK_ACCOUNT_RETENTION_DAYS after an account's deactivation)."""
    if dry_run:
        due = sweep.overdue(utcnow())
        click.echo(f"due: {due['ticket']} tickets, {due['account']} accounts")
        return
    erased = sweep.erase_expired(budget=float("inf"))  # by hand: everything due, at once
    click.echo(
        f"erased: {erased.tickets} tickets, {erased.accounts} accounts,"
        f" {erased.records} other records"
    )
