"""Editing the taxonomy: create, edit, move, retire and restore topics, and accept suggested ones.

Every change is validated before anything is written, audited, and queues a re-tag of history in the same
transaction; the re-tag job is enqueued after the commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from spacy.lang.en.stop_words import STOP_WORDS

from app.analysis.errors import AnalysisError
from app.analysis.queries import descendant_ids
from app.analysis.retag import enqueue_retag, queue_retag
from app.analysis.suggestions import forget_suggestion
from app.analysis.taxonomy_store import pattern_error, slugify
from app.audit import audit
from app.database import is_unique_violation
from app.extensions import db
from app.models import Topic

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,119}$")
WORD_RE = re.compile(r"\w+")
MAX_NAME = 120
MAX_TERMS = 300
MAX_TERM_CHARS = 120


class TopicError(AnalysisError):
    """A topic edit that cannot be saved; the message says why."""


@dataclass
class TopicInput:
    """What a person typed into a topic form."""

    name: str
    parent_id: int | None = None
    phrases: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    description: str = ""
    key: str = ""


def split_terms(text: str | None) -> list[str]:
    """One phrase or pattern per line; blanks and case-insensitive repeats dropped."""
    seen: set[str] = set()
    out = []
    for line in (text or "").splitlines():
        term = " ".join(line.split())
        if term and term.lower() not in seen:
            seen.add(term.lower())
            out.append(term)
    return out


def _check_terms(data: TopicInput) -> None:
    if len(data.phrases) > MAX_TERMS or len(data.patterns) > MAX_TERMS:
        raise TopicError(f"A topic can have at most {MAX_TERMS} phrases and {MAX_TERMS} patterns.")
    for term in data.phrases + data.patterns:
        if len(term) > MAX_TERM_CHARS:
            raise TopicError(f"“{term[:40]}…” is too long: keep phrases under {MAX_TERM_CHARS} characters.")
    for phrase in data.phrases:
        words = [w.lower() for w in WORD_RE.findall(phrase)]
        if words and all(w in STOP_WORDS for w in words):
            raise TopicError(f"The phrase “{phrase}” has only common words and would match anything.")
    for pattern in data.patterns:
        error = pattern_error(pattern)
        if error:
            raise TopicError(f"The pattern “{pattern}” is not valid: {error}.")


def _check_parent(topic: Topic | None, parent_id: int | None) -> Topic | None:
    if parent_id is None:
        return None
    parent = db.session.get(Topic, parent_id)
    if parent is None or not parent.is_active:
        raise TopicError("Choose an active parent topic.")
    if topic is not None and (parent.id == topic.id or parent.id in descendant_ids(topic.id)):
        raise TopicError("A topic cannot be moved under itself or one of its own subtopics.")
    return parent


def _check_name(topic: Topic | None, name: str, parent_id: int | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise TopicError("Give the topic a name.")
    if len(name) > MAX_NAME:
        raise TopicError(f"Keep the name under {MAX_NAME} characters.")
    clash = db.session.execute(
        sa.select(Topic.id).where(
            sa.func.lower(Topic.name) == name.lower(),
            Topic.parent_id.is_(None) if parent_id is None else Topic.parent_id == parent_id,
            Topic.is_active.is_(True),
            Topic.id != (topic.id if topic else -1),
        )
    ).first()
    if clash:
        raise TopicError(f"There is already a topic called “{name}” at that place in the tree.")
    return name


def _new_key(data: TopicInput, parent: Topic | None) -> str:
    key = data.key.strip().lower()
    if key and not KEY_RE.match(key):
        raise TopicError("A key uses lower-case letters, digits, dots and hyphens (e.g. billing.refunds).")
    if not key:
        slug = slugify(data.name) or "topic"
        key = f"{parent.key}.{slug}" if parent is not None else slug
    key = key[:120]
    if db.session.execute(sa.select(Topic.id).where(Topic.key == key)).first():
        raise TopicError(f"A topic with the key “{key}” already exists; choose another name or key.")
    return key


def _commit_change(actor_id: int | None, reason: str) -> None:
    """Queue a re-tag in the same transaction, commit, then enqueue the job."""
    run, needs_job = queue_retag(f"taxonomy: {reason}", actor_id)
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        if is_unique_violation(exc):
            raise TopicError("Another topic with that key was saved at the same moment; try again.") from exc
        raise
    if needs_job:
        enqueue_retag(run.id, 0)


def create_topic(data: TopicInput, actor_id: int | None) -> Topic:
    """Add a topic to the taxonomy."""
    parent = _check_parent(None, data.parent_id)
    name = _check_name(None, data.name, data.parent_id)
    _check_terms(data)
    key = _new_key(data, parent)
    position = (db.session.execute(sa.select(sa.func.max(Topic.position))).scalar() or 0) + 1
    topic = Topic(
        key=key,
        name=name,
        parent_id=parent.id if parent else None,
        phrases=data.phrases,
        patterns=data.patterns,
        description=data.description.strip() or None,
        position=position,
    )
    db.session.add(topic)
    db.session.flush()
    audit(actor_id, "topic.create", "topic", topic.id, key=key, name=name, phrases=len(data.phrases))
    _commit_change(actor_id, f"created {name}")
    return topic


def update_topic(topic_id: int, data: TopicInput, actor_id: int | None) -> Topic:
    """Rename, move or re-phrase a topic (its key stays: it is the stable reference)."""
    topic = db.session.get(Topic, topic_id)
    if topic is None:
        raise TopicError("That topic does not exist.")
    parent = _check_parent(topic, data.parent_id)
    name = _check_name(topic, data.name, data.parent_id)
    _check_terms(data)
    before = {"name": topic.name, "parent_id": topic.parent_id, "phrases": topic.phrases}
    topic.name, topic.parent_id = name, parent.id if parent else None
    topic.phrases, topic.patterns = data.phrases, data.patterns
    topic.description = data.description.strip() or None
    audit(actor_id, "topic.update", "topic", topic.id, before=before, name=name, parent_id=topic.parent_id)
    _commit_change(actor_id, f"edited {name}")
    return topic


def retire_topic(topic_id: int, actor_id: int | None) -> int:
    """Retire a topic and its subtopics: no new tags; existing manual tags stay visible. Returns how many."""
    topic = db.session.get(Topic, topic_id)
    if topic is None or not topic.is_active:
        raise TopicError("That topic is not active.")
    ids = {topic.id} | descendant_ids(topic.id)
    rows = db.session.execute(sa.select(Topic).where(Topic.id.in_(ids), Topic.is_active.is_(True))).scalars()
    count = 0
    for row in rows:
        row.is_active = False
        count += 1
    audit(actor_id, "topic.retire", "topic", topic.id, name=topic.name, retired=sorted(ids))
    _commit_change(actor_id, f"retired {topic.name}")
    return count


def restore_topic(topic_id: int, actor_id: int | None) -> Topic:
    """Bring a retired topic back (its parent must be active)."""
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.is_active:
        raise TopicError("That topic is not retired.")
    if topic.parent is not None and not topic.parent.is_active:
        raise TopicError(f"Restore its parent “{topic.parent.name}” first.")
    _check_name(topic, topic.name, topic.parent_id)
    topic.is_active = True
    audit(actor_id, "topic.restore", "topic", topic.id, name=topic.name)
    _commit_change(actor_id, f"restored {topic.name}")
    return topic


def accept_suggestion(label: str, phrases: list[str], parent_id: int | None, actor_id: int | None) -> Topic:
    """Turn a suggested topic into a real one, with the suggestion's phrases."""
    data = TopicInput(name=label, parent_id=parent_id, phrases=phrases[:MAX_TERMS])
    try:
        forget_suggestion(label)  # written with the new topic, in one transaction
        return create_topic(data, actor_id)
    except AnalysisError:
        db.session.rollback()
        raise
