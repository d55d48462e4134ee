"""The reference: topic analytics' read models as they were before ``topic_hits`` (app/insights/queries.py
of the parent revision), joining the period's responses to their mentions and the topic tree. Kept for
tests/insights/test_query_equivalence.py to compare the fast path against.

Read models of topic analytics: the topic tree and SQL aggregates over responses and their mentions.

Every count is of distinct responses unless it says mentions. A topic's figures include its subtopics
(a parent includes its children, as in the explorer): mentions are joined to a small (descendant, ancestor)
table (a recursive CTE over the tree), so one grouped query answers for every topic at once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.insights import queries as q
from app.insights.periods import Period
from app.models import (
    Account,
    AnalysisState,
    Mention,
    Response,
    SurveyKind,
    Topic,
)


def _pairs(only: Iterable[int] | None = None) -> sa.CTE:
    """(d, a): every active topic d with itself and each of its ancestors a (a recursive CTE over the
    tree: plain SQL, so the statement is compiled once and cached). ``only`` keeps those ancestors."""
    return _pairs_cte(None if only is None else tuple(sorted(set(only))))


@functools.lru_cache(maxsize=128)
def _pairs_cte(only: tuple[int, ...] | None) -> sa.CTE:
    """The construct of ``_pairs``: it holds no data (the tree is read by the database at each
    execution), so one object per ``only`` serves every query; building it costs more than running it."""
    anchor = sa.select(Topic.id.label("d"), Topic.id.label("a")).where(Topic.is_active.is_(True))
    tree = anchor.cte("topic_tree", recursive=True)
    parent = sa.orm.aliased(Topic)
    # UNION, not UNION ALL: a cycle in the tree (refused by the editor) still could not loop forever.
    tree = tree.union(
        sa.select(tree.c.d, parent.parent_id)
        .join(parent, parent.id == tree.c.a)
        .where(parent.parent_id.is_not(None))
    )
    query = sa.select(tree.c.d, tree.c.a)
    if only is not None:
        query = query.where(tree.c.a.in_(list(only)))
    return query.cte("topic_pairs")


def _in_period(period_start: datetime, period_end: datetime, survey_id: int | None) -> list:
    conditions = [Response.created_at >= period_start, Response.created_at < period_end]
    if survey_id is not None:
        conditions.append(Response.survey_id == survey_id)
    return conditions


def period_responses(period_start: datetime, period_end: datetime, survey_id: int | None = None) -> sa.CTE:
    """The period's responses as a materialised CTE, so every query starts from the period (by the
    created_at index) and reaches mentions by response id: its cost follows the period, not the history."""
    return (
        sa.select(
            Response.id,
            Response.account_id,
            Response.kind,
            Response.score,
            Response.created_at,
            sa.case((Response.kind == SurveyKind.NPS, Response.score)).label("nps"),
        )
        .where(*_in_period(period_start, period_end, survey_id))
        .cte("period_responses")
        .prefix_with("MATERIALIZED")
    )


def _mention_join(pairs: sa.CTE, r: sa.CTE) -> sa.Select:
    """FROM the period's responses joined to their (not rejected) mentions and the pairs table."""
    return (
        sa.select()
        .select_from(r)
        .join(Mention, Mention.response_id == r.c.id)
        .join(pairs, pairs.c.d == Mention.topic_id)
        .where(Mention.rejected.is_(False))
    )


def topic_counts(
    period: Period,
    survey_id: int | None = None,
    only: Iterable[int] | None = None,
    sentiment: bool = True,
) -> dict[int, q.TopicCounts]:
    """Responses, accounts, NPS bands and (with ``sentiment``) mention sentiment per topic, subtopics in.

    One statement, one pass over the period's mentions: the inner query groups them to one row per
    (topic, response) carrying that response's mention counts by sentiment label, and the outer one sums
    those rows per topic (a response counts once per topic, its mentions each count)."""
    pairs = _pairs(only)
    r = period_responses(period.start, period.end, survey_id)
    labels: list[sa.ColumnElement] = []
    if sentiment:
        # a mention without a label counts as neutral; any other label counts nowhere
        label = sa.func.coalesce(Mention.sentiment_label, "neutral")
        labels = [
            sa.func.sum(sa.case((label == lab, 1), else_=0)).label(lab)
            for lab in ("positive", "neutral", "negative")
        ]
    per_response = (
        _mention_join(pairs, r)
        .add_columns(pairs.c.a.label("a"), r.c.id.label("rid"), r.c.account_id.label("acc"), r.c.nps, *labels)
        .group_by(pairs.c.a, r.c.id, r.c.account_id, r.c.nps)
        .subquery()
    )
    sums = [sa.func.sum(per_response.c[lab]) for lab in ("positive", "neutral", "negative") if sentiment]
    out: dict[int, q.TopicCounts] = {}
    for a, n, accounts, p, m, d, *mentions in db.session.execute(
        sa.select(
            per_response.c.a,
            sa.func.count(),
            sa.func.count(sa.distinct(per_response.c.acc)),
            *q._bands(per_response.c.nps),
            *sums,
        ).group_by(per_response.c.a)
    ):
        counts = q.TopicCounts(
            responses=n, accounts=accounts, promoters=p or 0, passives=m or 0, detractors=d or 0
        )
        if sentiment:
            counts.positive, counts.neutral, counts.negative = (int(v or 0) for v in mentions)
        out[a] = counts
    return out


def weekly_counts(
    buckets: Sequence[Period],
    survey_id: int | None = None,
    only: Iterable[int] | None = None,
) -> tuple[dict[int, list[int]], list[int]]:
    """Responses per topic per bucket, and analysed comments per bucket (for shares over time)."""
    if not buckets:
        return {}, []
    r = period_responses(buckets[0].start, buckets[-1].end, survey_id)
    bucket = sa.case(*[(r.c.created_at < b.end, i) for i, b in enumerate(buckets)])
    pairs = _pairs(only)
    per_topic: dict[int, list[int]] = {}
    rows = db.session.execute(
        _mention_join(pairs, r)
        .add_columns(pairs.c.a, bucket.label("b"), sa.func.count(sa.distinct(r.c.id)))
        .group_by(pairs.c.a, bucket)
    )
    for a, b, n in rows:
        per_topic.setdefault(a, [0] * len(buckets))[b] = n
    denominators = [0] * len(buckets)
    which = sa.case(*[(Response.created_at < b.end, i) for i, b in enumerate(buckets)])
    for b, n in db.session.execute(
        sa.select(which.label("b"), sa.func.count())
        .where(*_in_period(buckets[0].start, buckets[-1].end, survey_id))
        .where(Response.analysis_state == AnalysisState.DONE)
        .group_by(which)
    ):
        denominators[b] = n
    return per_topic, denominators


def negative_accounts(
    period: Period, survey_id: int | None = None, only: Iterable[int] | None = None
) -> dict[int, list[tuple[int, str, int, int]]]:
    """Per topic, the accounts that mentioned it negatively: (id, name, ARR, negative responses), by ARR."""
    pairs = _pairs(only)
    r = period_responses(period.start, period.end, survey_id)
    rows = db.session.execute(
        _mention_join(pairs, r)
        .join(Account, Account.id == r.c.account_id)
        .where(Mention.sentiment_label == "negative")
        .add_columns(pairs.c.a, Account.id, Account.name, Account.arr, sa.func.count(sa.distinct(r.c.id)))
        .group_by(pairs.c.a, Account.id, Account.name, Account.arr)
    )
    out: dict[int, list[tuple[int, str, int, int]]] = {}
    for a, account_id, name, arr, n in rows:
        out.setdefault(a, []).append((account_id, name, int(arr or 0), n))
    for accounts in out.values():
        accounts.sort(key=lambda row: (-row[2], row[1]))
    return out


def nps_topic_rows(
    period: Period, survey_id: int | None = None
) -> tuple[dict[int, int], list[tuple[int, int]]]:
    """NPS responses of the period (id → score) and their (response id, topic id) mentions."""
    where = [*_in_period(period.start, period.end, survey_id), Response.kind == SurveyKind.NPS]
    # list() first: a Result has .keys(), so dict() would read it as a mapping
    scores = dict(list(db.session.execute(sa.select(Response.id, Response.score).where(*where))))
    r = period_responses(period.start, period.end, survey_id)
    pairs = db.session.execute(
        sa.select(Mention.response_id, Mention.topic_id)
        .select_from(r)
        .join(Mention, Mention.response_id == r.c.id)
        .where(r.c.kind == SurveyKind.NPS, Mention.rejected.is_(False))
        .distinct()
    )
    return scores, list(pairs)
