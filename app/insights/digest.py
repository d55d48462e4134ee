"""What a team's weekly digest says, as plain JSON-able data (stored on the Digest row, rendered as a page
and as an email from the same content, so a retry sends exactly what was built)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.insights import digest_queries as dq
from app.insights import links, sharing, stats
from app.insights.analytics import Analytics, TopicFigures, topic_analytics
from app.insights.periods import Period
from app.metrics import Change, NpsCounts, Score, nps, nps_change
from app.privacy import redact_text

CONTENT_VERSION = 1
MAX_TOPIC_ROWS = 12
MAX_MOVERS = 5
MAX_THEMES = 4
VERBATIMS_PER_THEME = 3
MAX_ACCOUNTS = 10
MAX_CLOSED = 10
EXCERPT = 280  # characters of a verbatim around its evidence
MIN_MOVER_RESPONSES = 5


def build_content(
    team_name: str, period: Period, followed: list[int] | None, since: datetime
) -> dict[str, Any]:
    """The digest of ``period`` for a team following ``followed`` topics (None: all), as JSON-able data."""
    data = topic_analytics(period, only=followed, trend_weeks=0, with_driver=False)
    scope = _scope_counts(period, followed)
    head = {
        "version": CONTENT_VERSION,
        "team": team_name,
        "period": {"first": period.first.isoformat(), "last": period.last.isoformat(), "zone": period.zone},
        "label": period.label(),
        "scope": "every topic" if followed is None else _scope_names(data, followed),
        "explorer": links.explorer_url(start=period.first, end=period.last),
    }
    if scope.responses == 0:
        about = "" if followed is None else f" about {head['scope']}"
        return {**head, "empty": True, "line": f"No new feedback{about} in the week of {period.label()}."}
    prev_scope = _scope_counts(period.previous(), followed)
    rows = _headline_rows(data, followed)
    return {
        **head,
        "empty": False,
        "totals": _totals(data, scope, prev_scope),
        "topics": [_topic_row(t, period) for t in rows],
        "movers": _movers(data.topics),
        "emerging": [_emerging(t, data) for t in data.topics if t.emerging and t.emerging.alarm],
        "retag": data.retag.id if data.retag else None,
        "themes": _themes(rows, data.topics, period),
        "revenue": _revenue(period, followed),
        "closed": _closed(since, period.end, followed),
    }


def _key(topic_ids: list[int] | None) -> tuple[int, ...] | None:
    return None if topic_ids is None else tuple(sorted(topic_ids))


def _scope_counts(period: Period, followed: list[int] | None) -> dq.ScopeCounts:
    key = ("scope_counts", period, _key(followed))
    return sharing.shared(key, lambda: dq.scope_counts(period, followed))


def _verbatims(period: Period, ids: list[int]) -> list[dict[str, Any]]:
    key = ("verbatims", period, _key(ids))
    return sharing.shared(key, lambda: pick_verbatims(dq.mention_candidates(period, ids)))


def _scope_names(data: Analytics, followed: list[int]) -> str:
    chosen = [t.node.name for t in data.topics if not set(t.node.ancestors) & set(followed)]
    return ", ".join(chosen[:6]) + (" …" if len(chosen) > 6 else "")


def _headline_rows(data: Analytics, followed: list[int] | None) -> list[TopicFigures]:
    """Top-level topics of the team's scope, busiest first."""
    wanted = set(followed or [])
    tops = [
        t
        for t in data.topics
        if (t.node.depth == 0 if followed is None else not wanted & set(t.node.ancestors))
    ]
    return sorted(tops, key=lambda t: (-t.now.responses, t.node.name))[:MAX_TOPIC_ROWS]


def _score(s: Score) -> dict[str, Any]:
    return {"value": s.value, "n": s.n, "low": s.low, "high": s.high}


def _change(c: Change | None) -> dict[str, Any] | None:
    return None if c is None else {"delta": c.delta, "beyond_noise": c.beyond_noise, "words": c.words()}


def _totals(data: Analytics, scope: dq.ScopeCounts, prev: dq.ScopeCounts) -> dict[str, Any]:
    return {
        "responses": scope.responses,
        "prev_responses": prev.responses,
        "all_responses": data.totals.responses,
        "analysed": data.totals.analysed,
        "nps": _score(nps(*scope.nps_counts)),
        "prev_nps": _score(nps(*prev.nps_counts)),
        "nps_change": _change(nps_change(NpsCounts(*prev.nps_counts), NpsCounts(*scope.nps_counts))),
    }


def _topic_row(t: TopicFigures, period: Period) -> dict[str, Any]:
    p = stats.fisher_two_sided(t.now.responses, t.share.n, t.before.responses, t.prev_share.n)
    return {
        "id": t.node.id,
        "name": t.node.name,
        "responses": t.now.responses,
        "prev_responses": t.before.responses,
        "share": t.share.value,
        "prev_share": t.prev_share.value,
        "share_beyond_noise": p < 0.05,
        "negative_pct": 100 * t.now.negative / t.now.mentions if t.now.mentions else None,
        "nps": _score(t.nps),
        "nps_change": _change(t.nps_change),
        "impact": t.impact.value,
        "url": links.explorer_url(topic=t.node.id, start=period.first, end=period.last),
    }


def _movers(topics: list[TopicFigures]) -> list[dict[str, Any]]:
    """Topics whose share moved most, with a two-sided Fisher verdict."""
    candidates = [
        t
        for t in topics
        if t.share_change is not None and max(t.now.responses, t.before.responses) >= MIN_MOVER_RESPONSES
    ]
    candidates.sort(key=lambda t: -abs(t.share_change or 0))
    out = []
    for t in candidates[:MAX_MOVERS]:
        p = stats.fisher_two_sided(t.now.responses, t.share.n, t.before.responses, t.prev_share.n)
        out.append(
            {
                "id": t.node.id,
                "name": t.node.name,
                "share": t.share.value,
                "prev_share": t.prev_share.value,
                "change": t.share_change,
                "p": p,
                "beyond_noise": p < 0.05,
            }
        )
    return out


def _emerging(t: TopicFigures, data: Analytics) -> dict[str, Any]:
    e = t.emerging
    assert e is not None
    return {
        "id": t.node.id,
        "name": t.node.name,
        "responses": e.k_now,
        "accounts": e.accounts,
        "share": e.share_now,
        "base_share": e.share_base,
        "lift": e.lift if e.lift is not None and e.lift < 1e12 else None,
        "p": e.p,
        "q": e.q,
        "url": links.explorer_url(
            topic=t.node.id, start=data.emerging_week.first, end=data.emerging_week.last
        ),
    }


def _themes(rows: list[TopicFigures], every: list[TopicFigures], period: Period) -> list[dict[str, Any]]:
    """The most negative themes, each with up to three verbatims from different accounts."""
    negative = sorted((t for t in rows if t.now.negative), key=lambda t: (-t.now.negative, t.node.name))
    themes = []
    for t in negative[:MAX_THEMES]:
        ids = [t.node.id, *[x.node.id for x in every if t.node.id in x.node.ancestors]]
        themes.append(
            {
                "id": t.node.id,
                "name": t.node.name,
                "negative": t.now.negative,
                "mentions": t.now.mentions,
                "verbatims": _verbatims(period, ids),
                "url": links.explorer_url(
                    topic=t.node.id, mention_sentiment="negative", start=period.first, end=period.last
                ),
            }
        )
    return themes


def pick_verbatims(candidates: list[dq.Candidate], limit: int = VERBATIMS_PER_THEME) -> list[dict[str, Any]]:
    """Up to ``limit`` redacted excerpts, at most one per account, readable lengths first."""
    ranked = sorted(candidates, key=lambda c: (not 30 <= len(c.comment) <= 600, c.sentiment or 0))
    seen: set[Any] = set()
    out = []
    for c in ranked:
        who = c.account_id if c.account_id is not None else f"response:{c.response_id}"
        if who in seen:
            continue
        seen.add(who)
        out.append(
            {
                "response_id": c.response_id,
                "text": redact_text(excerpt(c.comment, c.start, c.end), c.names) or "",
                "account": c.account_name,
                "account_id": c.account_id,
                "score": c.score,
                "kind": c.kind,
                "url": links.response_url(c.response_id),
            }
        )
        if len(out) == limit:
            break
    return out


def excerpt(text: str, start: int | None, end: int | None, size: int = EXCERPT) -> str:
    """Up to ``size`` characters around the evidence span, cut at spaces (so no email or name is split)."""
    text = " ".join(text.split()) if len(text) <= size else text
    if len(text) <= size:
        return text
    mid = ((start or 0) + (end or start or 0)) // 2
    lo = max(0, min(mid - size // 2, len(text) - size))
    hi = lo + size
    if lo > 0:
        lo = text.find(" ", lo) + 1 or lo
    if hi < len(text):
        hi = text.rfind(" ", lo, hi) if text.rfind(" ", lo, hi) > lo else hi
    return ("… " if lo > 0 else "") + " ".join(text[lo:hi].split()) + (" …" if hi < len(text) else "")


def _revenue(period: Period, followed: list[int] | None) -> dict[str, Any]:
    key = ("negative_revenue", period, _key(followed))
    accounts = sharing.shared(key, lambda: dq.negative_revenue(period, followed))
    return {
        "total": sum(a[2] for a in accounts),
        "count": len(accounts),
        "accounts": [
            {"id": a, "name": name, "arr": arr, "responses": n, "url": links.account_url(a)}
            for a, name, arr, n in accounts[:MAX_ACCOUNTS]
        ],
    }


def _closed(since: datetime, until: datetime, followed: list[int] | None) -> dict[str, Any]:
    key = ("closed_followups", since, until, _key(followed))
    items = sharing.shared(key, lambda: dq.closed_followups(since, until, followed))
    return {
        "since": since.isoformat(),
        "count": len(items),
        "items": [
            {
                "followup_id": c.followup_id,
                "response_id": c.response_id,
                "account": c.account_name,
                "account_id": c.account_id,
                "score": c.score,
                "kind": c.kind,
                "resolved_at": c.resolved_at.isoformat(),
                "url": links.response_url(c.response_id),
            }
            for c in items[:MAX_CLOSED]
        ],
    }
