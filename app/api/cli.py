"""``flask tokens create --email … --scope …``, ``flask tokens list``, ``flask tokens revoke``."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.api import tokens
from app.extensions import db
from app.models import ApiToken, User

tokens_cli = AppGroup("tokens", help="REST API tokens.")


def _user(email: str) -> User:
    user = db.session.execute(
        sa.select(User).where(sa.func.lower(User.email) == email.strip().lower())
    ).scalar()
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    return user


@tokens_cli.command("create")
@click.option("--email", required=True, help="The staff user the token acts as.")
@click.option(
    "--scope", "scopes", multiple=True, required=True, help=f"Repeat for several: {', '.join(tokens.SCOPES)}."
)
@click.option("--name", default="CLI token", show_default=True)
def create(email: str, scopes: tuple[str, ...], name: str) -> None:
    """Make a token and print it (the only time it is shown)."""
    try:
        made = tokens.create_token(_user(email), name, list(scopes), None)
    except tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(made.secret)


@tokens_cli.command("list")
@click.option("--email", required=True)
def list_tokens(email: str) -> None:
    """A user's tokens: id, prefix, scopes, last use, revoked."""
    for t in tokens.user_tokens(_user(email).id):
        state = "revoked" if t.revoked_at else "live"
        click.echo(
            f"{t.id}\t{t.prefix}…\t{','.join(t.scopes)}\tlast used {t.last_used_at or 'never'}\t{state}"
        )


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke a token by id."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"No token with id {token_id}.")
    click.echo("revoked" if tokens.revoke_token(token, None) else "already revoked")
