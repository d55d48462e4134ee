"""Read-only queries behind the topics and tagging pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import queue
from app.analysis.suggestions import stored_suggestions
from app.analysis.taxonomy_store import current_taxonomy
from app.analysis.training import model_info
from app.extensions import db
from app.models import (
    AnalysisState,
    FollowUp,
    FollowUpEvent,
    Mention,
    Response,
    RetagRun,
    RetagState,
    Topic,
    followup_responses,
    utcnow,
)

# Read models of private modules, offered here so pages find every read in one place.
__all__ = [
    "RECENT_DAYS",
    "TopicRow",
    "analysis_state_counts",
    "current_taxonomy",
    "descendant_ids",
    "failed_responses",
    "latest_analyzer_version",
    "model_info",
    "nlp_queue_length",
    "oldest_pending_seconds",
    "parent_choices",
    "recent_runs",
    "response_with_mentions",
    "run_percent",
    "run_processed",
    "stored_suggestions",
    "topic_examples",
    "topic_tree",
]

RECENT_DAYS = 90


@dataclass(frozen=True)
class TopicRow:
    """One topic of the tree with its numbers over the recent period."""

    topic: Topic
    depth: int
    count: int
    negative: int
    subtree_count: int | None = None  # responses mentioning it or a subtopic (top-level topics only)

    @property
    def negative_share(self) -> float:
        """Percent of its responses where the topic was negative."""
        return 100.0 * self.negative / self.count if self.count else 0.0


def _counts(since: Any, roots: dict[int, int] | None = None) -> dict[int, tuple[int, int]]:
    """Distinct responses and negative responses per topic (or per root topic) since a time."""
    key = sa.case(roots, value=Mention.topic_id, else_=Mention.topic_id) if roots else Mention.topic_id
    negative = sa.case((Mention.sentiment_label == "negative", Mention.response_id))
    responses = sa.func.count(sa.distinct(Mention.response_id))
    rows = db.session.execute(
        sa.select(key.label("k"), responses, sa.func.count(sa.distinct(negative)))
        .join(Response, Response.id == Mention.response_id)
        .where(Response.created_at >= since, Mention.rejected.is_(False))
        .group_by(key)
    ).all()
    return {k: (n, neg) for k, n, neg in rows}


def topic_tree(active: bool = True, days: int = RECENT_DAYS) -> list[TopicRow]:
    """Topics in tree order (children under their parent) with their recent counts."""
    topics = list(
        db.session.execute(
            sa.select(Topic).where(Topic.is_active.is_(active)).order_by(Topic.position, Topic.name)
        ).scalars()
    )
    ids = {t.id for t in topics}
    children: dict[int | None, list[Topic]] = {}
    for t in topics:
        children.setdefault(t.parent_id if t.parent_id in ids else None, []).append(t)
    since = utcnow() - timedelta(days=days)
    own = _counts(since)
    roots: dict[int, int] = {}
    ordered: list[tuple[Topic, int]] = []

    def walk(parent: int | None, depth: int, root: int | None) -> None:
        for t in children.get(parent, []):
            if root is not None:
                roots[t.id] = root
            ordered.append((t, depth))
            walk(t.id, depth + 1, root if root is not None else t.id)

    walk(None, 0, None)
    subtree = _counts(since, roots) if roots else {}
    rows = []
    for t, depth in ordered:
        n, neg = own.get(t.id, (0, 0))
        total = subtree.get(t.id, (n, neg))[0] if depth == 0 and children.get(t.id) else None
        rows.append(TopicRow(t, depth, n, neg, total))
    return rows


def descendant_ids(topic_id: int) -> set[int]:
    """Ids of every topic below this one."""
    children: dict[int | None, list[int]] = {}
    for tid, parent in db.session.execute(sa.select(Topic.id, Topic.parent_id)).all():
        children.setdefault(parent, []).append(tid)
    out: set[int] = set()
    stack = list(children.get(topic_id, []))
    while stack:
        tid = stack.pop()
        if tid not in out:
            out.add(tid)
            stack += children.get(tid, [])
    return out


def parent_choices(exclude: Topic | None = None) -> list[tuple[int, str]]:
    """(id, indented name) of active topics a topic may be placed under."""
    rows = topic_tree()
    banned: set[int] = set()
    if exclude is not None:
        banned = {exclude.id} | descendant_ids(exclude.id)
    return [(r.topic.id, "— " * r.depth + r.topic.name) for r in rows if r.topic.id not in banned]


def analysis_state_counts() -> dict[str, int]:
    """How many responses are in each analysis state."""
    rows = db.session.execute(
        sa.select(Response.analysis_state, sa.func.count()).group_by(Response.analysis_state)
    ).all()
    counts = {state.value: 0 for state in AnalysisState}
    counts.update({state.value: n for state, n in rows})
    return counts


def oldest_pending_seconds() -> int | None:
    """Age of the oldest pending request, in seconds."""
    oldest = db.session.execute(
        sa.select(sa.func.min(Response.analysis_requested_at)).where(
            Response.analysis_state == AnalysisState.PENDING
        )
    ).scalar()
    return int((utcnow() - oldest).total_seconds()) if oldest else None


def failed_responses(limit: int = 100) -> list[Response]:
    """Responses whose tagging failed, newest request first."""
    return list(
        db.session.execute(
            sa.select(Response)
            .where(Response.analysis_state == AnalysisState.FAILED)
            .order_by(Response.analysis_requested_at.desc(), Response.id.desc())
            .limit(limit)
        ).scalars()
    )


def recent_runs(limit: int = 10) -> list[RetagRun]:
    """The latest re-tag runs."""
    return list(db.session.execute(sa.select(RetagRun).order_by(RetagRun.id.desc()).limit(limit)).scalars())


def nlp_queue_length() -> int | None:
    """Jobs waiting on the nlp queue, or None when jobs run inline or Redis does not answer."""
    if queue.jobs_inline():
        return None
    try:
        return queue.get_queue("nlp").count
    except Exception:  # Redis down: the page shows "unknown" rather than failing
        return None


def response_with_mentions(response_id: int) -> Response | None:
    """A response with its mentions and their topics, intents, survey, contact and account loaded."""
    return db.session.execute(
        sa.select(Response)
        .where(Response.id == response_id)
        .options(
            selectinload(Response.mentions).selectinload(Mention.topic),
            selectinload(Response.intents),
            selectinload(Response.survey),
            selectinload(Response.contact),
            selectinload(Response.account),
        )
    ).scalar_one_or_none()


def response_followups(response_id: int) -> list[FollowUp]:
    """The follow-ups this response opened or joined, with their history (newest event last)."""
    joined = sa.select(followup_responses.c.followup_id).where(
        followup_responses.c.response_id == response_id
    )
    return list(
        db.session.execute(
            sa.select(FollowUp)
            .where(sa.or_(FollowUp.response_id == response_id, FollowUp.id.in_(joined)))
            .options(
                selectinload(FollowUp.events).selectinload(FollowUpEvent.actor),
                selectinload(FollowUp.assignee),
            )
            .order_by(FollowUp.id)
        ).scalars()
    )


def topic_examples(topic_id: int, limit: int = 5) -> list[Response]:
    """The latest responses tagged with a topic, with mentions loaded for highlighting."""
    ids = (
        sa.select(Mention.response_id)
        .where(Mention.topic_id == topic_id, Mention.rejected.is_(False))
        .order_by(Mention.response_id.desc())
        .limit(limit * 4)
    )
    return list(
        db.session.execute(
            sa.select(Response)
            .where(Response.id.in_(ids))
            .options(selectinload(Response.mentions).selectinload(Mention.topic))
            .order_by(Response.id.desc())
            .limit(limit)
        )
        .scalars()
        .unique()
    )


def run_processed(run: RetagRun) -> int:
    """Responses a run has gone through (never more than its total)."""
    return min(run.processed, run.total)


def run_percent(run: RetagRun) -> int:
    """A run's progress in whole percent."""
    if run.state == RetagState.DONE:
        return 100
    return int(100 * run_processed(run) / run.total) if run.total else 0


def latest_analyzer_version() -> str | None:
    """The analyser version that tagged the most recently analysed response."""
    return db.session.execute(
        sa.select(Response.analyzer_version)
        .where(Response.analyzed_at.is_not(None), Response.analyzer_version.is_not(None))
        .order_by(Response.analyzed_at.desc())
        .limit(1)
    ).scalar()
