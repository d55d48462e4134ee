"""Alerts: an emerging topic or a detractor at a large account emails the teams that follow it, at most once
per team, topic (or account) and day, with the evidence; never while a re-tag runs, nor for small accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.insights import services
from app.mail.queries import links, parse, part
from app.models import Alert, AnalysisState, DigestState, OutboxMessage, RetagRun, RetagState
from app.workspace_settings import set_settings
from tests.factories import make_account, make_contact, make_user
from tests.helpers import text
from tests.insights.conftest import add_response, make_team, topic

NOW = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)  # a Friday


def _mails(kind: str = "alert") -> list[str]:
    return list(
        db.session.execute(sa.select(OutboxMessage.to_addr).where(OutboxMessage.kind == kind)).scalars()
    )


def _rising(t: int, other: int) -> None:
    """Topic ``t`` at 2 % for 8 weeks, then 12 % this week from 4 accounts."""
    accounts = [make_account().id for _ in range(4)]
    for weeks_back in range(1, 9):
        day = NOW - timedelta(days=7 * weeks_back + 2)
        for i in range(100):
            add_response(day, 8, topics={t: "negative"} if i < 2 else {other: "neutral"} if i < 30 else None)
    for i in range(100):
        topics = {t: "negative"} if i < 12 else None
        add_response(
            NOW - timedelta(days=2), 3, topics=topics, account_id=accounts[i % 4] if i < 12 else None
        )


@pytest.mark.slow
def test_an_emerging_topic_alerts_the_teams_that_follow_it_once_a_day(ctx):
    exports, dashboards = topic("Exports"), topic("Dashboards")
    _rising(exports, dashboards)
    follows = make_team("Data", members=[make_user("pm", email="data@example.com")], topics=[exports])
    make_team("Viz", members=[make_user("pm", email="viz@example.com")], topics=[dashboards])
    make_team("All", members=[make_user("pm", email="all@example.com")])
    make_team("Muted", members=[make_user("pm", email="muted@example.com")], alerts_enabled=False)
    db.session.commit()
    assert services.check_alerts(NOW) == {"created": 2}
    assert sorted(_mails()) == ["all@example.com", "data@example.com"]
    alert = db.session.execute(sa.select(Alert).where(Alert.team_id == follows.id)).scalar_one()
    assert (
        alert.state == DigestState.SENT and alert.subject == f"topic:{exports}" and alert.kind == "emerging"
    )
    e = alert.evidence
    assert (e["responses"], e["accounts"], e["base_responses"]) == (12, 4, 16)
    assert e["q"] <= 0.05 and e["lift"] == pytest.approx(6.0) and len(e["verbatims"]) <= 3
    assert services.check_alerts(NOW + timedelta(hours=3)) == {"created": 0}  # same day: nothing new
    assert len(_mails()) == 2
    assert services.check_alerts(NOW + timedelta(days=1)) == {"created": 2}  # still emerging the next day
    msg = parse(db.session.execute(sa.select(OutboxMessage.raw)).scalars().first())
    assert msg["Subject"].startswith("Emerging: Exports, 12 responses in 7 days")
    assert f"http://localhost/responses?topic={exports}&start=2026-03-21&end=2026-03-27" in links(
        part(msg, "plain")
    )


@pytest.mark.slow
def test_no_emerging_alert_while_a_retag_runs(ctx):
    exports, dashboards = topic("Exports"), topic("Dashboards")
    _rising(exports, dashboards)
    make_team("All", members=[make_user("pm")])
    db.session.add(RetagRun(reason="taxonomy changed", state=RetagState.QUEUED))
    db.session.commit()
    assert services.check_alerts(NOW) == {"created": 0}


@pytest.fixture
def big_detractor(ctx):
    billing, other = topic("Billing"), topic("Onboarding")
    globex = make_account(name="Globex", arr=500_000)
    jane = make_contact(globex, name="Jane Roe", email="jane@globex.example")
    response = add_response(
        NOW - timedelta(hours=2),
        3,
        comment="Jane Roe: we are evaluating other vendors, billing is a mess. Mail jane@globex.example",
        topics={billing: "negative"},
        account_id=globex.id,
        contact_id=jane.id,
    )
    teams = {
        "billing": make_team(
            "Billing", members=[make_user("pm", email="billing@example.com")], topics=[billing]
        ),
        "onboarding": make_team("Onb", members=[make_user("pm", email="onb@example.com")], topics=[other]),
        "all": make_team("All", members=[make_user("pm", email="all@example.com")]),
    }
    db.session.commit()
    return {"account": globex, "response": response, "teams": teams, "billing": billing}


def test_a_detractor_at_a_large_account_alerts_its_teams_with_the_evidence(big_detractor):
    assert services.check_alerts(NOW) == {"created": 2}
    assert sorted(_mails()) == ["all@example.com", "billing@example.com"]
    alert = db.session.execute(
        sa.select(Alert).where(Alert.team_id == big_detractor["teams"]["billing"].id)
    ).scalar_one()
    assert alert.title == "Detractor at Globex (ARR 500,000): NPS 3"
    assert alert.subject == f"account:{big_detractor['account'].id}"
    e = alert.evidence
    assert e["score"] == 3 and e["topics"] == ["Billing"] and e["arr"] == 500_000
    assert (
        "jane@globex.example" not in e["comment"] and "Jane" not in e["comment"] and "[EMAIL]" in e["comment"]
    )
    assert e["url"] == f"/responses/{big_detractor['response'].id}"
    msg = parse(db.session.execute(sa.select(OutboxMessage.raw)).scalars().first())
    for subtype in ("plain", "html"):
        body = part(msg, subtype)
        assert "jane@globex.example" not in body and "evaluating other vendors" in body


def test_at_most_one_detractor_alert_per_account_and_day(big_detractor):
    services.check_alerts(NOW)
    account = big_detractor["account"]
    add_response(
        NOW - timedelta(minutes=30), 1, topics={big_detractor["billing"]: "negative"}, account_id=account.id
    )
    db.session.commit()
    assert services.check_alerts(NOW) == {"created": 0}  # same account, same day
    assert services.check_alerts(NOW + timedelta(days=1)) == {"created": 2}  # the second detractor, a day on
    assert services.check_alerts(NOW + timedelta(days=1, hours=1)) == {"created": 0}  # none is repeated
    assert len(_mails()) == 4


def test_small_accounts_untagged_answers_and_a_zero_threshold_do_not_alert(big_detractor):
    small = make_account(arr=99_999)
    add_response(
        NOW - timedelta(hours=1), 0, topics={big_detractor["billing"]: "negative"}, account_id=small.id
    )
    pending = add_response(NOW - timedelta(minutes=5), 2, account_id=make_account(arr=900_000).id)
    pending.analysis_state = AnalysisState.PENDING
    set_settings({"alert_arr_threshold": 0})
    db.session.commit()
    assert services.check_alerts(NOW) == {"created": 0}
    set_settings({"alert_arr_threshold": 100_000})
    db.session.commit()
    assert services.check_alerts(NOW) == {"created": 2}  # Globex only: the pending one waits for tagging
    assert services.check_alerts(NOW + timedelta(hours=1)) == {
        "created": 1
    }  # untagged after 30 min: all-topics team


def test_alert_pages_show_the_evidence(app, viewer_client):
    with app.app_context():
        account = make_account(name="Initech", arr=700_000)
        add_response(NOW - timedelta(hours=1), 2, comment="Cancelling soon", account_id=account.id)
        make_team("All", members=[make_user("pm")])
        db.session.commit()
        services.check_alerts(NOW)
        alert_id = db.session.execute(sa.select(Alert.id)).scalar_one()
    listing = text(viewer_client.get("/alerts"))
    assert "Detractor at Initech" in listing
    page = viewer_client.get(f"/alerts/{alert_id}")
    assert page.status_code == 200 and "Cancelling soon" in text(page) and "700,000" in text(page)
    assert viewer_client.get("/alerts/999999").status_code == 404
