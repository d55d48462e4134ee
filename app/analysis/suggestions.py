"""Suggested new topics: noun phrases of untagged recent comments, clustered by ``nlp.suggest_topics``.

A suggestion is a cluster of at least MIN_COMMENTS comments from at least MIN_ACCOUNTS accounts (a response
without an account counts as its own), never a person's name: the names of staff and of the respondents
read are passed to the library, which also spots names written like names. Its examples are redacted with
``app.privacy.redact_text`` before they are stored. Computed by a job (never on a GET, which must not write)
from what tagging already stored (keyphrases and sentiment), so no comment is analysed twice; the result is
kept in a Setting with its time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import queue
from app.extensions import db
from app.models import AnalysisState, Mention, Response, Setting, Topic, User, utcnow
from app.privacy import redact_text
from nlp import Sentiment, TextAnalysis, suggest_topics

SETTING_KEY = "nlp.topic_suggestions"
REFRESH_JOB = "analysis.refresh_topic_suggestions"
RECENT_DAYS = 90
SCAN_LIMIT = 3000
MAX_SUGGESTIONS = 12
MAX_EXAMPLE_CHARS = 280
MIN_COMMENTS = 5
MIN_ACCOUNTS = 3


def untagged_recent(limit: int = SCAN_LIMIT) -> list[Response]:
    """Recent tagged English comments with no (accepted) topic at all."""
    tagged = sa.select(Mention.id).where(Mention.response_id == Response.id, Mention.rejected.is_(False))
    return list(
        db.session.execute(
            sa.select(Response)
            .where(
                Response.analysis_state == AnalysisState.DONE,
                Response.language == "en",
                Response.created_at >= utcnow() - timedelta(days=RECENT_DAYS),
                Response.comment.is_not(None),
                ~sa.exists(tagged),
            )
            .options(selectinload(Response.contact))
            .order_by(Response.created_at.desc())
            .limit(limit)
        ).scalars()
    )


def _as_analysis(response: Response) -> TextAnalysis:
    """Rebuild the stored analysis of a response as the library's result type."""
    stored = response.analysis or {}
    return TextAnalysis(
        sentiment=Sentiment(response.sentiment_label or "neutral", float(response.sentiment_score or 0.0)),
        keyphrases=list(stored.get("keyphrases") or []),
        language=response.language or "en",
        text=(response.comment or "")[:10_000],
    )


def compute_suggestions() -> dict[str, Any]:
    """Cluster the keyphrases of untagged recent comments; drop suggestions that name an existing topic."""
    rows = untagged_recent()
    topics = {n.lower() for n in db.session.execute(sa.select(Topic.name)).scalars()}
    suggestions = suggest_topics(
        [_as_analysis(r) for r in rows],
        min_count=MIN_COMMENTS,
        max_suggestions=2 * MAX_SUGGESTIONS,
        groups=[r.account_id or f"response-{r.id}" for r in rows],
        min_groups=MIN_ACCOUNTS,
        names=_people(rows),
    )
    owners = {(r.comment or "")[:10_000]: _names_of(r) for r in reversed(rows)}
    items = []
    for suggestion in suggestions:
        if suggestion.label.lower() in topics:
            continue
        item = suggestion.to_dict()
        item["examples"] = [
            (redact_text(e, owners.get(e, [])) or "")[:MAX_EXAMPLE_CHARS]
            for e in item.get("examples", [])[:3]
        ]
        items.append(item)
        if len(items) >= MAX_SUGGESTIONS:
            break
    return {"computed_at": utcnow().isoformat(), "scanned": len(rows), "items": items}


def _names_of(response: Response) -> list[str]:
    """The respondent's own names (contact name and email), for redaction."""
    contact = response.contact
    return [
        n
        for n in (
            contact.name if contact else None,
            contact.email if contact else None,
            response.respondent_email,
        )
        if n
    ]


def _people(rows: list[Response]) -> set[str]:
    """Words that are people's names: staff users and the respondents read (never a topic)."""
    names = set(db.session.execute(sa.select(User.name)).scalars())
    names |= {n for r in rows for n in _names_of(r) if "@" not in n}
    return {part for name in names if name for part in name.split() if len(part) >= 3}


def refresh_suggestions() -> dict[str, Any]:
    """Recompute and store the suggestions (in the caller's session; committed here)."""
    value = compute_suggestions()
    row = db.session.get(Setting, SETTING_KEY)
    if row is None:
        db.session.add(Setting(key=SETTING_KEY, value=value))
    else:
        row.value = value
    db.session.commit()
    return value


def enqueue_refresh() -> bool:
    """Enqueue a recomputation unless one is already waiting or running (one job id)."""
    return queue.enqueue_once(REFRESH_JOB, job_id="topic-suggestions")


def stored_suggestions() -> dict[str, Any] | None:
    """The last computed suggestions, or None before the first run."""
    row = db.session.get(Setting, SETTING_KEY)
    return row.value if row is not None else None


def forget_suggestion(label: str) -> None:
    """Drop an accepted suggestion from the stored list (the caller commits)."""
    row = db.session.get(Setting, SETTING_KEY)
    if row is None or not isinstance(row.value, dict):
        return
    value = dict(row.value)
    value["items"] = [i for i in value.get("items", []) if i.get("label") != label]
    row.value = value
