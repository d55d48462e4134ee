"""Issue 12 item 13: the response page at /responses/<id> (old URL redirects) shows who answered, the
survey, score, highlighted evidence, tags, intents and the follow-up with its history; the overview and
topic list link to what they show, for every role."""

from __future__ import annotations

import re

from app.extensions import db
from app.insights import links
from app.models import FollowUp, FollowUpEvent, FollowUpState, Mention, MentionSource, ResponseIntent, utcnow
from tests.factories import make_account, make_contact, make_response, make_survey, make_topic, make_user


def _world(app):
    with app.app_context():
        account = make_account(name="Globex Corp")
        contact = make_contact(account, name="Dana Scully", email="dana@globex.example")
        survey = make_survey("nps", name="Relationship NPS")
        r = make_response(
            survey, contact=contact, account=account, score=3, comment="The invoices are always late."
        )
        topic = make_topic("Invoices")
        db.session.add(
            Mention(
                response_id=r.id,
                topic_id=topic.id,
                start=4,
                end=12,
                source=MentionSource.PHRASE,
                sentiment_label="negative",
            )
        )
        db.session.add(ResponseIntent(response_id=r.id, label="complaint", score=0.9))
        owner = make_user(role="cs", name="Fox Mulder")
        f = FollowUp(
            response_id=r.id,
            contact_id=contact.id,
            account_id=account.id,
            assignee_id=owner.id,
            reason="Detractors",
            state=FollowUpState.CONTACTED,
        )
        db.session.add(f)
        db.session.flush()
        db.session.add(
            FollowUpEvent(
                followup_id=f.id,
                actor_id=owner.id,
                kind="state",
                from_value="open",
                to_value="contacted",
                note="Called Dana",
                created_at=utcnow(),
            )
        )
        db.session.commit()
        return {
            "r": r.id,
            "contact": contact.id,
            "account": account.id,
            "survey": survey.id,
            "topic": topic.id,
            "f": f.id,
        }


def test_the_response_page_shows_the_whole_story_to_every_role(app, viewer_client, cs_client):
    w = _world(app)
    for client in (viewer_client, cs_client):
        page = client.get(f"/responses/{w['r']}").get_data(as_text=True)
        assert f'href="/contacts/{w["contact"]}"' in page and "Dana Scully" in page
        assert f'href="/accounts/{w["account"]}"' in page and "Globex Corp" in page
        assert f'href="/surveys/{w["survey"]}"' in page and "Relationship NPS" in page
        assert "<mark" in page and "invoices</mark>" in page  # the topic evidence, highlighted
        assert f'href="/insights/topics/{w["topic"]}"' in page
        assert "complaint" in page and "intent=complaint" in page
        assert f'href="/followups/{w["f"]}"' in page and "Called Dana" in page and "Fox Mulder" in page
        assert "band=detractor" in page  # the score opens its band
        assert page.count("Follow-up history") == 1  # once, in the page body: not in the title or heading
        assert re.search(r"<title>Response #\d+ · Clearloop</title>", page)


def test_the_old_response_url_redirects_and_links_point_at_the_new_one(app, viewer_client):
    w = _world(app)
    old = viewer_client.get(f"/tagging/responses/{w['r']}")
    assert old.status_code == 301 and old.headers["Location"].endswith(f"/responses/{w['r']}")
    with app.test_request_context():
        assert links.response_url(w["r"]) == f"/responses/{w['r']}"
    assert f'href="/responses/{w["r"]}"' in viewer_client.get("/responses").get_data(as_text=True)


def test_overview_cards_topics_and_comments_are_links(app, viewer_client):
    w = _world(app)
    page = viewer_client.get("/").get_data(as_text=True)
    assert 'href="/responses?kind=nps&amp;start=' in page
    assert 'href="/responses?band=detractor&amp;start=' in page
    assert 'href="/sends"' in page  # the response rate card
    assert f'href="/responses/{w["r"]}"' in page and f'href="/accounts/{w["account"]}"' in page


def test_cs_and_viewers_reach_topic_comments_from_the_topic_list(app, cs_client, viewer_client):
    w = _world(app)
    for client in (cs_client, viewer_client):
        page = client.get("/topics").get_data(as_text=True)
        assert f'href="/insights/topics/{w["topic"]}"' in page
        assert f'href="/topics/{w["topic"]}"' not in page  # the editor stays with PM/admin
        assert client.get(f"/insights/topics/{w['topic']}").status_code == 200
