"""The ``create-user`` command: add an account from the command line."""

from __future__ import annotations

import click
from flask import Blueprint

from webapp.accounts.models import add_user, username_taken
from webapp.auth.forms import PASSWORD_MIN, USERNAME_PATTERN, folded
from webapp.extensions import db

bp = Blueprint("accounts", __name__, cli_group=None)


@bp.cli.command("create-user")
@click.argument("username")
@click.password_option(help="The new account's password (prompted if omitted).")
def create_user_command(username: str, password: str) -> None:
    """Add an account named USERNAME; the password is prompted for."""
    username = folded(username) or ""
    if not USERNAME_PATTERN.fullmatch(username):
        raise click.BadParameter(
            "use 3 to 32 letters, digits, '.', '_' or '-'.", param_hint="USERNAME"
        )
    if len(password) < PASSWORD_MIN:
        raise click.BadParameter(
            f"use at least {PASSWORD_MIN} characters.", param_hint="password"
        )
    if username_taken(username):
        raise click.ClickException(f"An account named {username!r} already exists.")

    add_user(username, password)
    db.session.commit()
    click.echo(f"Created account {username!r}.")
