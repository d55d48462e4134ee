"""The overview: the period's scores against the period before, response rate, topics and latest comments."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import AnalysisState, DeliveryState, Mention, MentionSource, utcnow
from tests.factories import make_account, make_invitation, make_response, make_survey, make_topic
from tests.helpers import text


def _seed() -> None:
    now = utcnow()
    nps = make_survey("nps")
    acme = make_account(name="Acme Ltd")
    # last 90 days: 2 promoters, 1 passive, 1 detractor -> NPS +25; the 90 days before: 1 detractor -> -100
    for score in (10, 9, 7):
        make_response(nps, score=score, created_at=now - timedelta(days=3))
    slow = make_response(
        nps,
        score=2,
        comment="<script>alert(1)</script> the dashboard is slow",
        account=acme,
        created_at=now - timedelta(days=1),
    )
    make_response(nps, score=0, created_at=now - timedelta(days=120))
    csat = make_survey("csat")
    for score in (5, 4, 3, 1):  # 2 of 4 satisfied: a neutral 3 is not satisfied -> 50%
        make_response(csat, score=score, created_at=now - timedelta(days=2))
    ces = make_survey("ces")
    for score in (7, 6, 5):  # mean 6.00
        make_response(ces, score=score, created_at=now - timedelta(days=2))
    topic = make_topic("Performance")
    db.session.add(
        Mention(
            response_id=slow.id, topic_id=topic.id, source=MentionSource.PHRASE, sentiment_label="negative"
        )
    )
    # 4 invitations delivered in the period, 1 answered -> 25% response rate
    for i in range(4):
        inv, _ = make_invitation(nps, state=DeliveryState.SENT, sent_at=now - timedelta(days=5))
        if i == 0:
            inv.responded_at = now - timedelta(days=4)
    failed = make_response(nps, score=8, created_at=now - timedelta(days=200))
    failed.analysis_state = AnalysisState.FAILED


def test_overview_shows_the_period_against_the_one_before(viewer_client, rows):
    rows(_seed)
    resp = viewer_client.get("/")
    assert resp.status_code == 200
    page = text(resp)
    assert "Net Promoter Score +25" in page
    assert "4 answers" in page
    assert "▲ 125 vs before" in page  # +25 against -100
    assert "2 promoters · 1 passives · 1 detractors" in page
    assert "CSAT (share of 4–5) 50%" in page
    assert "Customer Effort (mean of 1–7) 6.00" in page
    assert "Response rate 25% of 4 delivered invitations" in page
    assert "Performance 1 100% negative" in page
    assert "1 responses failed tagging" in page
    assert "small sample" in page


def test_comments_are_shown_escaped_with_their_account(viewer_client, rows):
    rows(_seed)
    body = viewer_client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; the dashboard is slow" in body
    assert "Acme Ltd" in body


def test_the_period_can_be_chosen_and_bad_values_fall_back(viewer_client, rows):
    rows(_seed)
    # 12 months include the answers 120 and 200 days ago: 2 promoters, 2 passives, 2 detractors -> 0
    year = text(viewer_client.get("/?days=365"))
    assert "Net Promoter Score 0 " in year and "6 answers" in year
    for bad in ("7", "abc", "-90", "99999999999999999999"):
        resp = viewer_client.get(f"/?days={bad}")
        assert resp.status_code == 200
        assert "What customers said in the last 90 days" in text(resp)


def test_an_empty_workspace_says_so(viewer_client):
    page = text(viewer_client.get("/"))
    assert "No topics yet" in page and "No comments yet" in page
    assert "Net Promoter Score —" in page
