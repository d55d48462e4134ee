"""Follow-up rules: their conditions, checked when admins save them, turned into one SQL condition used
alike to open follow-ups and to preview a rule against the last 30 days.

A rule's conditions all have to hold (AND); inside one condition any listed value does (OR). A rule
with no condition would open a follow-up on every answer, so it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    INTENTS,
    Account,
    FollowUpRule,
    Mention,
    Response,
    ResponseIntent,
    SurveyKind,
    Tier,
    utcnow,
)
from app.workspace_settings import get_setting, set_settings

# Score bands: NPS detractor/passive/promoter; CSAT and CES low/neutral/high (models.responses.score_band).
BANDS: dict[str, str] = {
    "detractor": "NPS detractor (0–6)",
    "passive": "NPS passive (7–8)",
    "promoter": "NPS promoter (9–10)",
    "negative": "CSAT 1–2 or CES 1–3",
    "neutral": "CSAT 3 or CES 4",
    "positive": "CSAT 4–5 or CES 5–7",
}
_BAND_RANGES: dict[str, list[tuple[SurveyKind, int, int]]] = {
    "detractor": [(SurveyKind.NPS, 0, 6)],
    "passive": [(SurveyKind.NPS, 7, 8)],
    "promoter": [(SurveyKind.NPS, 9, 10)],
    "negative": [(SurveyKind.CSAT, 1, 2), (SurveyKind.CES, 1, 3)],
    "neutral": [(SurveyKind.CSAT, 3, 3), (SurveyKind.CES, 4, 4)],
    "positive": [(SurveyKind.CSAT, 4, 5), (SurveyKind.CES, 5, 7)],
}
SENTIMENTS = ("negative", "neutral", "positive")
TEXT_KEYS = ("sentiment", "topic_ids", "intents")  # conditions that need the comment analysed
INTENT_MIN_SCORE = 0.5
PREVIEW_DAYS = 30
DEFAULT_RULES: list[tuple[str, dict[str, Any]]] = [
    ("Detractors", {"bands": ["detractor"]}),
    ("Negative comment", {"sentiment": "negative"}),
    ("Churn risk", {"intents": ["churn_risk"]}),
]


class RuleError(ValueError):
    """A rule that cannot be saved, with a message for the admin."""


@dataclass(frozen=True)
class Conditions:
    """A rule's conditions, validated. Empty tuples / None mean "not a condition"."""

    bands: tuple[str, ...] = ()
    sentiment: str | None = None
    topic_ids: tuple[int, ...] = ()
    topic_negative: bool = False
    intents: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    min_arr: int | None = None
    survey_ids: tuple[int, ...] = ()

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Conditions:
        """Validate stored or submitted conditions; RuleError when something is unknown or none is set."""
        bands = tuple(raw.get("bands") or ())
        intents = tuple(raw.get("intents") or ())
        tiers = tuple(raw.get("tiers") or ())
        sentiment = raw.get("sentiment") or None
        if unknown := [b for b in bands if b not in BANDS]:
            raise RuleError(f"Unknown score band: {', '.join(map(str, unknown))}.")
        if unknown := [i for i in intents if i not in INTENTS]:
            raise RuleError(f"Unknown intent: {', '.join(map(str, unknown))}.")
        if unknown := [t for t in tiers if t not in {m.value for m in Tier}]:
            raise RuleError(f"Unknown account tier: {', '.join(map(str, unknown))}.")
        if sentiment is not None and sentiment not in SENTIMENTS:
            raise RuleError("Sentiment must be negative, neutral or positive.")
        min_arr = raw.get("min_arr")
        if min_arr is not None and (isinstance(min_arr, bool) or not isinstance(min_arr, int) or min_arr < 0):
            raise RuleError("Minimum ARR must be a whole number of 0 or more.")
        conditions = cls(
            bands=bands,
            sentiment=sentiment,
            topic_ids=tuple(int(t) for t in raw.get("topic_ids") or ()),
            topic_negative=bool(raw.get("topic_negative")),
            intents=intents,
            tiers=tiers,
            min_arr=min_arr or None,
            survey_ids=tuple(int(s) for s in raw.get("survey_ids") or ()),
        )
        if conditions.is_empty:
            raise RuleError(
                "A rule needs at least one condition; without one it would follow up every answer."
            )
        return conditions

    @property
    def is_empty(self) -> bool:
        """No condition set at all."""
        return not (
            self.bands
            or self.sentiment
            or self.topic_ids
            or self.intents
            or self.tiers
            or self.min_arr
            or self.survey_ids
        )

    @property
    def needs_analysis(self) -> bool:
        """Whether the rule reads the comment's analysis (so it runs once the comment is analysed)."""
        return bool(self.sentiment or self.topic_ids or self.intents)

    def as_dict(self) -> dict[str, Any]:
        """The JSON stored on the rule (only the conditions that are set)."""
        out: dict[str, Any] = {
            "bands": list(self.bands),
            "sentiment": self.sentiment,
            "topic_ids": list(self.topic_ids),
            "topic_negative": self.topic_negative if self.topic_ids else None,
            "intents": list(self.intents),
            "tiers": list(self.tiers),
            "min_arr": self.min_arr,
            "survey_ids": list(self.survey_ids),
        }
        return {k: v for k, v in out.items() if v}

    def where(self) -> sa.ColumnElement[bool]:
        """The SQL condition on ``Response`` (correlated subqueries; no joins needed)."""
        parts: list[sa.ColumnElement[bool]] = []
        if self.bands:
            ranges = [r for band in self.bands for r in _BAND_RANGES[band]]
            parts.append(
                sa.or_(*(sa.and_(Response.kind == k, Response.score.between(lo, hi)) for k, lo, hi in ranges))
            )
        if self.sentiment:
            parts.append(Response.sentiment_label == self.sentiment)
        if self.topic_ids:
            mention = sa.select(Mention.id).where(
                Mention.response_id == Response.id,
                Mention.topic_id.in_(self.topic_ids),
                Mention.rejected.is_(False),
            )
            if self.topic_negative:
                mention = mention.where(Mention.sentiment_label == "negative")
            parts.append(mention.exists())
        if self.intents:
            intent = sa.select(ResponseIntent.id).where(
                ResponseIntent.response_id == Response.id,
                ResponseIntent.label.in_(self.intents),
                ResponseIntent.score >= INTENT_MIN_SCORE,
            )
            parts.append(intent.exists())
        if self.tiers or self.min_arr:
            account = sa.select(Account.id).where(Account.id == Response.account_id)
            if self.tiers:
                account = account.where(Account.tier.in_(self.tiers))
            if self.min_arr:
                account = account.where(Account.arr >= self.min_arr)
            parts.append(account.exists())
        if self.survey_ids:
            parts.append(Response.survey_id.in_(self.survey_ids))
        return sa.and_(*parts)


def ensure_default_rules() -> None:
    """Create the default rules once per workspace (admins may delete them afterwards); commits."""
    if get_setting("followup_rules_seeded"):
        return
    existing = set(db.session.execute(sa.select(FollowUpRule.name)).scalars())
    for position, (name, conditions) in enumerate(DEFAULT_RULES):
        if name not in existing:
            db.session.add(FollowUpRule(name=name, position=position, conditions=conditions))
    set_settings({"followup_rules_seeded": True})
    db.session.commit()


def active_rules() -> list[tuple[FollowUpRule, Conditions]]:
    """Enabled rules in order, with their parsed conditions (a rule that no longer parses is skipped)."""
    ensure_default_rules()
    rows = db.session.execute(
        sa.select(FollowUpRule)
        .where(FollowUpRule.enabled.is_(True))
        .order_by(FollowUpRule.position, FollowUpRule.id)
    ).scalars()
    out = []
    for rule in rows:
        try:
            out.append((rule, Conditions.parse(rule.conditions or {})))
        except RuleError:
            continue
    return out


@dataclass(frozen=True)
class Preview:
    """What a rule would have done over the last PREVIEW_DAYS days."""

    responses: int  # answers it matches
    followups: int  # follow-ups they would have opened (one per contact; each anonymous answer its own)
    days: int = PREVIEW_DAYS


def preview(conditions: Conditions, days: int = PREVIEW_DAYS) -> Preview:
    """Count the last ``days`` days' answers a rule matches, and the follow-ups they would have opened."""
    since = utcnow() - timedelta(days=days)
    base = sa.select(Response.id, Response.contact_id).where(Response.created_at >= since, conditions.where())
    sub = base.subquery()
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(sa.distinct(sub.c.contact_id)),
            sa.func.count().filter(sub.c.contact_id.is_(None)),
        ).select_from(sub)
    ).one()
    return Preview(responses=row[0], followups=row[1] + row[2], days=days)
