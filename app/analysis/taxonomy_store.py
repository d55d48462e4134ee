"""The taxonomy in the database: seeding from the library's default, and conversion to an ``nlp.Taxonomy``.

Topic rows are the truth; ``nlp.TopicSpec`` ids are ``str(topic.id)`` so a mention found by the library maps
straight back to a row. Retired topics (``is_active`` false, or merged) are left out of the analyser, and a
child whose parent is retired hangs under its nearest active ancestor.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Topic
from nlp import Taxonomy, TaxonomyError, TopicSpec
from nlp.taxonomy import check_pattern

log = logging.getLogger(__name__)

SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """A stable key fragment: lower-case ASCII letters and digits joined by hyphens."""
    return SLUG_RE.sub("-", text.lower()).strip("-")[:60]


def topic_count() -> int:
    """How many topic rows exist, active or not."""
    return db.session.execute(sa.select(sa.func.count(Topic.id))).scalar_one()


def seed_default_taxonomy() -> int:
    """Insert the library's default SaaS taxonomy when there are no topics yet; the caller commits."""
    if topic_count():
        return 0
    default = Taxonomy.default()
    by_key: dict[str, Topic] = {}
    for position, spec in enumerate(default):
        by_key[spec.id] = Topic(
            key=spec.id,
            name=spec.name,
            description=spec.description or None,
            phrases=list(spec.phrases),
            patterns=list(spec.patterns),
            position=position,
        )
    for spec in default:  # a second pass: a parent may be listed after its children
        by_key[spec.id].parent = by_key[spec.parent_id] if spec.parent_id else None
    db.session.add_all(by_key.values())
    db.session.flush()
    log.info("seeded the default taxonomy: %d topics", len(by_key))
    return len(by_key)


def ensure_taxonomy() -> None:
    """Seed and commit the default taxonomy if the table is empty (safe when two workers race)."""
    if topic_count():
        return
    try:
        seed_default_taxonomy()
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()  # another process seeded it first: theirs is as good as ours
        log.info("default taxonomy was seeded concurrently")


def active_topics() -> list[Topic]:
    """Topics the analyser uses, in display order."""
    return list(
        db.session.execute(
            sa.select(Topic)
            .where(Topic.is_active.is_(True), Topic.merged_into_id.is_(None))
            .order_by(Topic.position, Topic.id)
        ).scalars()
    )


def to_nlp_taxonomy(topics: list[Topic]) -> Taxonomy:
    """The library taxonomy for these (active) topic rows."""
    parents = {t.id: t.parent_id for t in db.session.execute(sa.select(Topic.id, Topic.parent_id)).all()}
    active = {t.id for t in topics}

    def active_parent(topic_id: int) -> str | None:
        seen: set[int] = set()
        current = parents.get(topic_id)
        while current is not None and current not in active and current not in seen:
            seen.add(current)
            current = parents.get(current)
        return str(current) if current in active else None

    return Taxonomy(
        TopicSpec(
            id=str(t.id),
            name=t.name,
            parent_id=active_parent(t.id),
            phrases=list(t.phrases or []),
            patterns=list(t.patterns or []),
            description=t.description or "",
        )
        for t in topics
    )


def current_taxonomy() -> Taxonomy:
    """The library taxonomy built from the database as it is now."""
    return to_nlp_taxonomy(active_topics())


def taxonomy_stamp() -> tuple[int, int, datetime | None]:
    """A cheap change detector (one aggregate query): any insert, delete or ORM update moves it."""
    row = db.session.execute(
        sa.select(sa.func.count(Topic.id), sa.func.max(Topic.id), sa.func.max(Topic.updated_at))
    ).one()
    return int(row[0] or 0), int(row[1] or 0), row[2]


def pattern_error(pattern: str) -> str | None:
    """Why a topic pattern would not compile, or None when it is fine."""
    try:
        check_pattern(pattern)
    except TaxonomyError as exc:
        return str(exc)
    return None


def merge_redirects() -> dict[int, int]:
    """Merged topic id -> the active topic its mentions belong to now (chains of merges followed)."""
    links = dict(
        db.session.execute(
            sa.select(Topic.id, Topic.merged_into_id).where(Topic.merged_into_id.is_not(None))
        ).all()
    )
    return follow_merges(links)


def follow_merges(links: dict[int, int]) -> dict[int, int]:
    """``merge_redirects`` from each merged topic's ``merged_into_id`` (chains followed, cycles cut)."""
    out = {}
    for start in links:
        seen, current = {start}, links[start]
        while current in links and current not in seen:
            seen.add(current)
            current = links[current]
        out[start] = current
    return out
