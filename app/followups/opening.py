"""Opening follow-ups: a response that matches a rule opens one, joins its contact's open one, or reopens the
contact's recently resolved one. Assigned to the account's CSM, else the default owner; the assignee gets
an email.

Run by a job after an answer is stored (rules that read only scores, accounts and surveys) and again
after its comment is analysed (every rule). Idempotent: a response joins at most one follow-up (the link
table's unique key), and a contact has at most one unresolved follow-up (a partial unique index); a race
between two jobs loses on those constraints and takes the other path.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.followups import workflow
from app.followups.rules import active_rules
from app.models import (
    OPEN_STATES,
    AnalysisState,
    FollowUp,
    FollowUpRule,
    FollowUpState,
    Response,
    Role,
    User,
    followup_responses,
    utcnow,
)
from app.webhooks import services as webhooks
from app.workspace_settings import get_setting

log = logging.getLogger(__name__)

REOPEN_DAYS = 14  # a new matching answer within this many days of a resolution reopens it
# Answers older than this open nothing on their own (an imported or re-analysed history would otherwise
# open hundreds of follow-ups already overdue); `flask followups apply --days N` backfills on purpose.
RECENT_DAYS = 14


@dataclass
class Outcome:
    """What one run did, by response id."""

    opened: list[int] = field(default_factory=list)
    attached: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    followups: set[int] = field(default_factory=set)  # follow-ups that may have emails to send

    def counts(self) -> dict[str, int]:
        """Numbers for logs and job results."""
        return {"opened": len(self.opened), "attached": len(self.attached), "reopened": len(self.reopened)}


def _unlinked(ids: list[int], since: datetime | None = None) -> list[int]:
    """Those of ``ids`` in no follow-up yet (and answered since ``since``)."""
    linked = sa.select(followup_responses.c.response_id).where(followup_responses.c.response_id.in_(ids))
    query = sa.select(Response.id).where(Response.id.in_(ids), Response.id.not_in(linked))
    if since is not None:
        query = query.where(Response.created_at >= since)
    return list(db.session.execute(query.order_by(Response.id)).scalars())


def matches(response_ids: list[int], recent_days: int = RECENT_DAYS) -> dict[int, FollowUpRule]:
    """The first rule (in order) each recent response matches; rules reading the analysis wait for it."""
    candidates = _unlinked(response_ids, utcnow() - timedelta(days=recent_days))
    if not candidates:
        return {}
    pending = set(
        db.session.execute(
            sa.select(Response.id).where(
                Response.id.in_(candidates), Response.analysis_state == AnalysisState.PENDING
            )
        ).scalars()
    )
    found: dict[int, FollowUpRule] = {}
    for rule, conditions in active_rules():
        left = [i for i in candidates if i not in found and not (conditions.needs_analysis and i in pending)]
        if not left:
            continue
        hits = db.session.execute(
            sa.select(Response.id).where(Response.id.in_(left), conditions.where())
        ).scalars()
        for response_id in hits:
            found[response_id] = rule
    return found


def apply_rules(response_ids: list[int], notify: bool = True, recent_days: int = RECENT_DAYS) -> Outcome:
    """Open, join or reopen follow-ups for these responses (each in its own transaction).

    ``notify`` False (a backfill over history) opens them without emailing the assignees."""
    outcome = Outcome()
    for response_id, rule in sorted(matches(response_ids, recent_days).items()):
        for attempt in range(2):
            try:
                _place(response_id, rule.id, rule.name, outcome, notify)
                db.session.commit()
                break
            except sa.exc.IntegrityError:
                db.session.rollback()  # another job placed it (or opened the contact's) first: look again
                if attempt:
                    log.warning("could not place response %s in a follow-up after a conflict", response_id)
    return outcome


def _place(response_id: int, rule_id: int, rule_name: str, outcome: Outcome, notify: bool) -> None:
    response = db.session.get(Response, response_id)
    if response is None or _unlinked([response_id]) == []:
        return
    current = _current_for_contact(response.contact_id)
    if current is not None:
        workflow.record(current, "attached", None, to_value=str(response_id), note=f"matched “{rule_name}”")
        outcome.attached.append(response_id)
    elif (recent := _recently_resolved(response.contact_id)) is not None:
        current = workflow.reopen(recent.id, None, f"A new answer matched “{rule_name}”.", notify=notify)
        outcome.reopened.append(response_id)
    else:
        current = _open(response, rule_id, rule_name, notify)
        outcome.opened.append(response_id)
    db.session.execute(
        followup_responses.insert().values(
            followup_id=current.id, response_id=response_id, attached_at=utcnow()
        )
    )
    outcome.followups.add(current.id)


def _current_for_contact(contact_id: int | None) -> FollowUp | None:
    if contact_id is None:
        return None
    return db.session.execute(
        sa.select(FollowUp).where(FollowUp.contact_id == contact_id, FollowUp.state.in_(OPEN_STATES))
    ).scalar_one_or_none()


def _recently_resolved(contact_id: int | None) -> FollowUp | None:
    if contact_id is None:
        return None
    since = utcnow() - timedelta(days=REOPEN_DAYS)
    return db.session.execute(
        sa.select(FollowUp)
        .where(
            FollowUp.contact_id == contact_id,
            FollowUp.state == FollowUpState.RESOLVED,
            FollowUp.resolved_at >= since,
        )
        .order_by(FollowUp.resolved_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def _open(response: Response, rule_id: int, rule_name: str, notify: bool) -> FollowUp:
    owner = owner_for(response)
    followup = FollowUp(
        response_id=response.id,
        contact_id=response.contact_id,
        account_id=response.account_id,
        assignee_id=owner.id if owner else None,
        rule_id=rule_id,
        state=FollowUpState.OPEN,
        reason=rule_name[:50],
        due_at=workflow.due_from(response.created_at),
        created_at=response.created_at,  # the customer's clock starts with the answer, as the SLA does
    )
    with db.session.begin_nested():
        db.session.add(followup)
    event = workflow.record(followup, "opened", None, to_value=owner.email if owner else None, note=rule_name)
    if notify:
        workflow.notify_assignee(followup, event.id, "opened")
    webhooks.emit("followup.opened", workflow.event_data(followup), followup.contact_id, followup.response_id)
    return followup


def _active(user_id: int | None, roles: tuple[Role, ...] = (Role.CS, Role.ADMIN)) -> User | None:
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.is_active_user and user.role in roles else None


def default_owner() -> User | None:
    """The default owner setting, else the first active admin."""
    owner = _active(get_setting("followup_default_owner_id"))
    if owner is not None:
        return owner
    return db.session.execute(
        sa.select(User)
        .where(User.role == Role.ADMIN, User.is_active_user.is_(True))
        .order_by(User.id)
        .limit(1)
    ).scalar_one_or_none()


def owner_for(response: Response) -> User | None:
    """The account's CSM (when an active CS member or admin), else the default owner."""
    csm = _active(response.account.csm_owner_id) if response.account is not None else None
    return csm or default_owner()
