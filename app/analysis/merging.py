"""Merging one topic into another: every mention moves to the target, nothing is lost.

The source keeps its row (retired, ``merged_into_id`` set) so old links and the audit log still resolve;
its phrases and patterns join the target's, so re-tagging finds the same comments under the target; its
subtopics and team subscriptions move to the target. Tagging maps any mention of a merged topic to its
target (app/analysis/tagging.py), so a trained topic model that still knows the old topic does no harm.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.analysis.editing import MAX_TERMS, TopicError, _commit_change
from app.analysis.queries import descendant_ids
from app.audit import audit
from app.extensions import db
from app.models import Mention, MentionSource, Topic, team_topics


@dataclass(frozen=True)
class MergeResult:
    """What a merge moved."""

    mentions: int
    responses: int
    subtopics: int


def check_merge(source_id: int, target_id: int | None) -> tuple[Topic, Topic]:
    """The two topics of a merge, or a TopicError saying why they cannot be merged."""
    source = db.session.get(Topic, source_id)
    target = db.session.get(Topic, target_id) if target_id else None
    if source is None or not source.is_active:
        raise TopicError("Only an active topic can be merged.")
    if target is None or not target.is_active:
        raise TopicError("Choose the active topic to merge it into.")
    if target.id == source.id:
        raise TopicError("A topic cannot be merged into itself.")
    if target.id in descendant_ids(source.id):
        raise TopicError(
            "A topic cannot be merged into one of its own subtopics; move that subtopic out first."
        )
    return source, target


def _terms(first: list[str], second: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for term in [*first, *second]:
        if term.lower() not in seen:
            seen.add(term.lower())
            out.append(term)
    return out[:MAX_TERMS]


def _move_manual(source: Topic, target: Topic) -> None:
    """Manual rows: where both topics have one on a response, keep one (an acceptance beats a rejection)."""
    manual = sa.and_(Mention.source == MentionSource.MANUAL)
    target_rows = {
        m.response_id: m
        for m in db.session.execute(sa.select(Mention).where(manual, Mention.topic_id == target.id)).scalars()
    }
    for row in db.session.execute(sa.select(Mention).where(manual, Mention.topic_id == source.id)).scalars():
        twin = target_rows.get(row.response_id)
        if twin is None:
            row.topic_id = target.id
            continue
        if twin.rejected and not row.rejected:
            twin.rejected, twin.created_by_id = False, row.created_by_id
        db.session.delete(row)
    db.session.flush()


def _move_automatic(source: Topic, target: Topic) -> None:
    """Phrase and model mentions move to the target, except where a person rejected the target."""
    vetoed = sa.select(Mention.response_id).where(
        Mention.topic_id == target.id, Mention.source == MentionSource.MANUAL, Mention.rejected.is_(True)
    )
    db.session.execute(
        sa.delete(Mention).where(Mention.topic_id == source.id, Mention.response_id.in_(vetoed))
    )
    db.session.execute(sa.update(Mention).where(Mention.topic_id == source.id).values(topic_id=target.id))


def _move_subscriptions(source: Topic, target: Topic) -> None:
    """Teams following the source follow the target instead."""
    followers = sa.select(team_topics.c.team_id).where(team_topics.c.topic_id == target.id)
    db.session.execute(
        team_topics.insert().from_select(
            ["team_id", "topic_id"],
            sa.select(team_topics.c.team_id, sa.literal(target.id)).where(
                team_topics.c.topic_id == source.id, team_topics.c.team_id.not_in(followers)
            ),
        )
    )
    db.session.execute(team_topics.delete().where(team_topics.c.topic_id == source.id))


def merge_topics(source_id: int, target_id: int | None, actor_id: int | None) -> MergeResult:
    """Merge ``source`` into ``target``: mentions, phrases, subtopics and subscriptions; then re-tag."""
    source, target = check_merge(source_id, target_id)
    mentions, responses = db.session.execute(
        sa.select(sa.func.count(Mention.id), sa.func.count(sa.distinct(Mention.response_id))).where(
            Mention.topic_id == source.id, Mention.rejected.is_(False)
        )
    ).one()
    _move_manual(source, target)
    _move_automatic(source, target)
    _move_subscriptions(source, target)
    children = db.session.execute(
        sa.update(Topic).where(Topic.parent_id == source.id).values(parent_id=target.id)
    ).rowcount
    target.phrases = _terms(list(target.phrases or []), list(source.phrases or []))
    target.patterns = _terms(list(target.patterns or []), list(source.patterns or []))
    source.is_active, source.merged_into_id = False, target.id
    details = {"name": source.name, "into": target.id, "into_name": target.name, "mentions": mentions}
    audit(actor_id, "topic.merge", "topic", source.id, subtopics=children, **details)
    _commit_change(actor_id, f"merged {source.name} into {target.name}")
    return MergeResult(int(mentions), int(responses), int(children or 0))
