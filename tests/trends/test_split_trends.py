"""Charts split by segment read the smallest rollup that holds them (the segment rollup by an account's
attribute, the month rollup plus the fine one at partial months by account) and show exactly the figures a
recomputation from the responses gives, for every segment, grain and range (whole months, partial months
at either end, a range inside one month, a grain that coarsens), in a workspace time zone, after accounts
changed tier and CSM. Split by account: the top N accounts (by answers or by ARR), every other account
combined and the answers without an account, plus the ranked table of every account, page by page."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Account, Lifecycle, Response, Role, Tier, User
from app.trends.queries import Counts
from app.trends.series import (
    OTHERS,
    SEGMENTS,
    TrendFilters,
    bucket_of,
    build_trend,
    effective_grain,
    month_plan,
)
from app.trends.services import timezone_changed
from tests.factories import make_account, make_response, make_survey

ZONE = "America/St_Johns"  # a half-hour offset and DST: local days differ from UTC ones
FIRST = datetime(2026, 1, 20, tzinfo=UTC)


@pytest.fixture
def answers(db_session):
    """~400 answers to an NPS and a CSAT survey over 130 days at 8 accounts (and none), then a tier change,
    a new CSM and a new stage for some accounts (history follows the account)."""
    timezone_changed(ZONE)
    rng = random.Random(14)
    csms = [
        User(email=f"csm{i}@example.com", name=f"CSM {i}", role=Role.ADMIN, password_hash="x")
        for i in range(3)
    ]
    db.session.add_all(csms)
    db.session.flush()
    tiers, stages = [None, *Tier], [None, Lifecycle.ADOPTION, Lifecycle.RENEWAL]
    accounts = [
        make_account(
            arr=[5000, 0, 20000, 5000, 90000, 1000, 5000, 0][i],  # ties: broken by answers, then id
            tier=tiers[i % 4],
            plan=["pro", "basic", None][i % 3],
            lifecycle_stage=stages[i % 3],
            csm_owner_id=[None, *(u.id for u in csms)][i % 4],
        )
        for i in range(8)
    ]
    surveys = [make_survey("nps"), make_survey("nps"), make_survey("csat")]
    for _ in range(400):
        survey = rng.choice(surveys)
        score = rng.randint(0, 10) if survey.kind.value == "nps" else rng.randint(1, 5)
        account = rng.choice([None, *accounts])
        at = FIRST + timedelta(minutes=rng.randint(0, 130 * 24 * 60))
        make_response(survey, score=score, account=account, created_at=at)
    accounts[0].tier, accounts[1].csm_owner_id, accounts[2].lifecycle_stage = Tier.SMB, csms[2].id, None
    db.session.flush()
    return accounts


def _key(segment: str, r: Response):
    a = r.account
    value = {
        "": "",
        "survey": r.survey_id,
        "account": r.account_id or 0,
        "tier": a and a.tier and a.tier.value,
        "plan": a and a.plan,
        "stage": a and a.lifecycle_stage and a.lifecycle_stage.value,
        "csm": a and a.csm_owner_id,
    }[segment]
    return value or (value if segment in ("", "account") else None)


def recomputed(segment: str, kind: str, start: date, end: date, grain: str | None, top=None):
    """{(bucket, key): Counts} from the responses by Python (``grain`` None: the set of keys). ``top``
    (split by account): the accounts shown on their own; every other account is counted as OTHERS."""
    tz = ZoneInfo(ZONE)
    cells: dict[tuple, Counter] = {}
    for r in db.session.execute(sa.select(Response).where(Response.kind == kind)).scalars():
        day = r.created_at.astimezone(tz).date()
        if start <= day <= end:
            who = _key(segment, r)
            if top is not None and who not in top and who != 0:
                who = OTHERS
            key = (bucket_of(day, grain) if grain else None, who)
            cell = cells.setdefault(key, Counter())
            cell["n"] += 1
            cell[r.score] += 1
    return {k: Counts(c["n"], tuple(c[s] for s in range(11))) for k, c in cells.items()}


def ranking(kind: str, start: date, end: date, rank: str) -> list[tuple[int, Counts]]:
    """Every account with answers in the range, ranked by answers (or ARR, then answers), ties by id."""
    totals = {k: c for (_, k), c in recomputed("account", kind, start, end, None).items() if k}
    arr = {k: db.session.get(Account, k).arr for k in totals}
    if rank == "arr":
        return sorted(totals.items(), key=lambda kc: (-arr[kc[0]], -kc[1].n, kc[0]))
    return sorted(totals.items(), key=lambda kc: (-kc[1].n, kc[0]))


RANGES = [
    ("2026-01-01", "2026-06-30"),  # whole months only
    ("2026-01-25", "2026-05-31"),  # a partial month at the start
    ("2026-02-01", "2026-05-17"),  # at the end
    ("2026-01-23", "2026-05-29"),  # both
    ("2026-03-03", "2026-03-28"),  # inside one month
    ("2026-02-27", "2026-03-02"),  # across a month's end, no whole month
]


@pytest.mark.parametrize("max_points", [400, 20])
@pytest.mark.parametrize("segment", [s for s in SEGMENTS if s != "account"])
def test_split_charts_equal_a_recomputation(answers, segment, max_points, monkeypatch):
    """At 20 points every way of coarsening is taken: day rows folded into weeks, months or quarters,
    month rows into quarters, weeks read again by month."""
    monkeypatch.setattr("app.trends.series.MAX_POINTS", max_points)
    for start, end in RANGES:
        for grain in ("day", "week", "month", "quarter"):
            for kind in ("nps", "csat"):
                args = MultiDict(
                    {"kind": kind, "grain": grain, "start": start, "end": end, "segment": segment}
                )
                filters = TrendFilters.from_args(args, date(2026, 12, 1))
                trend = build_trend(filters)
                keys = {k for _, k in recomputed(segment, kind, filters.start, filters.end, None)}
                assert trend.grain == effective_grain(filters, len(keys))
                got = {(p.bucket, s.key): p.counts for s in trend.series for p in s.points}
                assert got == recomputed(segment, kind, filters.start, filters.end, trend.grain), (
                    segment,
                    start,
                    end,
                    grain,
                    kind,
                )


@pytest.mark.parametrize("rank", ["answers", "arr"])
def test_split_by_account_equals_a_recomputation(answers, rank, monkeypatch):
    """The top N accounts by answers or ARR, every other account combined (exactly) and the answers without
    an account, for every range, grain and kind; the ranked table of every account, page by page."""
    monkeypatch.setattr("app.trends.series.ACCOUNTS_PER_PAGE", 3)
    for start, end in RANGES:
        for grain in ("day", "week", "month", "quarter"):
            for kind in ("nps", "csat"):
                for top in (5, 10):
                    args = {"kind": kind, "grain": grain, "start": start, "end": end, "top": str(top)}
                    filters = TrendFilters.from_args(
                        MultiDict(args | {"segment": "account", "rank": rank}), date(2026, 12, 1)
                    )
                    ranked = ranking(kind, filters.start, filters.end, rank)
                    shown = [k for k, _ in ranked[:top]]
                    trend = build_trend(filters)
                    want = recomputed("account", kind, filters.start, filters.end, None, shown)
                    assert trend.grain == effective_grain(filters, len({k for _, k in want}))
                    got = {(p.bucket, s.key): p.counts for s in trend.series for p in s.points}
                    want = recomputed("account", kind, filters.start, filters.end, trend.grain, shown)
                    assert got == want, (start, end, grain, kind, top, rank)
                    assert [s.key for s in trend.series] == [
                        k for k in [*shown, OTHERS, 0] if any(key == k for _, key in want)
                    ]
                    others = [s for s in trend.series if s.key == OTHERS]
                    if others:
                        assert others[0].label == f"All other accounts ({len(ranked) - top})"
                        assert others[0].explorer is None  # no explorer filter selects them exactly
                    # the table: every account, ranked, with its totals over the range
                    table = trend.accounts
                    assert table.total == len(ranked) and table.page == 1
                    assert [(r.rank, r.key, r.counts) for r in table.rows] == [
                        (i + 1, k, c) for i, (k, c) in enumerate(ranked[:3])
                    ]
                    for page in range(2, table.pages + 2):  # one past the last shows the last
                        paged = build_trend(
                            TrendFilters.from_args(
                                MultiDict(args | {"segment": "account", "rank": rank, "page": str(page)}),
                                date(2026, 12, 1),
                            )
                        )
                        at = min(page, table.pages)
                        assert paged.accounts.page == at
                        assert [(r.rank, r.key, r.counts) for r in paged.accounts.rows] == [
                            (i + 1, k, c) for i, (k, c) in enumerate(ranked) if (i // 3) + 1 == at
                        ]
                        assert {(p.bucket, s.key): p.counts for s in paged.series for p in s.points} == got


def test_month_plan_reads_the_fewest_days():
    """Whole months from the month rollup; a partial month by its days in the range, or whole less the
    days outside it, whichever reads fewer days."""
    d = date
    assert month_plan(d(2026, 1, 1), d(2026, 3, 31)) == (
        [d(2026, 1, 1), d(2026, 2, 1), d(2026, 3, 1)],
        [],
        [],
    )
    assert month_plan(d(2026, 1, 25), d(2026, 3, 3)) == (
        [d(2026, 2, 1)],
        [(d(2026, 1, 25), d(2026, 1, 31)), (d(2026, 3, 1), d(2026, 3, 3))],
        [],
    )
    assert month_plan(d(2026, 1, 3), d(2026, 2, 27)) == (
        [d(2026, 1, 1), d(2026, 2, 1)],
        [],
        [(d(2026, 1, 1), d(2026, 1, 2)), (d(2026, 2, 28), d(2026, 2, 28))],
    )
    assert month_plan(d(2026, 3, 3), d(2026, 3, 28)) == (
        [d(2026, 3, 1)],
        [],
        [(d(2026, 3, 1), d(2026, 3, 2)), (d(2026, 3, 29), d(2026, 3, 31))],
    )


def test_an_account_whose_answers_in_a_month_all_fall_outside_the_range_is_not_a_series(db_session):
    """March read whole less 1–2 March: an account that answered only on 1 March has nothing in range."""
    survey = make_survey("nps")
    early, late = make_account(name="Early"), make_account(name="Late")
    make_response(survey, score=10, account=early, created_at=datetime(2026, 3, 1, 12, tzinfo=UTC))
    make_response(survey, score=0, account=late, created_at=datetime(2026, 3, 20, 12, tzinfo=UTC))
    args = MultiDict(
        {"kind": "nps", "grain": "month", "start": "2026-03-03", "end": "2026-03-31", "segment": "account"}
    )
    trend = build_trend(TrendFilters.from_args(args, date(2026, 12, 1)))
    assert [(s.label, [p.counts.n for p in s.points]) for s in trend.series] == [("Late", [1])]


def _statements(run) -> list[str]:
    """The SQL statements ``run()`` sends."""
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return sent


@pytest.mark.parametrize("grain", ["month", "week", "day"])
def test_split_by_account_reads_twice_from_statements_built_once_per_shape(answers, grain):
    """The page's split by account is two statements (the ranked table's page with its counts, then the
    top accounts, no account and every answer by bucket), whatever the grain; a day grain that the top N
    and the rest already coarsen (130 days × 6 series) is not read at days first. The statements are built
    once per shape of range (months read whole, partial ranges added and subtracted) and reused with the
    dates of another range of that shape."""
    from app.trends import series

    def filters(start: str, end: str) -> TrendFilters:
        args = {"kind": "nps", "grain": grain, "segment": "account", "start": start, "end": end}
        return TrendFilters.from_args(MultiDict(args), date(2026, 12, 1))

    first, later = filters("2026-01-23", "2026-05-29"), filters("2026-01-24", "2026-04-28")
    shape = series.range_plan("account", first.start, first.end, "month")[0]
    assert shape == series.range_plan("account", later.start, later.end, "month")[0] == (True, 1, 1)
    sent = _statements(lambda: build_trend(first))
    assert len([s for s in sent if "rollups" in s]) == 2, sent
    built = (series._ranked_template.cache_info().misses, series._segment_template.cache_info().misses)
    trend = build_trend(later)
    assert trend.grain == ("week" if grain == "day" else grain)
    assert (
        series._ranked_template.cache_info().misses,
        series._segment_template.cache_info().misses,
    ) == built
    shown = [k for k, _ in ranking("nps", later.start, later.end, "answers")[:5]]
    want = recomputed("account", "nps", later.start, later.end, trend.grain, shown)
    assert {(p.bucket, s.key): p.counts for s in trend.series for p in s.points} == want


@pytest.mark.parametrize("rank", ["answers", "arr"])
def test_ranking_reads_running_totals_across_months_without_answers(db_session, rank, monkeypatch):
    """The ranking sums whole months from the running totals by month: an account with no answers in the
    range's last whole month or in the month before its first takes its latest earlier total (a probe),
    one that answered only before the range or only after it is not ranked, an account with no answers
    at all neither, and a range whose first month is the first with answers reads no month before it.
    The ranked table equals a recomputation for ranges of whole and partial months."""
    monkeypatch.setattr("app.trends.series.ACCOUNTS_PER_PAGE", 50)
    timezone_changed(ZONE)
    survey = make_survey("nps")
    months = {  # account -> months with answers (2026), each two answers on the 10th and 20th
        "gaps": [1, 3, 5],
        "before only": [1],
        "after only": [7],
        "even": [2, 4, 6],
        "late start": [4, 5],
        "none": [],
    }
    accounts = {}
    for i, (name, answered) in enumerate(months.items()):
        accounts[name] = make_account(name=name, arr=[100, 900, 500, 100, 300, 50][i])
        for m in answered:
            for day, score in ((10, (m + i) % 11), (20, (3 * m + i) % 11)):
                at = datetime(2026, m, day, 12, tzinfo=UTC)
                make_response(survey, score=score, account=accounts[name], created_at=at)
    make_response(survey, score=4, account=None, created_at=datetime(2026, 4, 15, 12, tzinfo=UTC))
    db.session.flush()
    for start, end in [
        ("2026-02-01", "2026-04-30"),  # "gaps" has no April (latest: March), "before only" nets 0
        ("2026-03-01", "2026-06-30"),  # the month before (February): "gaps" takes January's total
        ("2026-01-01", "2026-03-31"),  # no month before the first with answers
        ("2026-02-14", "2026-05-12"),  # partial months at both ends
        ("2026-04-01", "2026-12-31"),  # past the last month with answers
        ("2026-01-05", "2026-01-25"),  # inside one month
    ]:
        args = {
            "kind": "nps",
            "grain": "month",
            "start": start,
            "end": end,
            "segment": "account",
            "rank": rank,
        }
        filters = TrendFilters.from_args(MultiDict(args), date(2026, 12, 31))
        ranked = ranking("nps", filters.start, filters.end, rank)
        table = build_trend(filters).accounts
        assert table.total == len(ranked), (start, end)
        assert [(r.rank, r.key, r.counts) for r in table.rows] == [
            (i + 1, k, c) for i, (k, c) in enumerate(ranked)
        ], (start, end)
        assert accounts["none"].id not in {r.key for r in table.rows}
