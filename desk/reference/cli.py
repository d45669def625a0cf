"""`flask desk load-reference FILE.yaml`, `flask desk demo-tickets`."""

from __future__ import annotations

import click
from flask_babel import force_locale

from desk.reference.demo import DemoError, file_demo_tickets
from desk.reference.loader import LoadError, load_reference


@click.command("load-reference")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def load_reference_command(path: str) -> None:
    """Load domains, queues, sites, users... from a YAML file (safe to run again)."""
    # One language for the whole output, the command's English, as `import-hr-phones` does:
    # the reasons of some errors (opening hours, durations, place names) are the admin
    # pages' translated messages, which came out in French after an English "calendars[0]:".
    with force_locale("en"):
        try:
            report = load_reference(path)
        except LoadError as exc:
            raise click.ClickException(str(exc)) from None
    for line in report.lines():
        click.echo(line)


@click.command("demo-tickets")
def demo_tickets_command() -> None:
    """File a few demo tickets, on a desk that has none yet (for `make run`)."""
    try:
        references = file_demo_tickets()
    except DemoError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Demo tickets filed: {', '.join(references)}" if references else "Tickets exist.")
