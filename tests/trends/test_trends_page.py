"""The Trends page: buckets, segments, intervals, response rates, CSV, links to the explorer, bad input."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from app.models import DeliveryState, Tier
from tests.factories import make_account, make_contact, make_invitation, make_response, make_survey


@pytest.fixture
def data(rows):
    """Jan 2026: 3 promoters + 1 detractor at an enterprise; Feb: 2 detractors at an SMB; 2 invitations."""

    def build():
        nps = make_survey("nps", name="Relationship NPS")
        big = make_account(name="Bigco", tier=Tier.ENTERPRISE)
        small = make_account(name="Smallco", tier=Tier.SMB)
        for day, score in ((5, 10), (6, 9), (7, 9), (8, 3)):
            make_response(nps, score=score, account=big, created_at=datetime(2026, 1, day, 12, tzinfo=UTC))
        for day in (3, 4):
            make_response(nps, score=0, account=small, created_at=datetime(2026, 2, day, 12, tzinfo=UTC))
        contact = make_contact(small)
        for answered in (True, False):
            inv, _ = make_invitation(
                nps, contact=contact, state=DeliveryState.SENT, sent_at=datetime(2026, 2, 1, 9, tzinfo=UTC)
            )
            if answered:
                inv.responded_at = datetime(2026, 2, 3, 12, tzinfo=UTC)
        return [nps]

    return rows(build)


RANGE = "start=2026-01-01&end=2026-02-28"


def test_monthly_nps_with_interval_counts_links_and_response_rate(viewer_client, data):
    resp = viewer_client.get(f"/trends?kind=nps&grain=month&{RANGE}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Jan 2026" in html and "Feb 2026" in html
    assert ">50.0" in html  # January: 3 promoters, 1 detractor
    assert "/responses?kind=nps&amp;start=2026-01-01&amp;end=2026-01-31" in html
    assert "50 %" in html  # February: 2 invitations delivered, 1 answered
    assert '<svg class="trendchart"' in html and "style=" not in html.split("<svg", 1)[1].split("</svg>")[0]


def test_known_interval_of_a_bucket(viewer_client, data):
    html = viewer_client.get(f"/trends?kind=nps&grain=month&{RANGE}").get_data(as_text=True)
    from app.metrics import nps

    jan = nps(3, 0, 1)
    assert f"{jan.low:.1f} to {jan.high:.1f}" in html
    feb = nps(0, 0, 2)
    assert f"{feb.low:.1f} to {feb.high:.1f}" in html and "-100.0" in html


def test_split_by_tier_names_each_segment_and_links_with_its_filter(viewer_client, data):
    html = viewer_client.get(f"/trends?kind=nps&grain=month&segment=tier&{RANGE}").get_data(as_text=True)
    assert "Enterprise" in html and "Smb" in html
    assert "tier=enterprise" in html and "tier=smb" in html


def test_split_by_account_uses_account_names(viewer_client, data):
    html = viewer_client.get(f"/trends?kind=nps&segment=account&{RANGE}").get_data(as_text=True)
    assert "Bigco" in html and "Smallco" in html and "account=" in html


def test_csv_has_the_numbers_behind_the_chart(viewer_client, data):
    resp = viewer_client.get(f"/trends.csv?kind=nps&grain=month&{RANGE}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [(r["bucket"], r["answers"], r["value"], r["promoters"], r["detractors"]) for r in table] == [
        ("2026-01-01", "4", "50.0", "3", "1"),
        ("2026-02-01", "2", "-100.0", "0", "2"),
    ]
    assert table[1]["delivered"] == "2" and table[1]["answered"] == "1"


def test_weekly_buckets_start_on_monday(viewer_client, data):
    html = viewer_client.get(f"/trends?kind=nps&grain=week&{RANGE}").get_data(as_text=True)
    assert "Week of 2026-01-05" in html and "Week of 2026-02-02" in html


def test_many_day_buckets_coarsen(viewer_client, data):
    html = viewer_client.get("/trends?kind=nps&grain=day&start=2025-01-01&end=2026-02-28").get_data(
        as_text=True
    )
    assert "more than 400 points" in html and "Week of 2026-01-05" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-03-01&end=2026-01-01", "The end date is before the start date"),
        ("start=yesterday", "is not a date like 2026-01-31"),
        ("end=2026-02-30", "is not a date like 2026-01-31"),
        ("kind=<script>", "There is no score called"),
        ("grain=decade", "is not a bucket size"),
        ("start=1900-01-01", "out of range"),
    ],
)
def test_bad_input_gets_a_message_not_a_500(viewer_client, data, query, message):
    resp = viewer_client.get(f"/trends?{query}")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert message in html and "<script>" not in html


def test_unknown_segment_is_an_empty_state(viewer_client, data):
    resp = viewer_client.get(f"/trends?segment=galaxy&{RANGE}")
    assert resp.status_code == 200
    assert "No such segment" in resp.get_data(as_text=True)
    assert viewer_client.get(f"/trends.csv?segment=galaxy&{RANGE}").get_data(as_text=True).count("\n") == 1


def test_empty_range_says_so(viewer_client, data):
    html = viewer_client.get("/trends?kind=csat&start=2026-01-01&end=2026-02-28").get_data(as_text=True)
    assert "No answers in this range" in html


def _statements(app, fn) -> list[str]:
    """The SQL text each statement ``fn`` runs."""
    import sqlalchemy as sa
    from sqlalchemy import event

    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(sa.engine.Engine, "before_cursor_execute", record)
    return seen


ROLLUP_TABLES = (
    "response_rollups",
    "response_day_rollups",
    "response_month_rollups",
    "response_segment_rollups",
)


@pytest.mark.parametrize(
    ("segment", "query", "tables"),
    [
        ("", RANGE, {"response_day_rollups"}),
        ("survey", RANGE, {"response_day_rollups"}),
        ("tier", RANGE, {"response_segment_rollups"}),
        ("csm", RANGE, {"response_segment_rollups"}),
        ("account", RANGE, {"response_month_rollups"}),  # whole months
        ("account", "start=2026-01-05&end=2026-02-28", {"response_month_rollups", "response_rollups"}),
    ],
)
def test_each_chart_reads_the_smallest_rollup_that_holds_it(app, viewer_client, data, segment, query, tables):
    """Overall and by survey: the day rollup (no account in its grain); by an account's attribute: the
    segment rollup; by account in months: the month rollup, and the fine one only for a partial month.
    One read by month (its rows name the values; few enough not to coarsen); by account two: the
    accounts' ranked totals, then the top accounts by month (only two accounts: no "all others")."""
    pages: list = []
    seen = _statements(
        app,
        lambda: pages.append(viewer_client.get(f"/trends?kind=nps&grain=month&segment={segment}&{query}")),
    )
    assert pages[0].status_code == 200
    reads = [s for s in seen if "sum(" in s.lower()]
    assert len(reads) == (2 if segment == "account" else 1)
    for read in reads:
        assert {t for t in ROLLUP_TABLES if f"FROM {t} " in read or read.endswith(f"FROM {t}")} == tables
        assert "FROM responses" not in read
    assert ">50.0" in pages[0].get_data(as_text=True)  # January (Bigco, enterprise, the one survey)


def test_api_metrics_read_the_smallest_rollup_that_holds_them(app, data):
    """The API's figures: the day rollup; split by an attribute, the segment rollup, or the fine one when
    one survey is asked for too; the same figures every way."""
    from datetime import date

    from app.api.figures import metrics

    results = []
    for segment, survey, table in (
        (None, None, "response_day_rollups"),
        ("tier", None, "response_segment_rollups"),
        ("tier", data[0], "response_rollups"),
    ):
        got: list = []
        with app.app_context():
            seen = _statements(
                app,
                lambda s=segment, v=survey, got=got: got.append(
                    metrics("nps", "month", s, date(2026, 1, 1), date(2026, 2, 28), v)
                ),
            )
        reads = [s for s in seen if "from response" in s.lower()]
        assert reads and all(f"FROM {table}" in s for s in reads)
        assert sum(r["n"] for r in got[0]["rows"]) == 6
        results.append(got[0]["rows"])
    assert results[1] == results[2]
    assert {r["segment"] for r in results[1]} == {"enterprise", "smb"}


@pytest.fixture
def many(rows):
    """January 2026: seven accounts with 7, 6, …, 1 answers (ARR rising the other way) and two answers
    without an account; Bigco-1 answers only promoters, the rest detractors."""

    def build():
        nps = make_survey("nps", name="Relationship NPS")
        accounts = []
        for i in range(7):
            account = make_account(name=f"Bigco-{i + 1}", arr=1000 * (i + 1))
            accounts.append(account)
            for day in range(7 - i):
                at = datetime(2026, 1, 2 + day, 12, tzinfo=UTC)
                make_response(nps, score=10 if i == 0 else 2, account=account, created_at=at)
        for day in (3, 4):
            make_response(nps, score=8, account=None, created_at=datetime(2026, 1, day, 12, tzinfo=UTC))
        return accounts

    return rows(build)


def test_split_by_account_draws_the_top_accounts_and_the_rest_together(viewer_client, many):
    resp = viewer_client.get(f"/trends?kind=nps&grain=month&segment=account&top=5&{RANGE}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    chart = html.split('<svg class="trendchart"', 1)[1].split("</svg>")[0]
    assert chart.count("<polyline") == 7  # five accounts, the other two together, no account
    legend = html.split('class="legend small"', 1)[1].split("</p>")[0]
    assert [n for n in ("Bigco-1", "Bigco-5", "All other accounts (2)", "No account") if n in legend] == [
        "Bigco-1",
        "Bigco-5",
        "All other accounts (2)",
        "No account",
    ]
    assert "Bigco-6" not in legend
    # the rest: Bigco-6 and -7 (2 + 1 detractors), no explorer link (no filter selects them exactly)
    rest = html.split("<td>All other accounts (2)</td>", 1)[1].split("</tr>")[0]
    assert '<td class="num">3</td>' in rest and "-100.0" in rest and "href" not in rest
    # every account in the ranked table, with its totals and links
    table = html.split('aria-label="Every account"', 1)[1].split("</section>")[0]
    assert "7 accounts answered NPS" in table
    assert table.index("Bigco-1") < table.index("Bigco-7")
    assert f"/accounts/{many[6]}" in table and f"account={many[6]}" in table
    assert '<td class="num">7</td>' in table and ">100.0" in table  # Bigco-1: 7 promoters


def test_split_by_account_ranked_by_arr_and_paged(viewer_client, many, monkeypatch):
    monkeypatch.setattr("app.trends.series.ACCOUNTS_PER_PAGE", 3)
    html = viewer_client.get(f"/trends?kind=nps&segment=account&rank=arr&page=3&{RANGE}").get_data(
        as_text=True
    )
    table = html.split('aria-label="Every account"', 1)[1].split("</section>")[0]
    assert "page 3 of 3" in table and "Bigco-1" in table and "Bigco-2" not in table  # lowest ARR last
    assert "page=2" in table and "rank=arr" in table  # Previous keeps the filters
    legend = html.split('class="legend small"', 1)[1].split("</p>")[0]
    assert "Bigco-7" in legend and "Bigco-3" in legend and "Bigco-2" not in legend  # top 5 by ARR


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("top=7", "Top accounts: choose 5 or 10"),
        ("top=abc", "Top accounts: choose 5 or 10"),
        ("rank=<script>", "is not a ranking"),
        ("page=0", "The page must be a whole number"),
        ("page=-2", "The page must be a whole number"),
    ],
)
def test_bad_account_split_input_gets_a_message(viewer_client, many, query, message):
    resp = viewer_client.get(f"/trends?segment=account&{RANGE}&{query}")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert message in html and "<script>" not in html and "Bigco-1" in html


def test_csv_split_by_account_has_every_account_ranked(viewer_client, many):
    resp = viewer_client.get(f"/trends.csv?kind=nps&grain=month&segment=account&rank=arr&{RANGE}")
    assert resp.status_code == 200 and resp.is_streamed
    table = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [(r["segment"], r["answers"]) for r in table] == [
        *[(f"Bigco-{i}", str(8 - i)) for i in range(7, 0, -1)],
        ("No account", "2"),
    ]
    assert table[-2]["value"] == "100.0" and table[-2]["promoters"] == "7"
