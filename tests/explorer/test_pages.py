"""The explorer page as people use it: what a row shows, saved views, the CSV export, bulk tagging, and
who may do what (every staff role reads and exports; only PMs and admins tag)."""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Mention, MentionSource, SavedView
from tests.explorer.conftest import page_ids
from tests.factories import make_user
from tests.helpers import text


def test_a_row_shows_score_evidence_intent_contact_account_survey_and_follow_up(viewer_client, world):
    html = viewer_client.get(f"/responses?contact={world.alice}&kind=nps&band=detractor").get_data(
        as_text=True
    )
    row = re.search(rf'<tr data-id="{world.r1}">.*?</tr>', html, re.S).group(0)
    assert '<mark class="topic negative" title="Invoices · negative">invoices</mark>' in row
    assert f'href="/responses/{world.r1}"' in row  # the row opens the response page
    assert "complaint" in row and "badge-bad" in row  # intent and sentiment
    assert f'href="/contacts/{world.alice}"' in row and "Alice Doe" in row
    assert f'href="/accounts/{world.big}"' in row and "ARR 120,000" in row and "Pro" in row
    assert "enterprise" in row and "overdue" in row and ">open<" in row
    assert f"account={world.big}" in row  # "only this account" narrows the view


def test_user_text_is_always_escaped(app, viewer_client, world):
    from app.models import Response

    with app.app_context():
        db.session.get(Response, world.r6).comment = "<script>alert(1)</script>"
        db.session.commit()
    html = viewer_client.get("/responses").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_saved_views_are_per_user(app, client, login, world):
    login(client, "viewer")
    resp = client.post(
        "/responses/views",
        page="/responses",
        data={
            "name": "  Enterprise   detractors ",
            "tier": "enterprise",
            "band": "detractor",
            "after": "1~2",
            "bogus": "x",
        },
    )
    assert resp.status_code == 303 and "tier=enterprise" in resp.headers["Location"]
    html = client.get("/responses").get_data(as_text=True)
    assert "Enterprise detractors" in html and "?band=detractor&amp;tier=enterprise" in html
    assert page_ids(client, "band=detractor&tier=enterprise") == [world.r1]
    other = app.test_client()
    login(other, "pm")
    assert "Enterprise detractors" not in other.get("/responses").get_data(as_text=True)
    with app.app_context():
        view_id = db.session.execute(sa.select(SavedView.id)).scalar_one()
    assert other.post(f"/responses/views/{view_id}/delete", csrf="session").status_code == 404  # not theirs
    assert (
        client.post("/responses/views", data={"name": "Enterprise detractors", "kind": "nps"}).status_code
        == 303
    )
    with app.app_context():
        assert db.session.execute(sa.select(SavedView.query)).scalars().all() == ["kind=nps"]  # replaced
    assert client.post(f"/responses/views/{view_id}/delete").status_code == 303
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(SavedView.id))).scalar_one() == 0


def test_a_view_without_a_name_is_refused_next_to_the_field(viewer_client, world):
    resp = viewer_client.post("/responses/views", data={"name": "   ", "band": "promoter"}, page="/responses")
    assert resp.status_code == 422 and "Give the view a name." in text(resp)
    assert page_ids(viewer_client, "band=promoter") == [world.r2]


def _csv(resp) -> list[dict[str, str]]:
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_export_is_exactly_what_is_filtered_and_redacted_unless_admin(
    app, pm_client, admin_client, world
):
    rows = _csv(
        pm_client.post(
            "/responses/export.csv", data={"tier": "enterprise", "comment": "with"}, page="/responses"
        )
    )
    assert [int(r["response_id"]) for r in rows] == sorted([world.r1, world.r4, world.r8])
    first = next(r for r in rows if int(r["response_id"]) == world.r1)
    assert "alice@bigco.example" not in first["comment"] and "[EMAIL]" in first["comment"]
    assert (
        first["contact_name"] == ""
        and first["contact_email"] == ""
        and first["contact_id"] == str(world.alice)
    )
    assert first["topics"] == "Invoices (negative)" and first["intents"] == "complaint"
    assert first["account"] == "Bigco" and first["arr"] == "120000" and first["followup"] == "open"
    admin_rows = _csv(
        admin_client.post(
            "/responses/export.csv", data={"tier": "enterprise", "comment": "with"}, page="/responses"
        )
    )
    first = next(r for r in admin_rows if int(r["response_id"]) == world.r1)
    assert "alice@bigco.example" in first["comment"] and first["contact_name"] == "Alice Doe"
    formula = _csv(admin_client.post("/responses/export.csv", data={"band": "easy"}, page="/responses"))
    assert formula[0]["comment"] == "'=SUM(A1) easy"  # neutralised against formula injection
    with app.app_context():
        events = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "responses.export")
        ).scalars()
        assert sorted(e.details["redacted"] for e in events) == [False, False, True]


def test_export_needs_a_post_with_csrf(app, viewer_client, world):
    assert viewer_client.get("/responses/export.csv").status_code == 405
    assert viewer_client.post("/responses/export.csv", data={}, csrf=False).status_code == 400


def test_pms_tag_a_selection_by_hand_and_the_tags_survive_a_re_tag(app, pm_client, world):
    resp = pm_client.post(
        "/responses/tag",
        data={"topic_id": world.billing, "tier": "smb", "response_id": [world.r5, world.r7, world.r7, "x"]},
        page="/responses",
    )
    assert resp.status_code == 303 and "tier=smb" in resp.headers["Location"]
    assert page_ids(pm_client, f"topic={world.billing}") == [world.r7, world.r5, world.r4, world.r1]
    with app.app_context():
        from app.analysis.services import start_retag

        start_retag("test", None)  # inline: re-tags history now; manual tags are kept
        manual = db.session.execute(
            sa.select(Mention.response_id).where(
                Mention.topic_id == world.billing, Mention.source == MentionSource.MANUAL
            )
        ).scalars()
        assert sorted(manual) == sorted([world.r5, world.r7])
    again = pm_client.post("/responses/tag", data={"topic_id": world.billing, "response_id": [world.r5]})
    assert again.status_code == 303
    assert "Tagged 0 of 1" in text(pm_client.get(again.headers["Location"]))


def test_bad_bulk_tag_requests_are_explained(pm_client, world):
    for data, message in (
        ({"topic_id": world.billing}, "Select at least one response."),
        ({"topic_id": "x", "response_id": [world.r1]}, "Choose a topic."),
        ({"topic_id": 999999, "response_id": [world.r1]}, "Choose an active topic."),
        ({"topic_id": world.billing, "response_id": list(range(1, 600))}, "at most 500"),
    ):
        resp = pm_client.post("/responses/tag", data=data, page="/responses")
        assert resp.status_code == 303
        assert message in text(pm_client.get(resp.headers["Location"]))


def test_who_may_do_what(app, world, client, login):
    for role in ("viewer", "cs", "pm", "admin"):
        c = app.test_client()
        login(c, role)
        html = c.get("/responses").get_data(as_text=True)
        assert page_ids(c) and "Export CSV" in html and "Save view" in html
        can_tag = role in ("pm", "admin")
        assert ('id="bulk-tag"' in html) is can_tag
        status = c.post(
            "/responses/tag",
            data={"topic_id": world.billing, "response_id": [world.r1]},
            csrf=True if can_tag else "session",  # no tagging form on a viewer's page
        ).status_code
        assert status == (303 if can_tag else 403)
    assert client.get("/responses").status_code == 302  # anonymous: sign in first


def test_a_user_deleted_takes_their_views_along(app, world):
    with app.app_context():
        user = make_user("pm")
        db.session.add(SavedView(user_id=user.id, name="mine", query="kind=nps"))
        db.session.commit()
        db.session.delete(user)
        db.session.commit()
        assert db.session.execute(sa.select(sa.func.count(SavedView.id))).scalar_one() == 0
