"""Before a taxonomy edit is saved: which recent comments would start and stop matching the topic.

"Now" is what the comments are tagged with today (their phrase and pattern mentions, as people see them);
"after" is what an analyser built on the proposed taxonomy finds in the same comments (phrases and
patterns only: a trained topic model does not read phrases, so its tags do not change with them).
Manual tags are kept whatever the phrases say, and a person's rejection keeps a topic off a comment;
the preview says so rather than counting them as changes. Nothing is written.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import timedelta
from threading import Lock

import sqlalchemy as sa
from flask import current_app

from app.analysis.editing import TopicError, TopicInput, _check_name, _check_parent, _check_terms
from app.analysis.merging import check_merge
from app.analysis.taxonomy_store import active_topics, to_nlp_taxonomy
from app.extensions import db
from app.models import Mention, MentionSource, Response, Topic, utcnow
from nlp import Analyzer, Taxonomy, TaxonomyError, TopicSpec

SAMPLE = 500  # the most recent comments a preview reads (an analyser pass over them takes well under 1 s)
RECENT_DAYS = 90
EXAMPLES = 8
NEW_ID = "proposed"
_analyzers: OrderedDict[str, Analyzer] = OrderedDict()  # by taxonomy fingerprint: a repeated preview is cheap
_lock = Lock()


@dataclass
class Preview:
    """What saving would change among the recent comments read."""

    scanned: int = 0
    start: list[Response] = field(default_factory=list)
    stop: list[Response] = field(default_factory=list)
    start_count: int = 0
    stop_count: int = 0
    unchanged: int = 0
    manual: int = 0  # tagged by a person: stays whatever the phrases say
    vetoed: int = 0  # would match, but a person rejected the topic there
    moved: int = 0  # comments of the topic that change parent in the tree
    old_path: str = ""
    new_path: str = ""
    error: str | None = None


def _recent() -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(Response.id, Response.comment)
        .where(
            Response.created_at >= utcnow() - timedelta(days=RECENT_DAYS),
            Response.comment.is_not(None),
            Response.comment != "",
        )
        .order_by(Response.created_at.desc(), Response.id.desc())
        .limit(SAMPLE)
    ).all()
    return [(r.id, r.comment) for r in rows]


def _analyzer(taxonomy: Taxonomy) -> Analyzer:
    key = taxonomy.fingerprint()
    with _lock:
        if key in _analyzers:
            _analyzers.move_to_end(key)
            return _analyzers[key]
    analyzer = Analyzer(
        taxonomy=taxonomy,
        model=current_app.config.get("NLP_MODEL") or None,
        cache_dir=current_app.config.get("NLP_CACHE_DIR") or None,
    )
    with _lock:
        _analyzers[key] = analyzer
        while len(_analyzers) > 2:
            _analyzers.popitem(last=False)
    return analyzer


def _proposed(topic: Topic | None, data: TopicInput) -> Taxonomy:
    """The current taxonomy with the edit applied (a new topic gets a placeholder id)."""
    current = to_nlp_taxonomy(active_topics())
    spec = TopicSpec(
        id=str(topic.id) if topic else NEW_ID,
        name=data.name or "New topic",
        parent_id=str(data.parent_id) if data.parent_id else None,
        phrases=list(data.phrases),
        patterns=list(data.patterns),
    )
    specs = [spec if t.id == spec.id else t for t in current]
    return Taxonomy(specs if topic is not None and spec.id in current else [*specs, spec])


def _tagged(topic_id: int | None, ids: list[int]) -> tuple[set[int], set[int], set[int]]:
    """(phrase-tagged, manually tagged, rejected) among these responses, for the topic."""
    if topic_id is None or not ids:
        return set(), set(), set()
    rows = db.session.execute(
        sa.select(Mention.response_id, Mention.source, Mention.rejected).where(
            Mention.topic_id == topic_id, Mention.response_id.in_(ids)
        )
    ).all()
    phrase = {r.response_id for r in rows if r.source == MentionSource.PHRASE and not r.rejected}
    manual = {r.response_id for r in rows if r.source == MentionSource.MANUAL and not r.rejected}
    return phrase, manual, {r.response_id for r in rows if r.rejected}


def _path(topic_id: int | None) -> str:
    names = []
    seen: set[int] = set()
    while topic_id is not None and topic_id not in seen:
        seen.add(topic_id)
        topic = db.session.get(Topic, topic_id)
        if topic is None:
            break
        names.append(topic.name)
        topic_id = topic.parent_id
    return " › ".join(reversed(names)) or "the top level"


def _examples(ids: set[int]) -> list[Response]:
    if not ids:
        return []
    chosen = sorted(ids, reverse=True)[:EXAMPLES]
    rows = db.session.execute(sa.select(Response).where(Response.id.in_(chosen))).scalars()
    return sorted(rows, key=lambda r: -r.id)


def preview_edit(topic_id: int | None, data: TopicInput) -> Preview:
    """What saving this topic form (a new topic when ``topic_id`` is None) would change. Never writes."""
    topic = db.session.get(Topic, topic_id) if topic_id is not None else None
    try:
        _check_parent(topic, data.parent_id)
        _check_name(topic, data.name, data.parent_id)
        _check_terms(data)
        taxonomy = _proposed(topic, data)
    except (TopicError, TaxonomyError) as exc:
        return Preview(error=str(exc))
    sample = _recent()
    key = str(topic.id) if topic else NEW_ID
    results = _analyzer(taxonomy).analyze([text for _, text in sample])
    after = {
        rid for (rid, _), r in zip(sample, results, strict=True) if any(m.topic_id == key for m in r.mentions)
    }
    now, manual, rejected = _tagged(topic.id if topic else None, [rid for rid, _ in sample])
    start, stop = after - now - manual - rejected, now - after
    out = Preview(
        scanned=len(sample),
        start=_examples(start),
        stop=_examples(stop),
        start_count=len(start),
        stop_count=len(stop),
        unchanged=len(after & now),
        manual=len(manual),
        vetoed=len(after & rejected),
    )
    if topic is not None and topic.parent_id != data.parent_id:
        out = replace(
            out,
            moved=len(now | manual | after - rejected),
            old_path=_path(topic.parent_id),
            new_path=_path(data.parent_id),
        )
    return out


def preview_merge(source_id: int, target_id: int | None) -> Preview:
    """What merging would change: comments of the source that start matching the target (none stop)."""
    try:
        source, target = check_merge(source_id, target_id)
    except TopicError as exc:
        return Preview(error=str(exc))
    accepted = sa.select(Mention.response_id).where(Mention.rejected.is_(False))
    of_source = set(db.session.execute(accepted.where(Mention.topic_id == source.id)).scalars())
    of_target = set(db.session.execute(accepted.where(Mention.topic_id == target.id)).scalars())
    vetoed = set(
        db.session.execute(
            sa.select(Mention.response_id).where(Mention.topic_id == target.id, Mention.rejected.is_(True))
        ).scalars()
    )
    start = of_source - of_target - vetoed
    return Preview(
        scanned=len(of_source),
        start=_examples(start),
        start_count=len(start),
        unchanged=len(of_source & of_target),
        vetoed=len(of_source & vetoed),
        old_path=_path(source.id),
        new_path=_path(target.id),
    )
