"""Surveys and sends, topics, metrics, unsubscribes and bounces, and the tombstone feed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.accounts import services as accounts
from app.api.core import actor_id, blueprint, fail, read_cursor, scoped, sign_cursor
from app.api.figures import metrics
from app.api.listing import page_by_update
from app.api.people import contact_by_email
from app.api.schemas import (
    EmailArgs,
    MetricsArgs,
    MetricsSchema,
    PageArgs,
    SendInSchema,
    SendPage,
    SendSchema,
    SuppressedPage,
    SuppressedSchema,
    SurveyPage,
    SurveySchema,
    TombstonePage,
    TopicList,
)
from app.extensions import db
from app.models import Contact, Send, Survey, Tombstone, Topic, utcnow
from app.surveys import services as surveys
from app.workspace_settings import workspace_timezone

bp = blueprint("catalog", "Surveys, sends, topics, metrics, unsubscribes, bounces and tombstones")


@bp.route("/surveys", methods=["GET"])
@scoped("read")
@bp.arguments(PageArgs, location="query")
@bp.response(200, SurveyPage)
def list_surveys(args: dict[str, Any]):
    """List surveys, oldest change first."""
    return page_by_update(Survey, args)


@bp.route("/surveys/<int:survey_id>", methods=["GET"])
@scoped("read")
@bp.response(200, SurveySchema)
def get_survey(survey_id: int):
    """One survey."""
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        fail(404, f"No survey with id {survey_id}.")
    return survey


@bp.route("/sends", methods=["GET"])
@scoped("read")
@bp.arguments(PageArgs, location="query")
@bp.response(200, SendPage)
def list_sends(args: dict[str, Any]):
    """List sends, oldest change first."""
    return page_by_update(Send, args)


@bp.route("/sends", methods=["POST"])
@scoped("send")
@bp.arguments(SendInSchema)
@bp.response(201, SendSchema)
def create_send(data: dict[str, Any]):
    """Send a survey: invitations are made and emailed in the background, each at most once."""
    survey = db.session.get(Survey, data["survey_id"])
    if survey is None:
        fail(422, f"No survey with id {data['survey_id']}.")
    try:
        return surveys.create_send(
            survey, data["audience"], data.get("scheduled_at"), data.get("reminder_days"), None, actor_id()
        )
    except (surveys.SendError, surveys.AudienceError) as exc:
        fail(422, str(exc))


@bp.route("/sends/<int:send_id>", methods=["GET"])
@scoped("read")
@bp.response(200, SendSchema)
def get_send(send_id: int):
    """One send."""
    send = db.session.get(Send, send_id)
    if send is None:
        fail(404, f"No send with id {send_id}.")
    return send


@bp.route("/topics", methods=["GET"])
@scoped("read")
@bp.response(200, TopicList)
def list_topics():
    """Every active topic of the taxonomy (parents before children)."""
    rows = db.session.execute(
        sa.select(Topic)
        .where(Topic.is_active.is_(True))
        .order_by(Topic.parent_id.is_not(None), Topic.position, Topic.id)
    ).scalars()
    return {"items": list(rows)}


@bp.route("/metrics", methods=["GET"])
@scoped("read")
@bp.arguments(MetricsArgs, location="query")
@bp.response(200, MetricsSchema)
def get_metrics(args: dict[str, Any]):
    """NPS, CSAT or CES per day, week or month, optionally per segment, with 95% intervals."""
    end = args.get("end") or utcnow().astimezone(workspace_timezone()).date()
    start = args.get("start") or end - timedelta(days=90)
    if start > end:
        fail(422, "start must be on or before end.")
    if (end - start).days > 3 * 366:
        fail(422, "Ask for at most three years at a time.")
    return metrics(args["kind"], args["bucket"], args.get("segment"), start, end, args.get("survey"))


def _suppressed(column: Any, kind: str, args: dict[str, Any]) -> dict[str, Any]:
    where = [column.is_not(None)]
    after = read_cursor(kind, args.get("cursor"))
    if after is not None:
        where.append(Contact.id > after[0])
    if args.get("updated_since"):
        where.append(column >= args["updated_since"])
    limit = args["limit"]
    rows = list(
        db.session.execute(sa.select(Contact).where(*where).order_by(Contact.id).limit(limit + 1)).scalars()
    )
    items = [{"contact_id": c.id, "email": c.email, "at": getattr(c, column.key)} for c in rows[:limit]]
    nxt = sign_cursor(kind, [rows[limit - 1].id]) if len(rows) > limit else None
    return {"items": items, "next_cursor": nxt}


@bp.route("/unsubscribes", methods=["GET"])
@scoped("read")
@bp.arguments(PageArgs, location="query")
@bp.response(200, SuppressedPage)
def list_unsubscribes(args: dict[str, Any]):
    """Contacts who unsubscribed (``updated_since`` filters by the unsubscribe time)."""
    return _suppressed(Contact.unsubscribed_at, "unsubscribes", args)


@bp.route("/unsubscribes", methods=["POST"])
@scoped("write")
@bp.arguments(EmailArgs)
@bp.response(200, SuppressedSchema)
def create_unsubscribe(data: dict[str, Any]):
    """Unsubscribe a contact (by id or email): never surveyed again, even after erasure."""
    if data.get("contact_id") is not None:
        contact = db.session.get(Contact, data["contact_id"])
    elif data.get("email"):
        contact = contact_by_email(data["email"])
    else:
        fail(422, "Give the contact's email or contact_id.")
    if contact is None:
        fail(404, "No such contact.")
    accounts.mark_unsubscribed(contact, actor_id())
    return {"contact_id": contact.id, "email": contact.email, "at": contact.unsubscribed_at}


@bp.route("/bounces", methods=["GET"])
@scoped("read")
@bp.arguments(PageArgs, location="query")
@bp.response(200, SuppressedPage)
def list_bounces(args: dict[str, Any]):
    """Contacts whose address hard-bounced (``updated_since`` filters by the bounce time)."""
    return _suppressed(Contact.bounced_at, "bounces", args)


@bp.route("/tombstones", methods=["GET"])
@scoped("read")
@bp.arguments(PageArgs, location="query")
@bp.response(200, TombstonePage)
def list_tombstones(args: dict[str, Any]):
    """Ids of erased or deleted objects, oldest first: delete your copies to follow erasures."""
    where = []
    if args.get("updated_since"):
        where.append(Tombstone.created_at >= args["updated_since"])
    after = read_cursor("tombstones", args.get("cursor"))
    if after is not None:
        where.append(Tombstone.id > after[0])
    limit = args["limit"]
    stmt = sa.select(Tombstone).where(*where).order_by(Tombstone.id).limit(limit + 1)
    rows = list(db.session.execute(stmt).scalars())
    nxt = sign_cursor("tombstones", [rows[limit - 1].id]) if len(rows) > limit else None
    return {"items": rows[:limit], "next_cursor": nxt}
