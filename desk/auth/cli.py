"""`flask desk create-user`."""

from __future__ import annotations

import secrets

import click

from desk.auth.models import Role
from desk.auth.services import UserSpec, create_or_update_user


@click.command("create-user")
@click.argument("email")
@click.option("--name", "display_name", default="", help="Display name (defaults to the e-mail).")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.REQUESTER.value)
@click.option("--queue", "queues", multiple=True, help="Queue code; repeat for several queues.")
@click.option("--lead", "leads", multiple=True, help="Queue code this user leads.")
@click.option("--student", is_flag=True, help="A student rather than a staff member.")
@click.option("--password", default=None, help="Password (prompted for if omitted).")
@click.option("--generate-password", is_flag=True, help="Generate and print a password.")
def create_user_command(
    email, display_name, role, queues, leads, student, password, generate_password
):
    """Create or update an account.

    Example: flask desk create-user a@umontpellier.fr --role technician --queue reseau
    """
    if generate_password:
        password = secrets.token_urlsafe(12)
    elif password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="--password")
    spec = UserSpec(
        email=email,
        display_name=display_name,
        password=password,
        role=Role(role),
        is_staff=not student,
        queue_codes=tuple(queues),
        lead_queue_codes=tuple(leads),
    )
    try:
        user, created = create_or_update_user(spec)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"{'created' if created else 'updated'} {user.email} ({user.role.value})"
        + (f" queues: {', '.join(sorted(set(queues) | set(leads)))}" if queues or leads else "")
    )
    if generate_password:
        click.echo(f"password: {password}")
