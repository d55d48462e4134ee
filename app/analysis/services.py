"""Analysis use cases: the hand-off from submission, tagging now, retries, manual tags and re-tags.

Called alike by routes, CLI commands, other features' services and a future API. Each function that
writes commits its own transaction and enqueues only after the commit.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, request

from app.analysis.retag import queue_retag
from app.analysis.taxonomy import ensure_taxonomy
from app.database import is_unique_violation
from app.extensions import db
from app.models import (
    AnalysisState,
    AuditEvent,
    Mention,
    MentionSource,
    Response,
    RetagRun,
    Topic,
    utcnow,
)

log = logging.getLogger(__name__)


class AnalysisError(ValueError):
    """A request a person made that cannot be done; the message says why."""


def audit(actor_id: int | None, action: str, target_type: str, target_id: Any, **details: Any) -> None:
    """Record a staff action in the caller's transaction."""
    db.session.add(
        AuditEvent(
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            details=details,
            ip=request.remote_addr if has_request_context() else None,
        )
    )


def mark_pending(response: Response) -> None:
    """Ask for (re-)analysis of a new or edited comment; the caller commits, then calls request_analysis."""
    response.analysis_state = AnalysisState.PENDING
    response.analysis_requested_at = utcnow()
    response.analysis_attempts = 0
    response.analysis_error = None


def request_analysis(response_ids: list[int]) -> None:
    """Enqueue tagging of committed responses, best effort: if Redis is down they wait for the sweeper.

    One job per bucket of NLP_BATCH_SIZE ids, shared with any job of that bucket still waiting in the
    queue: a burst of answers becomes a few batched jobs, not one forked job per answer.
    """
    from app.tasks.analysis import enqueue_bucket

    size = int(current_app.config["NLP_BATCH_SIZE"])
    for bucket in sorted({int(i) // size for i in response_ids}):
        try:
            enqueue_bucket(bucket)
        except Exception:  # the answer path never fails for tagging; the rows stay pending
            log.exception("could not enqueue tagging of bucket %d; the sweeper will", bucket)


def tag_all_pending(chunk: int = 1000) -> dict[str, int]:
    """Tag every pending response now, in this process (demo seed, ``flask topics tag-pending``)."""
    from app.analysis.suggestions import refresh_suggestions
    from app.tasks.analysis import tag_ids

    ensure_taxonomy()
    totals = dict.fromkeys(("done", "skipped", "changed", "failed", "retry"), 0)
    last = 0
    while True:
        ids = list(
            db.session.execute(
                sa.select(Response.id)
                .where(Response.analysis_state == AnalysisState.PENDING, Response.id > last)
                .order_by(Response.id)
                .limit(chunk)
            ).scalars()
        )
        db.session.commit()
        if not ids:
            break
        for key, value in tag_ids(ids).counts().items():
            totals[key] += value
        last = ids[-1]
    refresh_suggestions()
    return totals


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
    request_analysis(ids)
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


def bulk_add_manual_topic(response_ids: list[int], topic_id: int, actor_id: int | None) -> int:
    """Tag many responses with a topic by hand, in one transaction; returns how many were newly tagged.

    Like ``add_manual_topic`` for each: a rejection of the topic is lifted, an existing manual tag stays.
    Ids of responses that no longer exist (erased meanwhile) are skipped.
    """
    topic = db.session.get(Topic, topic_id)
    if topic is None or not topic.is_active:
        raise AnalysisError("Choose an active topic.")
    ids = sorted(
        set(db.session.execute(sa.select(Response.id).where(Response.id.in_(response_ids))).scalars())
    )
    existing = {
        m.response_id: m
        for m in db.session.execute(
            sa.select(Mention).where(
                Mention.response_id.in_(ids),
                Mention.topic_id == topic.id,
                Mention.source == MentionSource.MANUAL,
            )
        ).scalars()
    }
    sentiments = dict(
        db.session.execute(sa.select(Response.id, Response.sentiment_label).where(Response.id.in_(ids))).all()
    )
    changed = 0
    for response_id in ids:
        row = existing.get(response_id)
        if row is not None and not row.rejected:
            continue
        if row is None:
            db.session.add(
                Mention(
                    response_id=response_id,
                    topic_id=topic.id,
                    source=MentionSource.MANUAL,
                    sentiment_label=sentiments.get(response_id),
                    confidence=1.0,
                    created_by_id=actor_id,
                )
            )
        else:
            row.rejected, row.created_by_id = False, actor_id
        changed += 1
    audit(
        actor_id, "mention.bulk_add", "topic", topic.id, topic=topic.name, responses=ids[:500], added=changed
    )
    _commit_manual()
    return changed


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
        request_analysis([response.id])


def start_retag(reason: str, actor_id: int | None = None) -> RetagRun:
    """Re-tag history (or restart the active re-tag) after the taxonomy or topic model changed."""
    from app.tasks.analysis import enqueue_retag

    run, needs_job = queue_retag(reason, actor_id)
    audit(actor_id, "retag.start", "retag_run", run.id, reason=reason)
    db.session.commit()
    if needs_job:
        enqueue_retag(run.id, 0)
    return run
