"""Responses for the API: the explorer's filters and keyset pages, and answers from other channels."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from app.accounts import services as accounts
from app.api.core import fail, read_cursor, sign_cursor
from app.explorer.queries import ExplorerFilters, conditions, cursor_of, page_rows, resolve, rows_for
from app.extensions import db
from app.models import SCORE_RANGES, Channel, Contact, FormCategory, Response, Survey, SurveyKind
from app.respond import services as respond

FILTERS = (
    "survey",
    "kind",
    "band",
    "channel",
    "comment",
    "sentiment",
    "q",
    "start",
    "end",
    "account",
    "contact",
    "topic",
    "intent",
    "tier",
    "plan",
    "sort",
)


def as_dict(r: Response) -> dict[str, Any]:
    """A response as the API shows it (with its analysis)."""
    return {
        "id": r.id,
        "survey_id": r.survey_id,
        "kind": r.kind.value,
        "channel": r.channel.value,
        "contact_id": r.contact_id,
        "account_id": r.account_id,
        "score": r.score,
        "band": r.band,
        "comment": r.comment,
        "form_category": r.form_category.value if r.form_category else None,
        "respondent_email": r.respondent_email,
        "locale": r.locale,
        "analysis_state": r.analysis_state.value,
        "sentiment": r.sentiment_label,
        "sentiment_score": r.sentiment_score,
        "topics": [
            {"id": m.topic_id, "name": m.topic.name, "sentiment": m.sentiment_label, "source": m.source.value}
            for m in r.mentions
            if not m.rejected
        ],
        "intents": sorted({i.label for i in r.intents}),
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }


def one(response_id: int) -> dict[str, Any] | None:
    """One response, or None."""
    rows = rows_for([response_id])
    return as_dict(rows[0]) if rows else None


def _filters(args: dict[str, Any]) -> ExplorerFilters:
    text = {
        k: (v.isoformat() if hasattr(v, "isoformat") else str(v)) for k, v in args.items() if k in FILTERS
    }
    filters = ExplorerFilters.from_args(text)
    if resolve(filters) != filters:  # a filter naming nothing: nothing matches (never "everything")
        return None  # type: ignore[return-value]
    return filters


def page(args: dict[str, Any]) -> dict[str, Any]:
    """One page of responses: explorer order, or oldest change first when ``updated_since`` is given."""
    filters = _filters(args)
    if filters is None:
        return {"items": [], "next_cursor": None}
    limit = args["limit"]
    where = conditions(filters)
    if args.get("updated_since"):
        return _sync_page(where, args, limit)
    kind = f"responses:{filters.sort}"
    after = read_cursor(kind, args.get("cursor"))
    if after is not None:
        from app.explorer.queries import Cursor  # the explorer's own cursor, carried inside ours

        filters = ExplorerFilters.from_args({**filters.to_args(), "after": after[0]})
        if filters.after is None:
            fail(400, "That cursor is not valid.")
        del Cursor
    rows = page_rows(filters, limit, where)
    items = rows[:limit]
    nxt = (
        sign_cursor(kind, [cursor_of(filters.sort, items[-1]).encode()])
        if len(rows) > limit and items
        else None
    )
    return {"items": [as_dict(r) for r in items], "next_cursor": nxt}


def _sync_page(where: list[Any], args: dict[str, Any], limit: int) -> dict[str, Any]:
    where = [*where, Response.updated_at >= args["updated_since"]]
    after = read_cursor("responses:sync", args.get("cursor"))
    if after is not None:
        when = datetime.fromtimestamp(after[0] / 1_000_000, UTC)
        where.append(
            sa.or_(Response.updated_at > when, sa.and_(Response.updated_at == when, Response.id > after[1]))
        )
    stmt = sa.select(Response.id).where(*where).order_by(Response.updated_at, Response.id).limit(limit + 1)
    ids = list(db.session.execute(stmt).scalars())
    items = rows_for(ids[:limit])
    nxt = None
    if len(ids) > limit and items:
        last = items[-1]
        nxt = sign_cursor("responses:sync", [int(last.updated_at.timestamp() * 1_000_000), last.id])
    return {"items": [as_dict(r) for r in items], "next_cursor": nxt}


def _contact(data: dict[str, Any]) -> Contact | None:
    if data.get("contact_id") is not None:
        contact = db.session.get(Contact, data["contact_id"])
        if contact is None:
            fail(422, f"No contact with id {data['contact_id']}.")
        return contact
    if data.get("contact_email"):
        try:
            email = accounts.clean_email(data["contact_email"])
        except ValueError as exc:
            fail(422, str(exc))
        return db.session.execute(sa.select(Contact).where(Contact.email == email)).scalar_one_or_none()
    return None


def create(data: dict[str, Any], actor: int) -> dict[str, Any]:
    """Store an answer from another channel with the survey's rules; tagged in the background."""
    survey = db.session.get(Survey, data["survey_id"])
    if survey is None:
        fail(422, f"No survey with id {data['survey_id']}.")
    score = data.get("score")
    if survey.kind == SurveyKind.FORM:
        if score is not None:
            fail(422, "A feedback form takes no score.")
    else:
        low, high = SCORE_RANGES[survey.kind]
        if score is None or not low <= score <= high:
            fail(422, f"A {survey.kind.value.upper()} score must be a whole number from {low} to {high}.")
    comment = (data.get("comment") or "").replace("\x00", "").strip() or None
    contact = _contact(data)
    email = None if contact else (data.get("contact_email") or None)
    submission = f"api:{data['external_id']}" if data.get("external_id") else None
    if submission:
        clash = db.session.execute(
            sa.select(Response.survey_id).where(Response.submission_id == submission)
        ).scalar()
        if clash is not None and clash != survey.id:
            fail(409, "That external_id already belongs to a response to another survey.")
    answer = respond.Answer(
        score=score,
        comment=comment,
        comment_present=True,
        category=FormCategory(data["form_category"]) if data.get("form_category") else None,
        email=email,
        locale=data.get("locale") or (contact.locale if contact else "en"),
    )
    outcome = respond.submit_external(
        survey,
        answer,
        Channel(data["channel"]),
        contact.id if contact else None,
        contact.account_id if contact else None,
        submission,
    )
    return one(outcome.response.id)  # type: ignore[return-value]
