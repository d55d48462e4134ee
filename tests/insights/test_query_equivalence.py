"""The one-pass ``topic_counts`` gives exactly the figures of the two-pass version it replaced (a distinct
(topic, response) pass for responses, accounts and bands, then a grouped pass for mention sentiment)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.insights import queries as q
from app.insights.periods import days_ending
from app.models import Mention, MentionSource, Response, SurveyKind
from tests.factories import make_account
from tests.insights.conftest import add_response, topic

PERIOD = days_ending(date(2026, 3, 1), 28, "UTC")


def _two_pass(period, survey_id=None, only=None, sentiment=True) -> dict[int, q.TopicCounts]:
    """The previous implementation, kept here as the reference."""
    pairs = q._pairs(only)
    r = q.period_responses(period.start, period.end, survey_id)
    base = q._mention_join(pairs, r)
    per_response = (
        base.add_columns(pairs.c.a.label("a"), r.c.id.label("rid"), r.c.account_id.label("acc"), r.c.nps)
        .distinct()
        .subquery()
    )
    out: dict[int, q.TopicCounts] = {}
    for a, n, accounts, p, m, d in db.session.execute(
        sa.select(
            per_response.c.a,
            sa.func.count(),
            sa.func.count(sa.distinct(per_response.c.acc)),
            *q._bands(per_response.c.nps),
        ).group_by(per_response.c.a)
    ):
        out[a] = q.TopicCounts(
            responses=n, accounts=accounts, promoters=p or 0, passives=m or 0, detractors=d or 0
        )
    if sentiment:
        label = sa.func.coalesce(Mention.sentiment_label, "neutral")
        rows = db.session.execute(
            base.add_columns(pairs.c.a, label, sa.func.count()).group_by(pairs.c.a, label)
        )
        for a, lab, n in rows:
            if lab in ("positive", "negative", "neutral"):
                setattr(out.setdefault(a, q.TopicCounts()), lab, n)
    return out


def test_one_pass_topic_counts_match_the_two_pass_reference(ctx):
    rng = random.Random(5)
    billing = topic("Billing")
    invoices = topic("Invoices", parent=billing)
    refunds = topic("Refunds", parent=billing)
    vat = topic("VAT", parent=invoices)
    speed = topic("Speed")
    topics = [billing, invoices, refunds, vat, speed]
    accounts = [make_account(arr=a).id for a in (10_000, 20_000, 30_000)] + [None]
    labels = ["positive", "neutral", "negative", None, "mixed"]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(160):
        kind = rng.choice([SurveyKind.NPS, SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.FORM])
        score = {SurveyKind.NPS: rng.randint(0, 10), SurveyKind.CSAT: rng.randint(1, 5)}.get(kind)
        chosen = rng.sample(topics, rng.randint(0, 3))
        response = add_response(
            start + timedelta(hours=13 * i),
            score,
            topics={t: rng.choice(labels) for t in chosen},
            account_id=rng.choice(accounts),
            kind=kind,
        )
        if rng.random() < 0.2:  # a rejected tag counts nowhere
            db.session.add(
                Mention(
                    response_id=response.id,
                    topic_id=rng.choice(topics),
                    source=MentionSource.MANUAL,
                    rejected=True,
                    sentiment_label="negative",
                )
            )
        if chosen and rng.random() < 0.3:  # a second mention of the same topic in one response
            db.session.add(Mention(response_id=response.id, topic_id=chosen[0], source=MentionSource.PHRASE))
    db.session.flush()
    survey_id = db.session.execute(sa.select(Response.survey_id).limit(1)).scalar_one()
    for period in (PERIOD, PERIOD.previous(), days_ending(date(2026, 3, 1), 7, "UTC")):
        for survey in (None, survey_id):
            for only in (None, [invoices], [speed, refunds]):
                scope = None if only is None else only
                for sentiment in (True, False):
                    got = q.topic_counts(period, survey, scope, sentiment=sentiment)
                    want = _two_pass(period, survey, scope, sentiment=sentiment)
                    assert got == want, (period, survey, only, sentiment)
    assert q.topic_counts(PERIOD)[billing].mentions > q.topic_counts(PERIOD)[billing].responses > 10
