"""The Topics and Tagging pages: who sees and does what, bad form input, and escaping of comments."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import render_template_string

from app.analysis.highlight import mention_segments
from app.extensions import db
from app.models import AnalysisState, Response, RetagRun, RetagState, Setting, Topic
from app.tasks import analysis as jobs
from tests.analysis.conftest import add_responses, mentions_of, state_of, topic_id


@pytest.fixture
def seeded(app):
    from app.analysis.taxonomy_store import ensure_taxonomy

    with app.app_context():
        ensure_taxonomy()


def test_every_staff_role_sees_the_topic_tree_with_counts(app, viewer_client, seeded):
    with app.app_context():
        ids = add_responses("The invoices are wrong", "Invoices are late and confusing", "Great onboarding")
        jobs.analyze_responses(ids)
    page = viewer_client.get("/topics")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Invoices" in html and "billing.invoices" in html
    assert 'href="/topics/' not in html, "viewers get no edit links"
    assert "Add a topic" not in html
    row = re.search(r"billing\.invoices</span>.*?</tr>", html, re.S).group(0)
    assert re.search(r'class="num"><a href="/responses\?topic=\d+"[^>]*>2\b', row), "2 responses, linked"
    assert "100%" in row  # both were negative


def test_pages_never_write_on_get(app, pm_client):
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Topic.id))).scalar_one() == 0
    for path in ("/topics", "/tagging"):
        assert pm_client.get(path).status_code == 200
    assert "No topics yet" in pm_client.get("/topics").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Topic.id))).scalar_one() == 0


def test_editors_see_the_forms(pm_client, seeded):
    html = pm_client.get("/topics").get_data(as_text=True)
    assert "Add a topic" in html and "Re-tag history" in html and 'href="/topics/' in html


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": ""}, "Give the topic a name"),
        ({"name": "Billing", "parent_id": "0"}, "already a topic called"),
        ({"name": "Brand new", "key": "billing.invoices"}, "already exists"),
        ({"name": "Brand new", "parent_id": "not-a-number"}, "Choose an active parent topic"),
        ({"name": "Brand new", "patterns": "... slow"}, "not valid"),
    ],
)
def test_bad_topic_forms_get_a_422_with_a_message(app, pm_client, seeded, form, message):
    with app.app_context():
        before = db.session.execute(sa.select(sa.func.count(Topic.id))).scalar_one()
    resp = pm_client.post("/topics", data={"parent_id": "0", **form})
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True).replace("&#34;", '"')
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Topic.id))).scalar_one() == before


def test_a_topic_is_created_moved_and_retired_through_the_pages(app, pm_client, seeded):
    resp = pm_client.post("/topics", data={"name": "Quokka mode", "parent_id": "0", "phrases": "quokka mode"})
    assert resp.status_code == 303
    with app.app_context():
        quokka = topic_id("quokka-mode")
        billing, invoices = topic_id("billing"), topic_id("billing.invoices")
    edit = pm_client.get(f"/topics/{quokka}")
    assert edit.status_code == 200 and "quokka mode" in edit.get_data(as_text=True)
    moved = pm_client.post(
        f"/topics/{quokka}", data={"name": "Quokka mode", "parent_id": str(billing), "phrases": "quokka"}
    )
    assert moved.status_code == 303
    with app.app_context():
        assert db.session.get(Topic, quokka).parent_id == billing
    cycle = pm_client.post(f"/topics/{billing}", data={"name": "Billing", "parent_id": str(invoices)})
    assert cycle.status_code == 422
    assert "under itself or one of its own subtopics" in cycle.get_data(as_text=True)
    assert pm_client.post(f"/topics/{quokka}/retire", page=f"/topics/{quokka}").status_code == 303
    with app.app_context():
        assert not db.session.get(Topic, quokka).is_active
    assert pm_client.post(f"/topics/{quokka}/restore").status_code == 303
    assert pm_client.get("/topics/999999").status_code == 404


def test_a_suggestion_is_accepted_as_a_topic(app, pm_client, seeded):
    with app.app_context():
        value = {
            "computed_at": "2026-01-01T00:00:00",
            "scanned": 3,
            "items": [
                {
                    "label": "Quokka sync",
                    "phrases": ["quokka sync", "quokka"],
                    "count": 3,
                    "examples": ["<b>x</b>"],
                }
            ],
        }
        db.session.add(Setting(key="nlp.topic_suggestions", value=value))
        db.session.commit()
    html = pm_client.get("/topics").get_data(as_text=True)
    assert "Quokka sync" in html and "&lt;b&gt;x&lt;/b&gt;" in html
    resp = pm_client.post(
        "/topics/suggestions",
        data={"label": "Quokka sync", "phrase": ["quokka sync", "quokka"], "parent_id": "0"},
    )
    assert resp.status_code == 303
    with app.app_context():
        topic = db.session.execute(sa.select(Topic).where(Topic.name == "Quokka sync")).scalar_one()
        assert topic.phrases == ["quokka sync", "quokka"]
        assert db.session.get(Setting, "nlp.topic_suggestions").value["items"] == []
    again = pm_client.post(
        "/topics/suggestions",
        data={"label": "Quokka sync", "parent_id": "0"},
        follow_redirects=True,
        csrf="session",  # the suggestion is gone from the page: a stale tab posts it again
    )
    assert "already a topic called" in again.get_data(as_text=True)


def test_the_queue_page_lists_failures_and_admins_retry_them(app, admin_client, viewer_client, seeded):
    with app.app_context():
        (rid,) = add_responses("<script>alert('x')</script> invoices")
        db.session.execute(
            sa.update(Response)
            .where(Response.id == rid)
            .values(
                analysis_state=AnalysisState.FAILED,
                analysis_error="RuntimeError: <boom>",
                analysis_attempts=3,
            )
        )
        db.session.add(RetagRun(reason="taxonomy: edited", state=RetagState.RUNNING, total=10, processed=4))
        db.session.commit()
    viewer = viewer_client.get("/tagging").get_data(as_text=True)
    assert "RuntimeError: &lt;boom&gt;" in viewer and "<script>alert" not in viewer
    assert "Retry all" not in viewer
    assert 'value="40"' in viewer and "data-retag-status" in viewer
    admin = admin_client.get("/tagging").get_data(as_text=True)
    assert "Retry all" in admin
    assert admin_client.post("/tagging/retry", data={"response_id": str(rid)}).status_code == 303
    with app.app_context():
        response = state_of(rid)
        assert response.analysis_state == AnalysisState.DONE and response.analysis_attempts == 0
    assert viewer_client.post("/tagging/retry", data={}, csrf="session").status_code == 403


def test_retag_status_json(app, viewer_client):
    with app.app_context():
        run = RetagRun(reason="x", state=RetagState.RUNNING, total=8, processed=2)
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    data = viewer_client.get(f"/tagging/runs/{run_id}.json").get_json()
    assert data == {
        "id": run_id,
        "state": "running",
        "processed": 2,
        "total": 8,
        "percent": 25,
        "error": None,
    }
    assert viewer_client.get("/tagging/runs/999999.json").status_code == 404


def test_the_re_tag_button_starts_a_run(app, pm_client, seeded):
    with app.app_context():
        jobs.analyze_responses(add_responses("The invoices are wrong"))
    resp = pm_client.post("/topics/retag", page="/topics")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/tagging")
    with app.app_context():
        run = db.session.execute(sa.select(RetagRun)).scalar_one()
        assert run.state == RetagState.DONE and run.total == 1


def test_manual_tagging_from_the_response_page(app, pm_client, viewer_client, seeded):
    with app.app_context():
        (rid,) = add_responses("The invoices are wrong <img src=x onerror=alert(1)>")
        jobs.analyze_responses([rid])
        invoices, security = topic_id("billing.invoices"), topic_id("security")
    html = viewer_client.get(f"/responses/{rid}").get_data(as_text=True)
    assert '<mark class="topic negative" title="Invoices · negative">invoices</mark>' in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Add tag" not in html
    assert (
        viewer_client.post(
            f"/tagging/responses/{rid}/topics", data={"topic_id": security}, csrf="session"
        ).status_code
        == 403
    )
    assert (
        pm_client.post(
            f"/tagging/responses/{rid}/topics",
            data={"topic_id": str(security)},
            page=f"/tagging/responses/{rid}",
        ).status_code
        == 303
    )
    assert pm_client.post(f"/tagging/responses/{rid}/topics/{invoices}/reject").status_code == 303
    bad = pm_client.post(f"/tagging/responses/{rid}/topics", data={"topic_id": "abc"}, follow_redirects=True)
    assert "Choose one of the active topics" in bad.get_data(as_text=True)
    with app.app_context():
        assert (security, "manual", False, None, None) in mentions_of(rid)
        assert (invoices, "manual", True, None, None) in mentions_of(rid)
    gone = pm_client.post(f"/tagging/responses/{rid}/topics/{security}/remove", follow_redirects=True)
    assert "Manual tag removed" in gone.get_data(as_text=True)
    assert pm_client.get("/responses/999999").status_code == 404


MACRO = '{% from "analysis/_macros.html" import highlight %}{{ highlight(comment, mentions) }}'


def test_highlight_escapes_the_comment_and_the_marked_spans(app):
    comment = "<script>alert(1)</script> & invoices <b>are</b> wrong"
    start = comment.index("<b>")
    mentions = [
        {"start": 0, "end": 8, "topic_name": "<i>T</i>", "sentiment": {"label": "negative"}},
        {"start": start, "end": start + 10, "topic_name": 'Quote"s', "sentiment_label": "positive"},
        {"start": 5, "end": 99, "topic_name": "out of range"},
        {"start": 30, "end": 36, "topic_name": "rejected", "rejected": True},
    ]
    with app.test_request_context():
        html = render_template_string(MACRO, comment=comment, mentions=mentions)
    assert "<script>" not in html and "<b>" not in html
    assert html.startswith(
        '<mark class="topic negative" title="&lt;i&gt;T&lt;/i&gt; · negative">&lt;script&gt;</mark>'
    )
    assert '<mark class="topic positive" title="Quote&#34;s · positive">&lt;b&gt;are&lt;/b&gt;</mark>' in html
    assert "alert(1)&lt;/script&gt; &amp; invoices" in html
    assert "out of range" not in html and "rejected" not in html


def test_highlight_keeps_every_character_once_with_overlaps():
    comment = "billing statement was wrong"
    mentions = [
        {"start": 0, "end": 17, "topic_name": "Invoices", "sentiment_label": "negative"},
        {"start": 0, "end": 7, "topic_name": "Billing", "sentiment_label": "negative"},
        {"start": None, "end": None, "topic_name": "Manual"},
    ]
    segments = mention_segments(comment, mentions)
    assert "".join(s.text for s in segments) == comment
    assert segments[0].title == "Invoices · negative; Billing · negative"
    assert mention_segments(None, mentions) == []
