"""Responses through the API: created from other channels, listed with the explorer's filters, read with
their analysis."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import Mention, MentionSource, ResponseIntent, utcnow
from tests.factories import make_contact, make_response, make_survey, make_topic


def _setup(app):
    with app.app_context():
        nps = make_survey("nps")
        csat = make_survey("csat")
        contact = make_contact(email="resp@x.example")
        topic = make_topic("Billing")
        low = make_response(
            nps,
            score=2,
            comment="billing is confusing",
            contact_id=contact.id,
            account_id=contact.account_id,
            created_at=utcnow() - timedelta(days=2),
        )
        db.session.add(
            Mention(
                response_id=low.id, topic_id=topic.id, source=MentionSource.PHRASE, sentiment_label="negative"
            )
        )
        db.session.add(ResponseIntent(response_id=low.id, label="complaint", score=0.9))
        make_response(nps, score=10, comment="great", created_at=utcnow() - timedelta(days=1))
        make_response(csat, score=5)
        db.session.commit()
        return {
            "nps": nps.id,
            "csat": csat.id,
            "contact": contact.id,
            "topic": topic.id,
            "low": low.id,
            "account": contact.account_id,
        }


def test_list_with_the_explorer_filters(app, admin_api):
    ids = _setup(app)
    by_survey = admin_api.get("/responses", query_string={"survey": ids["nps"]}).json["items"]
    assert {r["score"] for r in by_survey} == {2, 10}
    detractors = admin_api.get("/responses", query_string={"survey": ids["nps"], "band": "detractor"}).json
    assert [r["id"] for r in detractors["items"]] == [ids["low"]]
    by_topic = admin_api.get("/responses", query_string={"topic": ids["topic"]}).json["items"]
    assert [r["id"] for r in by_topic] == [ids["low"]]
    by_account = admin_api.get("/responses", query_string={"account": ids["account"]}).json["items"]
    assert [r["id"] for r in by_account] == [ids["low"]]
    oldest = admin_api.get("/responses", query_string={"survey": ids["nps"], "sort": "oldest"}).json["items"]
    assert [r["score"] for r in oldest] == [2, 10]
    nothing = admin_api.get("/responses", query_string={"survey": 999999}).json
    assert nothing == {"items": [], "next_cursor": None}
    assert admin_api.get("/responses", query_string={"band": "amazing"}).status_code == 422


def test_pages_through_responses_with_a_cursor(app, admin_api):
    ids = _setup(app)
    first = admin_api.get("/responses", query_string={"survey": ids["nps"], "limit": 1}).json
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = admin_api.get(
        "/responses", query_string={"survey": ids["nps"], "limit": 1, "cursor": first["next_cursor"]}
    ).json
    assert second["items"][0]["id"] != first["items"][0]["id"] and second["next_cursor"] is None
    wrong_sort = admin_api.get("/responses", query_string={"sort": "oldest", "cursor": first["next_cursor"]})
    assert wrong_sort.status_code == 400


def test_get_shows_topics_intents_and_sentiment(app, admin_api):
    ids = _setup(app)
    body = admin_api.get(f"/responses/{ids['low']}").json
    assert body["topics"] == [
        {"id": ids["topic"], "name": "Billing", "sentiment": "negative", "source": "phrase"}
    ]
    assert body["intents"] == ["complaint"] and body["band"] == "detractor"
    assert admin_api.get("/responses/999999").status_code == 404


def test_create_from_another_channel(app, admin_api):
    ids = _setup(app)
    made = admin_api.post(
        "/responses",
        json={
            "survey_id": ids["nps"],
            "score": 6,
            "comment": "slow support",
            "contact_email": "resp@x.example",
            "external_id": "zendesk-1",
        },
    )
    assert made.status_code == 201, made.json
    body = made.json
    assert (
        body["channel"] == "api"
        and body["contact_id"] == ids["contact"]
        and body["account_id"] == ids["account"]
    )
    again = admin_api.post(
        "/responses",
        json={"survey_id": ids["nps"], "score": 7, "comment": "slow support", "external_id": "zendesk-1"},
    )
    assert again.json["id"] == body["id"] and again.json["score"] == 7
    unknown = admin_api.post(
        "/responses", json={"survey_id": ids["nps"], "score": 8, "contact_email": "new@x.example"}
    )
    assert unknown.status_code == 201 and unknown.json["respondent_email"] == "new@x.example"
    assert unknown.json["contact_id"] is None


def test_create_refuses_bad_scores_and_unknown_surveys(app, admin_api):
    ids = _setup(app)
    for payload, word in (
        ({"survey_id": ids["csat"], "score": 9}, "1 to 5"),
        ({"survey_id": ids["nps"]}, "0 to 10"),
        ({"survey_id": 999999, "score": 5}, "No survey"),
        ({"survey_id": ids["nps"], "score": 5, "contact_id": 999999}, "No contact"),
        ({"survey_id": ids["nps"], "score": "5; DROP TABLE"}, None),
        ({"survey_id": ids["nps"], "score": 5, "channel": "email"}, None),
    ):
        resp = admin_api.post("/responses", json=payload)
        assert resp.status_code == 422, (payload, resp.json)
        if word:
            assert word in resp.json["detail"]


def test_updated_since_syncs_in_change_order(app, admin_api):
    ids = _setup(app)
    since = (utcnow() - timedelta(minutes=5)).isoformat()
    page = admin_api.get("/responses", query_string={"updated_since": since, "limit": 2}).json
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = admin_api.get(
        "/responses", query_string={"updated_since": since, "limit": 2, "cursor": page["next_cursor"]}
    ).json
    got = [r["id"] for r in page["items"] + rest["items"]]
    assert len(got) == len(set(got)) == 3 and ids["low"] in got
