"""The account page's history: health chart, the contacts' answers over time, topics with sentiment,
follow-ups, ARR history; the charts are server-side SVG with no inline style or script."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.accounts.timeline import account_followups, account_topics, contact_answers, health_chart
from app.extensions import db
from app.models import (
    ArrChange,
    ArrSource,
    FollowUp,
    FollowUpState,
    HealthBand,
    HealthSnapshot,
    Mention,
    MentionSource,
    utcnow,
)
from tests.accounts.conftest import text
from tests.factories import make_account, make_contact, make_response, make_survey, make_topic


@pytest.fixture
def story(rows):
    def build():
        account = make_account(name="Story Co", arr=5000)
        ada = make_contact(account, name="Ada")
        bob = make_contact(account, name="Bob")
        nps = make_survey("nps")
        now = utcnow()
        answers = []
        for days, score, who in ((300, 9, ada), (200, 7, ada), (20, 3, ada), (100, 10, bob)):
            answers.append(
                make_response(
                    nps, score=score, account=account, contact=who, created_at=now - timedelta(days=days)
                )
            )
        make_response(
            nps, score=0, account=account, contact=bob, created_at=now - timedelta(days=800)
        )  # too old
        billing, ui = make_topic("Billing"), make_topic("UI")
        for r, topic, label, score in (
            (answers[2], billing, "negative", -0.8),
            (answers[1], billing, "negative", -0.4),
            (answers[3], ui, "positive", 0.6),
            (answers[0], billing, "positive", 0.2),
        ):
            db.session.add(
                Mention(
                    response_id=r.id,
                    topic_id=topic.id,
                    source=MentionSource.PHRASE,
                    sentiment_label=label,
                    sentiment_score=score,
                )
            )
        db.session.add(
            Mention(
                response_id=answers[3].id,
                topic_id=billing.id,
                source=MentionSource.MANUAL,
                rejected=True,
                sentiment_label="negative",
            )
        )
        db.session.add_all(
            [
                FollowUp(
                    response_id=answers[2].id,
                    contact_id=ada.id,
                    account_id=account.id,
                    reason="detractor",
                    state=FollowUpState.OPEN,
                    due_at=now - timedelta(days=1),
                ),
                FollowUp(
                    response_id=answers[1].id,
                    contact_id=None,
                    account_id=account.id,
                    reason="negative comment",
                    state=FollowUpState.RESOLVED,
                    resolved_at=now - timedelta(days=150),
                ),
            ]
        )
        for i, score in enumerate((80, 72, 60, 38)):
            db.session.add(
                HealthSnapshot(
                    account_id=account.id,
                    as_of=now.date() - timedelta(days=30 * (3 - i)),
                    score=score,
                    band=HealthBand("at_risk" if score < 40 else "watch"),
                    coverage=0.9,
                )
            )
        db.session.add(
            ArrChange(
                account_id=account.id,
                old_arr=6000,
                new_arr=5000,
                effective_on=now.date() - timedelta(days=40),
                source=ArrSource.IMPORT,
            )
        )
        db.session.flush()
        return account

    return rows(build)


def test_contact_answers_over_time(app, story):
    with app.app_context():
        chart = contact_answers(story, lambda rid: f"/responses/{rid}")
        assert [(c.name, [s for _, s, _ in c.answers]) for c in chart.contacts] == [
            ("Ada", [9, 7, 3]),
            ("Bob", [10]),
        ]
        assert (chart.contacts[0].first, chart.contacts[0].latest) == (9, 3)
        assert len(chart.dots) == 4 and {d.css for d in chart.dots} == {"good", "warn", "bad"}
        assert all(34 <= d.x <= 630 and 10 <= d.y <= 136 for d in chart.dots)
        assert contact_answers(make_account().id, str) is None


def test_topics_with_sentiment_skip_rejected_mentions(app, story):
    with app.app_context():
        topics = {t.name: t for t in account_topics(story)}
        billing = topics["Billing"]
        assert (billing.count, billing.negative, billing.positive, billing.neutral) == (3, 2, 1, 0)
        assert billing.mean_sentiment == pytest.approx((-0.8 - 0.4 + 0.2) / 3)
        assert topics["UI"].positive == 1


def test_followups_open_first_with_overdue(app, story):
    with app.app_context():
        rows, open_count = account_followups(story)
        assert open_count == 1
        assert [(r.followup.state.value, r.overdue) for r in rows] == [("open", True), ("resolved", False)]


def test_health_chart_geometry(app, story):
    with app.app_context():
        from app.health.queries import account_health

        chart = health_chart(account_health(story).history)
        assert len(chart.dots) == 4 and len(chart.line.split()) == 4
        ys = [d.y for d in chart.dots]
        assert ys == sorted(ys)  # falling health: each dot lower on the chart
        assert health_chart([]) is None


def test_account_page_shows_the_history(viewer_client, story):
    resp = viewer_client.get(f"/accounts/{story}")
    assert resp.status_code == 200
    page = text(resp)
    for expected in (
        "Health history (4 daily snapshots)",
        "Answers over time",
        "4 NPS answers from 2 people over 24 months",
        "9 → 7 → 3",
        "Topics and their sentiment",
        "Billing",
        "Follow-ups 1 open",
        "overdue",
        "ARR history",
        "CSV import",
        "−1,000",
    ):
        assert expected in page, expected
    html = resp.get_data(as_text=True)
    assert 'class="healthchart"' in html and 'class="answerchart"' in html
    assert "style=" not in html and re.search(r"<script(?![^>]*\bsrc=)", html) is None


def test_account_page_without_history(viewer_client, rows):
    account_id = rows(lambda: make_account(name="Quiet Co"))
    page = text(viewer_client.get(f"/accounts/{account_id}"))
    for expected in (
        "No health snapshot yet",
        "No NPS answers in 24 months",
        "No topics yet",
        "No follow-ups",
        "No ARR change recorded",
    ):
        assert expected in page, expected
    assert viewer_client.get("/accounts/999999").status_code == 404
