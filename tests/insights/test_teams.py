"""Team management: PMs and admins create, edit and delete teams; bad input is refused next to its field
with nothing written; other roles read only."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Digest, Team
from tests.factories import make_topic, make_user
from tests.helpers import text


def _form(**over):
    data = {
        "name": "Billing squad",
        "description": "Invoices, payments, refunds",
        "all_topics": "",
        "topics": [],
        "members": [],
        "timezone": "Europe/Berlin",
        "digest_weekday": "0",
        "digest_hour": "8",
        "digest_enabled": "y",
        "alerts_enabled": "y",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def _teams(app) -> list[Team]:
    with app.app_context():
        return list(db.session.execute(sa.select(Team)).scalars())


def test_a_pm_creates_edits_and_deletes_a_team(app, pm_client):
    with app.app_context():
        billing = make_topic("Billing").id
        member = make_user("cs").id
        db.session.commit()
    resp = pm_client.post("/teams/new", data=_form(topics=[billing], members=[member]))
    assert resp.status_code == 303
    with app.app_context():
        team = db.session.execute(sa.select(Team)).scalar_one()
        assert (team.name, team.all_topics, [t.id for t in team.topics]) == (
            "Billing squad",
            False,
            [billing],
        )
        assert [u.id for u in team.members] == [member] and team.timezone == "Europe/Berlin"
        team_id = team.id
        db.session.add(
            Digest(team_id=team_id, period_start=team.created_at.date(), period_end=team.created_at.date())
        )
        db.session.commit()
    page = text(pm_client.get("/teams"))
    assert "Billing squad" in page and "Billing" in page
    assert "Mondays 08:00" in page
    edit = pm_client.post(f"/teams/{team_id}/edit", data=_form(name="Money", all_topics="y", digest_hour="9"))
    assert edit.status_code == 303
    with app.app_context():
        team = db.session.get(Team, team_id)
        assert (team.name, team.all_topics, team.topics, team.digest_hour) == ("Money", True, [], 9)
    assert pm_client.post(f"/teams/{team_id}/delete").status_code == 303
    assert _teams(app) == []
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Digest)).scalar() == 0
        actions = db.session.execute(
            sa.select(AuditEvent.action).where(AuditEvent.target_type == "team")
        ).scalars()
        assert sorted(actions) == ["team.create", "team.delete", "team.update"]


def test_bad_input_is_refused_next_to_its_field_and_nothing_is_written(app, pm_client):
    with app.app_context():
        topic_id = make_topic("Exports").id
        db.session.add(Team(name="Existing"))
        db.session.commit()
    cases = [
        (_form(name="   "), "Give the team a name"),
        (_form(name="existing", all_topics="y"), "already exists"),
        (_form(all_topics=None, topics=[]), "Choose at least one topic"),
        (_form(topics=[999999]), "valid choice"),
        (_form(all_topics="y", members=[999999]), "valid choice"),
        (_form(all_topics="y", timezone="Mars/Olympus"), "valid choice"),
        (_form(all_topics="y", digest_hour="25"), "valid choice"),
        (_form(all_topics="y", digest_weekday="x"), "valid choice"),
        (_form(all_topics="y", name="x" * 121), "120"),
    ]
    for data, message in cases:
        resp = pm_client.post("/teams/new", data=data)
        assert resp.status_code == 422, (data, resp.status_code)
        assert message in text(resp), message
    assert [t.name for t in _teams(app)] == ["Existing"]
    assert topic_id


def test_a_retired_topic_cannot_be_followed(app, pm_client):
    with app.app_context():
        retired = make_topic("Old", is_active=False).id
        db.session.commit()
    resp = pm_client.post("/teams/new", data=_form(topics=[retired]))
    assert resp.status_code == 422
    assert _teams(app) == []


def test_viewers_and_cs_read_teams_but_cannot_change_them(app, viewer_client, cs_client):
    with app.app_context():
        db.session.add(Team(name="Platform"))
        db.session.commit()
        team_id = db.session.execute(sa.select(Team.id)).scalar_one()
    for client in (viewer_client, cs_client):
        assert client.get("/teams").status_code == 200
        assert client.get(f"/teams/{team_id}").status_code == 200
        assert "Edit" not in text(client.get(f"/teams/{team_id}"))
        assert client.post("/teams/new", data=_form(all_topics="y"), csrf="session").status_code == 403
        assert (
            client.post(f"/teams/{team_id}/edit", data=_form(all_topics="y"), csrf="session").status_code
            == 403
        )
        assert client.post(f"/teams/{team_id}/delete", csrf="session").status_code == 403
    assert [t.name for t in _teams(app)] == ["Platform"]


def test_the_form_offers_the_workspace_zone_and_every_user(app, admin_client):
    with app.app_context():
        make_user("pm", name="Priya PM")
        db.session.commit()
    page = admin_client.get("/teams/new").get_data(as_text=True)
    assert "Workspace time zone (UTC)" in page and "Priya PM" in page
    assert admin_client.get("/teams/999999").status_code == 404
    assert admin_client.get("/teams/999999/edit").status_code == 404
