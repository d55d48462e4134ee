"""The fast path of topic analytics (``topic_hits``, kept by triggers) gives exactly the figures of the
reference joins it replaced (tests/insights/reference_queries.py: the period's responses, their mentions
and the topic tree), over parent/child topics, rejected tags, unknown labels, repeated mentions, mixed
kinds, responses without an account — and after every kind of change the triggers must follow: tags
added, rejected, relabelled, moved or deleted, topics re-parented, retired and merged, answers moved in
time, to another account, flagged as scanner suspects, deleted."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.insights import accounts_sql, analytics, days_sql, months_sql, patterns_sql
from app.insights import queries as q
from app.insights.hits_sql import COLUMNS, _select, rebuild_statements
from app.insights.periods import days_ending, weekly_buckets
from app.models import Mention, MentionSource, Response, SurveyKind, Topic
from tests.factories import make_account
from tests.insights import reference_queries as ref
from tests.insights.conftest import add_response, topic

PERIOD = days_ending(date(2026, 3, 1), 28, "UTC")
PERIODS = (
    PERIOD,
    PERIOD.previous(),
    days_ending(date(2026, 3, 1), 7, "UTC"),
    days_ending(date(2026, 2, 20), 5, "Europe/Berlin"),
)


def _stored() -> set[tuple]:
    return {tuple(r) for r in db.session.execute(sa.text(f"SELECT {', '.join(COLUMNS)} FROM topic_hits"))}


def _recomputed() -> set[tuple]:
    return {tuple(r) for r in db.session.execute(sa.text(_select("1 = 1")))}


def _day_rows(sql: str) -> set[tuple]:
    return {(str(r[0]), *(int(v) for v in r[1:])) for r in db.session.execute(sa.text(sql))}


def _days_stored_and_recomputed() -> list[tuple[set[tuple], set[tuple]]]:
    """Per table kept by day (``topic_days``, ``topic_day_totals``; on PostgreSQL also
    ``topic_account_days``, ``topic_account_bits`` and the two pattern tables): its rows and their
    recomputation."""
    dialect = db.session.get_bind().dialect.name
    out = []
    if dialect == "postgresql":
        for table in (accounts_sql.ACCOUNT_DAYS, accounts_sql.ACCOUNT_BITS):
            stored = {tuple(map(str, r)) for r in db.session.execute(sa.text(f"TABLE {table}"))}
            recomputed = {
                tuple(map(str, r)) for r in db.session.execute(sa.text(accounts_sql.recomputed(table)))
            }
            out.append((stored, recomputed))
        stored = {tuple(map(str, r)) for r in db.session.execute(sa.text(f"TABLE {months_sql.MONTHS}"))}
        recomputed = {tuple(map(str, r)) for r in db.session.execute(sa.text(months_sql.recomputed()))}
        out.append((stored, recomputed))
        for table in (patterns_sql.PATTERNS, patterns_sql.ANSWERS):
            stored = {tuple(map(str, r)) for r in db.session.execute(sa.text(f"TABLE {table}"))}
            recomputed = {
                tuple(map(str, r)) for r in db.session.execute(sa.text(patterns_sql.recomputed(table)))
            }
            out.append((stored, recomputed))
    for table in (days_sql.DAYS, days_sql.TOTALS):
        columns = ", ".join([*days_sql.KEYS[table], *days_sql.COUNTS[table]])
        out.append(
            (_day_rows(f"SELECT {columns} FROM {table}"), _day_rows(days_sql.recomputed(table, dialect)))
        )
    return out


def _reference_fit(scores: dict[int, int], topics_of: dict[int, set[int]]):
    """The driver fit as it was: one row per NPS answer of the period, grouped."""
    from collections import Counter

    import numpy as np

    from app.insights import stats

    counts = Counter(t for ts in topics_of.values() for t in ts)
    columns = sorted(t for t, n in counts.items() if n >= analytics.MIN_DRIVER_RESPONSES)
    index = {t: j for j, t in enumerate(columns)}
    groups: Counter = Counter()
    for rid, score in scores.items():
        y = 100 if score >= 9 else (-100 if score <= 6 else 0)
        groups[(tuple(sorted(index[t] for t in topics_of.get(rid, ()) if t in index)), y)] += 1
    x, y, w = np.zeros((len(groups), len(columns))), np.zeros(len(groups)), np.zeros(len(groups))
    for i, ((cols, value), n) in enumerate(groups.items()):
        x[i, list(cols)] = 1
        y[i], w[i] = value, n
    return stats.driver_fit(x, y, w, columns)


def _reference_drivers(period, survey_id, tree) -> dict[int, object]:
    """Each topic's driver estimate as it was computed: every NPS answer from responses, pairs from
    mentions; top-level topics in the fit of roots, subtopics in the fit of own topics."""
    scores, pairs = ref.nps_topic_rows(period, survey_id)
    if not scores:
        return {}
    nodes = {n.id: n for n in tree}
    own: dict[int, set[int]] = {}
    for rid, tid in pairs:
        if tid in nodes:
            own.setdefault(rid, set()).add(tid)
    roots = {rid: {(nodes[t].ancestors or (t,))[0] for t in ts} for rid, ts in own.items()}
    top, every = _reference_fit(scores, roots), _reference_fit(scores, own)
    return {n.id: (top if n.depth == 0 else every).coefficients.get(n.id) for n in tree}


def _same_estimate(got, want) -> None:
    if want is None:
        assert got is None
        return
    assert got.n == want.n
    assert got.value == pytest.approx(want.value, abs=1e-9) and got.se == pytest.approx(want.se, abs=1e-9)


def check(survey_id, scopes, periods=(PERIODS[0], PERIODS[3]), days_zone="UTC") -> None:
    """Stored rows = a full recomputation (topic hits and both per-day tables); every read model = its
    reference. ``days_zone``: the zone the per-day tables count local days in (the periods in it are
    read from them, the others from topic_hits)."""
    db.session.flush()
    assert _stored() == _recomputed()
    for stored, recomputed in _days_stored_and_recomputed():
        assert stored == recomputed
    for period in periods:
        week = days_ending(period.last, 7, period.zone)
        named = {"now": period, "before": period.previous(), "week": week, "baseline": week.previous(8)}
        buckets = weekly_buckets(period, 6)
        assert q.day_tables_usable([*named.values(), *buckets]) == (period.zone == days_zone)
        for survey in (None, survey_id):
            for only in scopes:
                for sentiment in (True, False):
                    got = q.topic_counts(period, survey, only, sentiment=sentiment)
                    assert got == ref.topic_counts(period, survey, only, sentiment=sentiment), (period, only)
                assert q.negative_accounts(period, survey, only) == ref.negative_accounts(
                    period, survey, only
                )
                assert q.weekly_counts(buckets, survey, only) == ref.weekly_counts(buckets, survey, only)
                w = q.windows(named, buckets, survey, only, ("now", "before", "week"), ("now", "before"))
                for name, p in named.items():
                    want = ref.topic_counts(p, survey, only)
                    if name == "baseline":  # distinct accounts were not asked for
                        want = {a: dataclasses.replace(c, accounts=0) for a, c in want.items()}
                    assert w.counts[name] == want, (name, period, only)
                    assert w.totals[name] == q.totals(p, survey), (name, p, survey, only)
                    assert q.window_totals(p, survey) == w.totals[name], (name, p, survey)
                for name in ("now", "before"):
                    listed = ref.negative_accounts(named[name], survey, only)
                    want = {a: (len(rows), sum(r[2] for r in rows)) for a, rows in listed.items()}
                    assert w.revenue[name] == want, (name, period, only)
                for by_day in (False, None):  # by topic_hits, and as windows reads them
                    got = q.account_figures(named, {"now": period}, survey, only, by_day)
                    assert got[0] == {
                        n: {a: c.accounts for a, c in ref.topic_counts(p, survey, only).items() if c.accounts}
                        for n, p in named.items()
                    }
                assert w.weekly == ref.weekly_counts(buckets, survey, only)
            # the driver fit's answers by pattern (PostgreSQL: topic_pattern_days) = grouped from topic_hits
            assert q.nps_topic_groups(period, survey) == q.nps_topic_groups_from_hits(period, survey)
            result = analytics.topic_analytics(period, survey, trend_weeks=6)
            want = _reference_drivers(period, survey, q.topic_tree())
            for row in result.topics:
                _same_estimate(row.driver, want.get(row.node.id))
            analytics._EMERGING.clear()
            reference = {e.key: e for e in _reference_emerging(week, survey)}
            assert analytics._emerging_results(week, survey, False) == list(reference.values())
            assert [t.emerging for t in result.topics] == [reference.get(t.node.id) for t in result.topics]


def _reference_emerging(week, survey):
    """The emerging test as it was computed (four statements of the reference joins)."""
    from app.insights import stats

    tree = q.topic_tree()
    baseline = week.previous(stats.BASELINE_WEEKS)
    now, base = (
        ref.topic_counts(week, survey, sentiment=False),
        ref.topic_counts(baseline, survey, sentiment=False),
    )
    n_now, n_base = q.totals(week, survey).analysed, q.totals(baseline, survey).analysed
    keys = [n.id for n in tree]
    return stats.emerging(
        keys,
        [min(now.get(k, q.TopicCounts()).responses, n_now) for k in keys],
        n_now,
        [min(base.get(k, q.TopicCounts()).responses, n_base) for k in keys],
        n_base,
        [now.get(k, q.TopicCounts()).accounts for k in keys],
    )


def test_topic_hits_match_the_reference_joins_through_every_change(ctx):
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
    responses = []
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
        responses.append(response)
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
    scopes = (None, [invoices], [speed, refunds])
    check(survey_id, scopes, PERIODS)
    assert q.topic_counts(PERIOD)[billing].mentions > q.topic_counts(PERIOD)[billing].responses > 10
    mentions = db.session.execute(sa.select(Mention).order_by(Mention.id)).scalars().all()

    # tags rejected, restored, relabelled, moved to another topic; a manual tag; a tag deleted
    for m in mentions[::7]:
        m.rejected = True
    for m in mentions[3::11]:
        m.sentiment_label = rng.choice(labels)
    for m in mentions[5::13]:
        m.topic_id = rng.choice(topics)
    db.session.add(Mention(response_id=responses[40].id, topic_id=vat, source=MentionSource.MANUAL))
    db.session.delete(mentions[2])
    db.session.flush()
    for m in mentions[::14]:
        m.rejected = False
    check(survey_id, scopes)

    # Core statements touching many rows at once (as re-tags and merges do)
    db.session.execute(sa.update(Mention).where(Mention.topic_id == refunds).values(topic_id=invoices))
    db.session.execute(sa.delete(Mention).where(Mention.topic_id == speed, Mention.id % 3 == 0))
    check(survey_id, scopes)

    # the tree: VAT moved under Refunds, then to the top; Invoices retired; Speed under Billing
    db.session.execute(sa.update(Topic).where(Topic.id == vat).values(parent_id=refunds))
    check(survey_id, scopes)
    db.session.get(Topic, vat).parent_id = None
    db.session.get(Topic, invoices).is_active = False
    db.session.get(Topic, speed).parent_id = billing
    check(survey_id, scopes)
    db.session.get(Topic, invoices).is_active = True
    check(survey_id, scopes)

    # answers: moved in time, to another account, another score; scanner suspects; deleted
    for r in responses[::9]:
        r.created_at = r.created_at + timedelta(days=rng.randint(-20, 20))
        r.account_id = rng.choice(accounts)
    for r in responses[1::10]:
        if r.kind == SurveyKind.NPS:
            r.score = rng.randint(0, 10)
    for r in responses[2::6]:
        r.scanner_suspect = True
    db.session.flush()
    check(survey_id, scopes)
    for r in responses[2::12]:
        r.scanner_suspect = False
    for r in responses[4::15]:
        db.session.delete(r)
    db.session.flush()
    check(survey_id, scopes)

    # a topic deleted: its mentions go, its children lose their parent
    db.session.execute(sa.delete(Topic).where(Topic.id == billing))
    db.session.expire_all()
    check(survey_id, (None, [invoices]))


def test_rebuild_gives_the_rows_the_triggers_keep(ctx):
    parent = topic("Onboarding")
    child = topic("Checklist", parent=parent)
    for i in range(10):
        add_response(datetime(2026, 2, 1 + i, tzinfo=UTC), i, topics={child: "negative", parent: None})
    db.session.flush()
    kept = _stored()
    assert len([r for r in kept if r[1] == parent]) == 10
    for statement in rebuild_statements():
        db.session.execute(sa.text(statement))
    assert _stored() == kept


def _deferral_open() -> bool:
    if db.session.get_bind().dialect.name == "postgresql":
        setting = db.session.execute(sa.text("SELECT current_setting('clearloop.defer_topic_hits', true)"))
        return setting.scalar() == "on"
    return bool(db.session.execute(sa.text("SELECT count(*) FROM topic_hits_deferred")).scalar())


def test_a_deferred_bulk_write_of_mentions_refreshes_once_to_the_rows_the_triggers_keep(ctx):
    """While deferred, mention inserts and deletes leave topic_hits alone; the writer's one refresh then
    gives exactly the rows the triggers keep, and afterwards every trigger works again."""
    from app.insights import services as insights

    parent = topic("Pricing")
    child = topic("Discounts", parent=parent)
    other = topic("Support")
    responses = [
        add_response(datetime(2026, 2, 1 + i, tzinfo=UTC), i, topics={child: "negative"}) for i in range(6)
    ]
    db.session.add(  # a person's tag, kept across the re-tag below
        Mention(
            response_id=responses[0].id, topic_id=other, source=MentionSource.MANUAL, sentiment_label=None
        )
    )
    db.session.flush()
    before = _stored()
    ids = [r.id for r in responses]

    insights.defer_topic_hits()
    assert _deferral_open()
    db.session.execute(
        sa.delete(Mention).where(Mention.response_id.in_(ids[:4]), Mention.source != MentionSource.MANUAL)
    )
    db.session.execute(
        sa.insert(Mention),
        [
            {"response_id": i, "topic_id": other, "source": MentionSource.PHRASE, "rejected": False}
            for i in ids[:4]
        ],
    )
    assert _stored() == before  # deferred: nothing refreshed yet
    insights.refresh_topic_hits(ids[:4])
    assert not _deferral_open()
    assert _stored() == _recomputed() != before
    assert {(r[0], r[1]) for r in _stored() if r[0] == ids[0]} == {(ids[0], other)}
    assert (ids[5], parent) in {(r[0], r[1]) for r in _stored()}  # untouched responses keep their rows

    # the deferral is over: a plain insert and delete refresh as before
    db.session.add(Mention(response_id=ids[1], topic_id=child, source=MentionSource.PHRASE))
    db.session.flush()
    assert (ids[1], parent) in {(r[0], r[1]) for r in _stored()}
    db.session.execute(sa.delete(Mention).where(Mention.response_id == ids[5]))
    assert not [r for r in _stored() if r[0] == ids[5]]
    assert _stored() == _recomputed()


def test_a_refresh_of_responses_without_rows_deletes_nothing(ctx):
    """A first tagging's refresh (no response has rows yet) runs no DELETE on topic_hits: on PostgreSQL
    that statement would still fire every upkeep trigger on the table. With rows, it deletes as before."""
    from app.insights import services as insights

    parent = topic("Billing")
    child = topic("Invoices", parent=parent)
    tagged = add_response(datetime(2026, 2, 2, tzinfo=UTC), 3, topics={child: "negative"})
    fresh = [add_response(datetime(2026, 2, 3 + i, tzinfo=UTC), 8, topics={}) for i in range(3)]
    db.session.flush()
    deletes: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE FROM TOPIC_HITS "):
            deletes.append(statement)

    engine = db.session.get_bind()
    engine = getattr(engine, "engine", engine)
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        insights.defer_topic_hits()
        db.session.execute(
            sa.insert(Mention),
            [
                {"response_id": r.id, "topic_id": child, "source": MentionSource.PHRASE, "rejected": False}
                for r in fresh
            ],
        )
        insights.refresh_topic_hits([r.id for r in fresh])
        assert deletes == []
        assert {(r[0], r[1]) for r in _stored() if r[0] == fresh[0].id} == {
            (fresh[0].id, child),
            (fresh[0].id, parent),
        }

        insights.defer_topic_hits()  # a re-tag: one of them had rows, so they go first
        db.session.execute(sa.delete(Mention).where(Mention.response_id == tagged.id))
        insights.refresh_topic_hits([tagged.id, fresh[1].id])
        assert len(deletes) == 1
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert not [r for r in _stored() if r[0] == tagged.id]
    assert _stored() == _recomputed()


def _hit_versions() -> dict[tuple[int, int], str]:
    """PostgreSQL: each topic_hits row's xmin (the transaction that wrote its version); SQLite: none."""
    if db.session.get_bind().dialect.name != "postgresql":
        return {}
    rows = db.session.execute(sa.text("SELECT response_id, topic_id, xmin::text FROM topic_hits"))
    return {(r[0], r[1]): r[2] for r in rows}


def test_a_refresh_rewrites_only_the_rows_that_change(ctx):
    """A re-tag that writes the same mentions again leaves those responses' topic_hits rows as they are
    (PostgreSQL: the same row versions, so the upkeep triggers on topic_hits had nothing to do); the
    responses whose mentions changed (relabelled, a topic dropped, one added) get their new rows, and every
    per-day table equals its recomputation, as after tagging."""
    from app.insights import services as insights

    parent = topic("Billing")
    child = topic("Invoices", parent=parent)
    other = topic("Speed")
    accounts = [make_account(arr=1000 * (i + 1)).id for i in range(3)]
    responses = [
        add_response(
            datetime(2026, 2, 1 + i, 9, tzinfo=UTC),
            i % 11,
            topics={child: "negative", other: "positive"} if i % 2 else {child: None},
            account_id=accounts[i % 3],
        )
        for i in range(8)
    ]
    db.session.commit()  # a savepoint: the re-tag's row versions are another (sub)transaction's
    ids = [r.id for r in responses]
    mentions = [
        {
            "response_id": m.response_id,
            "topic_id": m.topic_id,
            "source": m.source,
            "rejected": m.rejected,
            "sentiment_label": m.sentiment_label,
        }
        for m in db.session.scalars(sa.select(Mention).where(Mention.response_id.in_(ids)))
    ]
    before, versions = _stored(), _hit_versions()
    changed = {ids[1], ids[2], ids[3]}
    for m in mentions:
        if m["response_id"] == ids[1] and m["topic_id"] == child:
            m["sentiment_label"] = "positive"  # relabelled
    mentions = [m for m in mentions if not (m["response_id"] == ids[2] and m["topic_id"] == child)]
    mentions.append(
        {"response_id": ids[3], "topic_id": other, "source": MentionSource.PHRASE, "rejected": False}
    )

    insights.defer_topic_hits()  # as tagging writes: every automatic mention deleted and inserted again
    db.session.execute(sa.delete(Mention).where(Mention.response_id.in_(ids)))
    db.session.execute(sa.insert(Mention), mentions)
    insights.refresh_topic_hits(ids)
    db.session.flush()

    assert _stored() == _recomputed() != before
    assert {r for r in _stored() if r[0] not in changed} == {r for r in before if r[0] not in changed}
    for stored, recomputed in _days_stored_and_recomputed():
        assert stored == recomputed
    if db.session.get_bind().dialect.name == "postgresql":
        after = _hit_versions()
        untouched = {k: v for k, v in versions.items() if k[0] not in changed}
        assert {k: after[k] for k in untouched} == untouched
        assert any(after.get(k) != v for k, v in versions.items() if k[0] in changed)


def test_a_deferral_ends_with_its_transaction(ctx):
    """A write that fails between deferral and refresh leaves nothing deferred once it rolled back."""
    from app.insights import services as insights

    insights.defer_topic_hits()
    assert _deferral_open()
    db.session.rollback()
    assert not _deferral_open()
    parent = topic("Docs")
    response = add_response(datetime(2026, 2, 3, tzinfo=UTC), 9, topics={parent: "positive"})
    db.session.flush()
    assert (response.id, parent) in {(r[0], r[1]) for r in _stored()}


def test_migration_holds_the_same_sql_as_the_app():
    """The latest frozen copy of the trigger text (speedw_0001) is app/insights/hits_sql.py's."""
    import importlib.util
    from pathlib import Path

    from app.insights import hits_sql

    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    path = versions / "speedw_0001_topic_hits_deferrable.py"
    spec = importlib.util.spec_from_file_location("speedw_0001", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert module.sqlite_triggers() == hits_sql.sqlite_triggers()
    assert module.postgresql_statements() == hits_sql.postgresql_statements()
    assert module.rebuild_statements() == hits_sql.rebuild_statements()
    for dialect in ("sqlite", "postgresql"):
        assert module.drop_statements(dialect) == hits_sql.drop_statements(dialect)


def test_per_day_tables_follow_the_workspace_zone(ctx):
    """With the workspace in Berlin (offsets stored, tables rebuilt by ``timezone_changed``, as
    ``flask rollups rebuild`` does) Berlin periods — one across the spring DST change, one across the
    autumn one — are read by local day and equal the reference; UTC periods then come from topic_hits.
    Changes after the switch are kept in Berlin days; switching back to UTC rebuilds in UTC days."""
    from app.trends.services import timezone_changed

    rng = random.Random(8)
    billing = topic("Billing")
    invoices = topic("Invoices", parent=billing)
    speed = topic("Speed")
    accounts = [make_account(arr=a).id for a in (10_000, 20_000)] + [None]
    responses = []
    for start in (datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 10, 18, tzinfo=UTC)):
        for i in range(70):  # every 5 hours: answers near each local midnight, on both sides of the change
            kind = rng.choice([SurveyKind.NPS, SurveyKind.CSAT])
            score = rng.randint(0, 10) if kind == SurveyKind.NPS else rng.randint(1, 5)
            chosen = rng.sample([billing, invoices, speed], rng.randint(0, 2))
            responses.append(
                add_response(
                    start + timedelta(hours=5 * i, minutes=30),
                    score,
                    topics={t: rng.choice(["positive", "negative", None]) for t in chosen},
                    account_id=rng.choice(accounts),
                    kind=kind,
                )
            )
    db.session.flush()
    survey_id = db.session.execute(sa.select(Response.survey_id).limit(1)).scalar_one()
    berlin = (
        days_ending(date(2026, 3, 31), 7, "Europe/Berlin"),
        days_ending(date(2026, 10, 28), 5, "Europe/Berlin"),
        days_ending(date(2026, 3, 31), 7, "UTC"),
    )
    check(survey_id, (None, [invoices]), berlin)  # UTC days stored: Berlin periods from topic_hits

    timezone_changed("Europe/Berlin")
    check(survey_id, (None, [invoices]), berlin, days_zone="Europe/Berlin")
    for r in responses[::7]:  # kept in Berlin days: moved across a local midnight, rejected, suspect
        r.created_at = r.created_at + timedelta(hours=rng.randint(-30, 30))
    for r in responses[3::9]:
        r.scanner_suspect = True
    db.session.execute(sa.update(Mention).where(Mention.topic_id == speed).values(rejected=True))
    check(survey_id, (None, [invoices]), berlin, days_zone="Europe/Berlin")

    timezone_changed("UTC")
    check(survey_id, (None, [invoices]), berlin)


def test_accounts_migration_holds_the_same_sql_as_the_app():
    """topics_0003's frozen copy is app/insights/accounts_sql.py's."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "topics_0003_topic_accounts.py"
    spec = importlib.util.spec_from_file_location("topics_0003", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert module.create_statements() == accounts_sql.create_statements()
    assert module.rebuild_statements() == accounts_sql.rebuild_statements()
    assert module.drop_statements() == accounts_sql.drop_statements()
    for table in (accounts_sql.ACCOUNT_DAYS, accounts_sql.ACCOUNT_BITS):
        assert module.recomputed(table) == accounts_sql.recomputed(table)


def test_patterns_migration_holds_the_same_sql_as_the_app():
    """topics_0004's frozen copy is app/insights/patterns_sql.py's."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "topics_0004_topic_patterns.py"
    spec = importlib.util.spec_from_file_location("topics_0004", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert module.create_statements() == patterns_sql.create_statements(before=True)
    assert module.rebuild_statements() == patterns_sql.rebuild_statements()
    assert module.drop_statements() == patterns_sql.drop_statements()
    for table in (patterns_sql.PATTERNS, patterns_sql.ANSWERS):
        assert module.recomputed(table) == patterns_sql.recomputed(table)


def test_lean_topic_hits_migration_holds_the_same_sql_as_the_app(ctx):
    """tagw_0001's frozen pattern function is app/insights/patterns_sql.py's, its downgrade topics_0004's;
    on PostgreSQL topic_hits has no foreign keys after it (its triggers remove rows with their mentions:
    the deletions in the test above check it)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "tagw_0001_topic_hits_lean.py"
    spec = importlib.util.spec_from_file_location("tagw_0001", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert patterns_sql.function_statement() == module.PATTERN_FUNCTION
    assert patterns_sql.function_statement(before=True) == module.PATTERN_FUNCTION_BEFORE
    assert patterns_sql.function_statement() in patterns_sql.create_statements()
    if db.session.get_bind().dialect.name == "postgresql":
        assert sa.inspect(db.session.connection()).get_foreign_keys("topic_hits") == []


def test_months_migration_holds_the_same_sql_as_the_app():
    """topics_0005's frozen copy is app/insights/months_sql.py's."""
    import importlib.util
    from pathlib import Path

    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    spec = importlib.util.spec_from_file_location(
        "topics_0005", versions / "topics_0005_topic_account_months.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert module.create_statements() == months_sql.create_statements()
    assert module.rebuild_statements() == months_sql.rebuild_statements()
    assert module.drop_statements() == months_sql.drop_statements()
    assert module.recomputed() == months_sql.recomputed()


def test_months_and_edges_cover_each_segment_once():
    """Whole calendar months inside a segment come from the month rows, the rest of it from days."""
    rng = random.Random(3)
    for _ in range(300):
        cuts = sorted(
            {date(2025, 11, 20) + timedelta(days=rng.randint(0, 200)) for _ in range(rng.randint(2, 6))}
        )
        if len(cuts) < 2:
            continue
        months, edges = q._months_and_edges(cuts)
        covered = [d for a, b in edges for d in (a + timedelta(days=i) for i in range((b - a).days))]
        for m in months:
            assert m.day == 1
            end = q._next_month(m)
            covered += [m + timedelta(days=i) for i in range((end - m).days)]
            assert any(lo <= m and end <= hi for lo, hi in pairwise(cuts))
        assert sorted(covered) == [cuts[0] + timedelta(days=i) for i in range((cuts[-1] - cuts[0]).days)]
    months, edges = q._months_and_edges([date(2026, 1, 15), date(2026, 4, 1), date(2026, 4, 8)])
    assert months == [date(2026, 2, 1), date(2026, 3, 1)]
    assert edges == [(date(2026, 1, 15), date(2026, 2, 1)), (date(2026, 4, 1), date(2026, 4, 8))]


def test_days_migration_holds_the_same_sql_as_the_app():
    """topics_0002's frozen copy is app/insights/days_sql.py's, whose local day is the rollups' own."""
    import importlib.util
    from pathlib import Path

    from app.trends import rollup_sql

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "topics_0002_topic_days.py"
    spec = importlib.util.spec_from_file_location("topics_0002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert module.sqlite_triggers() == days_sql.sqlite_triggers()
    # sendtag_0002 added the deferral check to the totals function (its own frozen copy, below)
    assert module.postgresql_statements() == days_sql.without_defer_check(days_sql.postgresql_statements())
    for dialect in ("sqlite", "postgresql"):
        assert module.rebuild_statements(dialect) == days_sql.rebuild_statements(dialect)
        assert module.drop_statements(dialect) == days_sql.drop_statements(dialect)
    assert days_sql.sqlite_day("x.created_at") == rollup_sql.sqlite_day("x.created_at")
    assert days_sql.PG_DAY.split("(")[0] in rollup_sql.PG_DAY_FUNCTION


def test_deferrable_totals_migration_holds_the_same_sql_as_the_app():
    """sendtag_0002's frozen copy of the totals function is app/insights/days_sql.py's; its downgrade is
    topics_0002's function."""
    import importlib.util
    from pathlib import Path

    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    modules = {}
    for name, file in (
        ("sendtag_0002", "sendtag_0002_deferrable_day_totals.py"),
        ("topics_0002", "topics_0002_topic_days.py"),
    ):
        spec = importlib.util.spec_from_file_location(name, versions / file)
        modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(modules[name])  # type: ignore[union-attr]
    assert days_sql.totals_function() == modules["sendtag_0002"].TOTALS_FUNCTION
    before = next(
        s for s in modules["topics_0002"].postgresql_statements() if "topic_day_totals_apply()" in s
    )
    assert modules["sendtag_0002"].TOTALS_FUNCTION_BEFORE == before != days_sql.totals_function()


def test_account_figures_over_whole_months_equal_the_hits(ctx):
    """Windows holding whole calendar months read those months' bit strings (PostgreSQL:
    topic_account_bit_months) and only their edge days by day: distinct and negative accounts and revenue
    equal the grouping of topic_hits, before and after changes, and the month rows their recomputation."""
    rng = random.Random(11)
    billing = topic("Billing")
    invoices = topic("Invoices", parent=billing)
    speed = topic("Speed")
    accounts = [make_account(arr=1000 * (i + 1)).id for i in range(12)] + [None]
    start = datetime(2025, 12, 20, tzinfo=UTC)
    responses = [
        add_response(
            start + timedelta(hours=rng.randint(0, 24 * 120)),
            rng.randint(0, 10),
            topics={t: rng.choice(["positive", "negative", None]) for t in rng.sample([invoices, speed], 1)},
            account_id=rng.choice(accounts),
        )
        for _ in range(150)
    ]
    db.session.flush()
    windows = {
        "quarter": days_ending(date(2026, 3, 31), 91, "UTC"),
        "before": days_ending(date(2026, 3, 31), 91, "UTC").previous(),
        "cross": days_ending(date(2026, 3, 10), 50, "UTC"),
        "month": days_ending(date(2026, 2, 28), 28, "UTC"),
    }

    def same() -> None:
        db.session.flush()
        for stored, recomputed in _days_stored_and_recomputed():
            assert stored == recomputed
        for only in (None, [invoices]):
            fast = q.account_figures(windows, windows, None, only, None)
            assert fast == q.account_figures(windows, windows, None, only, False)
        assert fast[0]["quarter"]
        if db.session.get_bind().dialect.name == "postgresql":  # month rows are read
            assert db.session.execute(sa.text(f"SELECT count(*) FROM {months_sql.MONTHS}")).scalar() > 0

    quarter = windows["quarter"]
    assert len(q._months_and_edges([quarter.first, quarter.last + timedelta(days=1)])[0]) == 3
    same()
    for r in responses[::5]:  # moved across month ends, to other accounts; tags made negative; deleted
        r.created_at = r.created_at + timedelta(days=rng.randint(-20, 20))
        r.account_id = rng.choice(accounts)
    db.session.execute(sa.update(Mention).where(Mention.topic_id == speed).values(sentiment_label="negative"))
    for r in responses[1::9]:
        db.session.delete(r)
    same()


def _tagpg_0001():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "tagpg_0001_upkeep_executed.py"
    spec = importlib.util.spec_from_file_location("tagpg_0001", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_executed_upkeep_migration_holds_the_same_sql_as_the_app(ctx):
    """tagpg_0001's frozen functions are the app's; its downgrade's, the functions it replaces; on
    PostgreSQL the database runs them."""
    module = _tagpg_0001()
    assert days_sql.hits_function() == module.DAYS_FUNCTION
    assert patterns_sql.executed_function_statement() == module.PATTERN_FUNCTION
    assert accounts_sql.executed_function_statement() == module.ACCOUNT_FUNCTION
    assert module.DAYS_FUNCTION_BEFORE in days_sql.postgresql_statements()
    assert patterns_sql.function_statement() == module.PATTERN_FUNCTION_BEFORE
    assert module.ACCOUNT_FUNCTION_BEFORE in accounts_sql.create_statements()
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for name, text in (
        ("topic_days_hits", module.DAYS_FUNCTION),
        ("topic_pattern_hits", module.PATTERN_FUNCTION),
        ("topic_account_hits", module.ACCOUNT_FUNCTION),
    ):
        source = db.session.execute(sa.text("SELECT prosrc FROM pg_proc WHERE proname = :n"), {"n": name})
        assert source.scalar_one() == text.split("$$")[1]


def test_upkeep_statements_on_transition_tables_are_planned_per_call():
    """Every statement of the upkeep functions that reads a transition table (new_rows, old_rows) beyond
    the guard that skips an empty or irrelevant statement runs through EXECUTE: a static statement's plan
    is cached for the session, made for the row counts of its first call (an empty table's plan then ran
    batches of thousands of rows ~80 times slower)."""
    module = _tagpg_0001()
    for text in (module.DAYS_FUNCTION, module.PATTERN_FUNCTION, module.ACCOUNT_FUNCTION):
        for line in text.split("$$")[1].splitlines():
            statement = line.strip()
            if "new_rows" not in statement and "old_rows" not in statement:
                continue
            guard = statement.startswith("IF ") and statement.endswith(" THEN")
            assert guard or statement.startswith("EXECUTE $q$"), statement
            if guard:  # a guard only checks whether a row is there
                assert statement.count("EXISTS (SELECT 1 FROM ") == statement.count("_rows")
