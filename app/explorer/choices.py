"""The explorer's filter choices: surveys, the topic tree, segments and owners (small tables only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.explorer.filters import COMMENT, FOLLOWUPS, MENTION_SENTIMENTS, ExplorerFilters
from app.explorer.fulltext import CONFIGS
from app.extensions import db
from app.models import INTENTS, Account, Channel, Contact, Lifecycle, Survey, SurveyKind, Tier, Topic, User
from app.surveys.queries import BANDS, SENTIMENTS


@dataclass(frozen=True)
class TopicChoice:
    """A topic in tree order, indented by depth; retired topics come last."""

    id: int
    label: str
    active: bool


def topic_choices(active_only: bool = False) -> list[TopicChoice]:
    """Every topic (or the active ones) in tree order: children under their parent."""
    rows = db.session.execute(
        sa.select(Topic.id, Topic.name, Topic.parent_id, Topic.is_active).order_by(Topic.position, Topic.name)
    ).all()
    ids = {r.id for r in rows}
    children: dict[int | None, list[Any]] = {}
    for r in rows:
        children.setdefault(r.parent_id if r.parent_id in ids else None, []).append(r)
    out: list[TopicChoice] = []

    def walk(parent: int | None, depth: int) -> None:
        for r in children.get(parent, []):
            out.append(TopicChoice(r.id, "— " * depth + r.name, bool(r.is_active)))
            walk(r.id, depth + 1)

    walk(None, 0)
    active = [c for c in out if c.active]
    return active if active_only else active + [c for c in out if not c.active]


def filter_choices(filters: ExplorerFilters) -> dict[str, Any]:
    """Everything the filter bar offers, plus the names of the account and contact filtered on."""
    plans = db.session.execute(
        sa.select(Account.plan).where(Account.plan.is_not(None)).distinct().order_by(Account.plan)
    ).scalars()
    owners = db.session.execute(
        sa.select(User).where(User.id.in_(sa.select(Account.csm_owner_id))).order_by(User.name)
    ).scalars()
    langs = sorted({*CONFIGS, *([filters.lang] if filters.lang else [])})
    return {
        "surveys": db.session.execute(sa.select(Survey.id, Survey.name).order_by(Survey.name)).all(),
        "topics": topic_choices(),
        "kinds": [k.value for k in SurveyKind],
        "bands": list(BANDS),
        "channels": [c.value for c in Channel],
        "comments": COMMENT,
        "sentiments": SENTIMENTS,
        "mention_sentiments": MENTION_SENTIMENTS,
        "intents": INTENTS,
        "tiers": [t.value for t in Tier],
        "stages": [s.value for s in Lifecycle],
        "plans": list(plans),
        "owners": list(owners),
        "langs": langs,
        "followups": FOLLOWUPS,
        "account": db.session.get(Account, filters.account) if filters.account else None,
        "contact": db.session.get(Contact, filters.contact) if filters.contact else None,
    }


LABELS = {
    "q": "search",
    "mention_sentiment": "topic sentiment",
    "sentiment": "comment sentiment",
    "lang": "language",
    "csm": "CSM owner",
    "stage": "lifecycle",
    "start": "from",
    "end": "to",
}


def active_filters(filters: ExplorerFilters, choices: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(filter, what people read, name to clear) of each active filter: names instead of ids."""
    names: dict[str, dict[str, str]] = {
        "topic": {str(t.id): t.label.lstrip("— ") for t in choices["topics"]},
        "survey": {str(s.id): s.name for s in choices["surveys"]},
        "csm": {str(u.id): u.name or u.email for u in choices["owners"]},
    }
    if choices["account"] is not None:
        names["account"] = {str(choices["account"].id): choices["account"].name}
    if choices["contact"] is not None:
        c = choices["contact"]
        names["contact"] = {str(c.id): c.name or c.email}
    out = []
    for key, value in filters.to_args(cursor=False).items():
        if key == "sort":
            continue
        shown = names.get(key, {}).get(value, value.replace("_", " "))
        out.append((LABELS.get(key, key), shown, key))
    return out
