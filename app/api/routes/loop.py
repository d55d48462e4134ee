"""Follow-ups (list, get, act on them as in the app) and account health with its history."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.api.core import actor_id, blueprint, fail, scoped
from app.api.listing import page_by_update
from app.api.schemas import FollowUpActionSchema, FollowUpArgs, FollowUpPage, FollowUpSchema, HealthSchema
from app.extensions import db
from app.followups import services as followups
from app.models import Account, FollowUp, FollowUpState, HealthSnapshot, User, utcnow

bp = blueprint("loop", "Follow-ups (closing the loop) and account health")
OPEN = (FollowUpState.OPEN, FollowUpState.CONTACTED, FollowUpState.REOPENED)
HISTORY = 366


@bp.route("/followups", methods=["GET"])
@scoped("read")
@bp.arguments(FollowUpArgs, location="query")
@bp.response(200, FollowUpPage)
def list_followups(args: dict[str, Any]):
    """List follow-ups, oldest change first (``updated_since`` to sync); ``state`` filters."""
    state = args.get("state")
    where = []
    if state == "overdue":
        where += [FollowUp.state.in_(OPEN), FollowUp.due_at < utcnow()]
    elif state:
        where.append(FollowUp.state == FollowUpState(state))
    return page_by_update(FollowUp, args, *where)


@bp.route("/followups/<int:followup_id>", methods=["GET"])
@scoped("read")
@bp.response(200, FollowUpSchema)
def get_followup(followup_id: int):
    """One follow-up."""
    found = db.session.get(FollowUp, followup_id)
    if found is None:
        fail(404, f"No follow-up with id {followup_id}.")
    return found


@bp.route("/followups/<int:followup_id>/actions", methods=["POST"])
@scoped("write")
@bp.arguments(FollowUpActionSchema)
@bp.response(200, FollowUpSchema)
def act_on_followup(data: dict[str, Any], followup_id: int):
    """Mark contacted, resolve (with a code and note), reopen, assign or add a note, as the token's owner."""
    if db.session.get(FollowUp, followup_id) is None:
        fail(404, f"No follow-up with id {followup_id}.")
    actor = db.session.get(User, actor_id())
    form = {k: v for k, v in data.items() if k != "action"}
    try:
        followups.run_action(data["action"], followup_id, actor, form)
    except followups.FollowUpError as exc:
        fail(422, str(exc))
    db.session.expire_all()
    return db.session.get(FollowUp, followup_id)


@bp.route("/accounts/<int:account_id>/health", methods=["GET"])
@scoped("read")
@bp.response(200, HealthSchema)
def account_health(account_id: int):
    """An account's latest health snapshot and up to a year of history, newest first."""
    if db.session.get(Account, account_id) is None:
        fail(404, f"No account with id {account_id}.")
    rows = list(
        db.session.execute(
            sa.select(HealthSnapshot)
            .where(HealthSnapshot.account_id == account_id)
            .order_by(HealthSnapshot.as_of.desc(), HealthSnapshot.id.desc())
            .limit(HISTORY)
        ).scalars()
    )
    return {"account_id": account_id, "latest": rows[0] if rows else None, "history": rows}
