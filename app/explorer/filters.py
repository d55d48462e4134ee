"""The explorer's URL contract: query arguments in, allow-listed filters out.

Every argument is checked against an allow-list or parsed strictly; an unknown or malformed value is
dropped, never an error. ``to_args`` gives back the canonical arguments, so a view can be shared,
bookmarked, saved and exported exactly as filtered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.explorer.fulltext import parse_query
from app.inputs import MAX_ID, parse_day, parse_id
from app.models import INTENTS, Channel, Lifecycle, SurveyKind, Tier
from app.surveys.queries import BANDS, SENTIMENTS

COMMENT = ("with", "without")
MENTION_SENTIMENTS = ("positive", "negative", "neutral")
# Follow-up states a person can filter on; "overdue" is open or contacted past its due time.
FOLLOWUPS = ("none", "open", "contacted", "resolved", "overdue")
SORTS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "score_low": "Lowest score first",
    "score_high": "Highest score first",
}
DEFAULT_SORT = "newest"
LANG_RE = re.compile(r"^[a-z]{2,3}$")
MAX_TEXT = 200
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _id(value: str | None) -> int | None:
    return parse_id(value)


def _choice(value: str | None, allowed: Any) -> str | None:
    value = (value or "").strip()
    return value if value in allowed else None


def _day(value: str | None) -> date | None:
    return parse_day(value)


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: the sort key of the last row shown (score for score sorts)."""

    created_at: datetime
    id: int
    score: int | None = None

    def encode(self) -> str:
        """``[score~]microseconds~id``: digits only, so a pasted or tampered cursor parses or is dropped."""
        micros = (self.created_at - EPOCH) // MICROSECOND
        parts = [str(micros), str(self.id)]
        return "~".join([str(self.score), *parts] if self.score is not None else parts)

    @classmethod
    def decode(cls, text: str | None, sort: str) -> Cursor | None:
        """Parse a cursor made for ``sort``; None when it is malformed or made for another sort."""
        parts = (text or "").split("~")
        want = 3 if sort.startswith("score") else 2
        if len(parts) != want or not all(re.fullmatch(r"-?[0-9]{1,20}", p) for p in parts):
            return None
        numbers = [int(p) for p in parts]
        score = numbers.pop(0) if want == 3 else None
        micros, row_id = numbers
        if not (0 < row_id <= MAX_ID) or not (0 <= micros < 253402300800 * 1_000_000):
            return None
        return cls(EPOCH + micros * MICROSECOND, row_id, score)


@dataclass(frozen=True)
class ExplorerFilters:
    """The explorer's filters, sort and cursor, each already checked (None: not filtered)."""

    survey: int | None = None
    kind: str | None = None
    band: str | None = None
    channel: str | None = None
    comment: str | None = None
    sentiment: str | None = None
    q: str | None = None
    start: date | None = None
    end: date | None = None
    account: int | None = None
    contact: int | None = None
    topic: int | None = None
    mention_sentiment: str | None = None
    intent: str | None = None
    tier: str | None = None
    plan: str | None = None
    stage: str | None = None
    csm: int | None = None
    lang: str | None = None
    followup: str | None = None
    sort: str = DEFAULT_SORT
    after: Cursor | None = None

    @classmethod
    def from_args(cls, args: Any) -> ExplorerFilters:
        """Filters from query arguments (a dict or MultiDict); anything unknown or malformed is dropped."""
        get = args.get
        q = " ".join((get("q") or "").split())[:MAX_TEXT]
        sort = _choice(get("sort"), SORTS) or DEFAULT_SORT
        lang = (get("lang") or "").strip().lower()
        plan = (get("plan") or "").strip()
        return cls(
            survey=_id(get("survey")),
            kind=_choice(get("kind"), {k.value for k in SurveyKind}),
            band=_choice(get("band"), BANDS),
            channel=_choice(get("channel"), {c.value for c in Channel}),
            comment=_choice(get("comment"), COMMENT),
            sentiment=_choice(get("sentiment"), SENTIMENTS),
            q=q if parse_query(q) else None,
            start=_day(get("start")),
            end=_day(get("end")),
            account=_id(get("account")),
            contact=_id(get("contact")),
            topic=_id(get("topic")),
            mention_sentiment=_choice(get("mention_sentiment"), MENTION_SENTIMENTS),
            intent=_choice(get("intent"), INTENTS),
            tier=_choice(get("tier"), {t.value for t in Tier}),
            plan=plan if 0 < len(plan) <= 50 else None,
            stage=_choice(get("stage"), {s.value for s in Lifecycle}),
            csm=_id(get("csm")),
            lang=lang if LANG_RE.match(lang) else None,
            followup=_choice(get("followup"), FOLLOWUPS),
            sort=sort,
            after=Cursor.decode(get("after"), sort),
        )

    def to_args(self, *, cursor: bool = True) -> dict[str, str]:
        """The canonical query arguments of these filters (the default sort and empty values left out)."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name == "sort" and value == DEFAULT_SORT):
                continue
            if f.name == "after":
                if cursor:
                    out["after"] = value.encode()
                continue
            out[f.name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    @property
    def active(self) -> bool:
        """Whether any filter (not sort or cursor) is set."""
        return bool(set(self.to_args(cursor=False)) - {"sort"})

    def first_page(self) -> ExplorerFilters:
        """The same filters and sort without a cursor."""
        return replace(self, after=None)

    def without(self, *names: str) -> ExplorerFilters:
        """These filters with some cleared (and the cursor, since the rows change)."""
        return replace(self, after=None, **dict.fromkeys(names))
