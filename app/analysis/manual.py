"""Tags people set by hand (they survive re-tagging), and sending failed responses back to tagging."""

from __future__ import annotations

import sqlalchemy as sa

from app.analysis.dispatch import enqueue_tagging, mark_pending
from app.analysis.errors import AnalysisError
from app.audit import audit
from app.database import is_unique_violation
from app.extensions import db
from app.models import AnalysisState, Mention, MentionSource, Response, Topic


def retry_failed(actor_id: int | None, response_ids: list[int] | None = None) -> int:
    """Send failed responses (these, or all) back to tagging with fresh attempts; returns how many."""
    query = sa.select(Response).where(Response.analysis_state == AnalysisState.FAILED)
    if response_ids is not None:
        query = query.where(Response.id.in_([int(i) for i in response_ids]))
    rows = list(db.session.execute(query).scalars())
    for response in rows:
        mark_pending(response)
    ids = [r.id for r in rows]
    if ids:
        audit(actor_id, "analysis.retry", "responses", ids[0] if len(ids) == 1 else "many", ids=ids[:500])
    db.session.commit()
    enqueue_tagging(ids)
    return len(ids)


def _response(response_id: int) -> Response:
    response = db.session.get(Response, response_id)
    if response is None:
        raise AnalysisError("That response does not exist (it may have been erased).")
    return response


def _manual_row(response_id: int, topic_id: int) -> Mention | None:
    return db.session.execute(
        sa.select(Mention).where(
            Mention.response_id == response_id,
            Mention.topic_id == topic_id,
            Mention.source == MentionSource.MANUAL,
        )
    ).scalar_one_or_none()


def _commit_manual() -> None:
    """Commit a manual tag change; a concurrent identical change is not an error."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        if not is_unique_violation(exc):
            raise
        raise AnalysisError("Someone changed this tag at the same moment; reload and try again.") from exc


def add_manual_topic(response_id: int, topic_id: int, actor_id: int | None) -> None:
    """Tag a response with a topic by hand (this also lifts an earlier rejection of that topic)."""
    response = _response(response_id)
    topic = db.session.get(Topic, topic_id)
    if topic is None or not topic.is_active:
        raise AnalysisError("Choose an active topic.")
    row = _manual_row(response.id, topic.id)
    if row is None:
        db.session.add(
            Mention(
                response_id=response.id,
                topic_id=topic.id,
                source=MentionSource.MANUAL,
                rejected=False,
                sentiment_label=response.sentiment_label,
                sentiment_score=response.sentiment_score,
                confidence=1.0,
                created_by_id=actor_id,
            )
        )
    elif row.rejected:
        row.rejected, row.created_by_id = False, actor_id
    audit(actor_id, "mention.add", "response", response.id, topic_id=topic.id, topic=topic.name)
    _commit_manual()


def reject_mention(response_id: int, topic_id: int, actor_id: int | None) -> None:
    """Reject a topic on a response: its automatic mentions go, and re-tagging will not bring them back."""
    response = _response(response_id)
    topic = db.session.get(Topic, topic_id)
    if topic is None:
        raise AnalysisError("That topic does not exist.")
    db.session.execute(
        sa.delete(Mention).where(
            Mention.response_id == response.id,
            Mention.topic_id == topic.id,
            Mention.source != MentionSource.MANUAL,
        )
    )
    row = _manual_row(response.id, topic.id)
    if row is None:
        db.session.add(
            Mention(
                response_id=response.id,
                topic_id=topic.id,
                source=MentionSource.MANUAL,
                rejected=True,
                created_by_id=actor_id,
            )
        )
    else:
        row.rejected, row.created_by_id = True, actor_id
    audit(actor_id, "mention.reject", "response", response.id, topic_id=topic.id, topic=topic.name)
    _commit_manual()


def remove_manual_tag(response_id: int, topic_id: int, actor_id: int | None) -> None:
    """Remove a manual tag or rejection; lifting a rejection re-tags the response so the topic may return."""
    response = _response(response_id)
    row = _manual_row(response.id, topic_id)
    if row is None:
        raise AnalysisError("There is no manual tag of that topic on this response.")
    was_rejection = row.rejected
    db.session.delete(row)
    if was_rejection and response.analysis_state == AnalysisState.DONE:
        mark_pending(response)
    audit(actor_id, "mention.remove", "response", response.id, topic_id=topic_id, rejection=was_rejection)
    _commit_manual()
    if was_rejection:
        enqueue_tagging([response.id])


def bulk_add_manual_topic(response_ids: list[int], topic_id: int, actor_id: int | None) -> int:
    """Tag many responses with a topic by hand, in one transaction; returns how many were newly tagged.

    Like ``add_manual_topic`` for each: a rejection of the topic is lifted, an existing manual tag stays.
    Ids of responses that no longer exist (erased meanwhile) are skipped.
    """
    topic = db.session.get(Topic, topic_id)
    if topic is None or not topic.is_active:
        raise AnalysisError("Choose an active topic.")
    found = db.session.execute(
        sa.select(Response.id, Response.sentiment_label).where(Response.id.in_(response_ids))
    ).all()
    sentiments = {r.id: r.sentiment_label for r in found}
    existing = {
        m.response_id: m
        for m in db.session.execute(
            sa.select(Mention).where(
                Mention.response_id.in_(list(sentiments)),
                Mention.topic_id == topic.id,
                Mention.source == MentionSource.MANUAL,
            )
        ).scalars()
    }
    changed = 0
    for response_id in sorted(sentiments):
        row = existing.get(response_id)
        if row is None:
            db.session.add(
                Mention(
                    response_id=response_id,
                    topic_id=topic.id,
                    source=MentionSource.MANUAL,
                    sentiment_label=sentiments[response_id],
                    confidence=1.0,
                    created_by_id=actor_id,
                )
            )
        elif row.rejected:
            row.rejected, row.created_by_id = False, actor_id
        else:
            continue
        changed += 1
    ids = sorted(sentiments)[:500]
    audit(actor_id, "mention.bulk_add", "topic", topic.id, topic=topic.name, responses=ids, added=changed)
    _commit_manual()
    return changed
