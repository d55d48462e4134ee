"""Staff pages of the API: your API tokens (made, shown once, revoked)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.access import staff_required
from app.api import tokens
from app.api.forms import TokenForm
from app.extensions import db
from app.models import ApiToken, Role
from app.workspace_settings import workspace_timezone

bp = Blueprint("api_tokens", __name__)


def local(value: datetime | None) -> str:
    """A time in the workspace's zone, the zone named."""
    if value is None:
        return "never"
    zone = workspace_timezone()
    return f"{value.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"


@bp.route("/account/api-tokens", methods=["GET", "POST"])
@staff_required
def index() -> ResponseReturnValue:
    """List your tokens and make a new one (its secret is shown on this response only)."""
    form = TokenForm()
    form.scopes.choices = [
        (s, f"{s}: {tokens.SCOPES[s][0]}") for s in tokens.allowed_scopes(current_user.role)
    ]
    # Post/redirect/get: the new secret rides in the session to the next page view only, so a reload
    # neither makes a second token nor shows the secret again.
    secret = session.pop("new_api_token", None) if request.method == "GET" else None
    status = 200
    if form.validate_on_submit():
        try:
            made = tokens.create_token(current_user, form.name.data, form.scopes.data, current_user.id)
        except tokens.TokenError as exc:
            form.scopes.errors = [*form.scopes.errors, str(exc)]
            status = 422
        else:
            session["new_api_token"] = made.secret
            return redirect(url_for("api_tokens.index")), 303
    elif request.method == "POST":
        status = 422
    mine = tokens.user_tokens(current_user.id)
    others = (
        [t for t in tokens.all_tokens() if t.user_id != current_user.id]
        if current_user.role == Role.ADMIN
        else []
    )
    return render_template(
        "api/tokens.html",
        form=form,
        secret=secret,
        mine=mine,
        others=others,
        local=local,
        effective=tokens.effective_scopes,
    ), status


@bp.route("/account/api-tokens/<int:token_id>/revoke", methods=["POST"])
@staff_required
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke one of your tokens (admins: anyone's)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != current_user.id and current_user.role != Role.ADMIN):
        abort(404)
    if tokens.revoke_token(token, current_user.id):
        flash(f"Revoked the token “{token.name}”. Calls made with it now get 401.", "success")
    return redirect(url_for("api_tokens.index"))
