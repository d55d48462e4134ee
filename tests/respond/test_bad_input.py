"""Hostile and broken input on the public answer endpoints: a readable 4xx or stored inert, never a 500,
never a half-written row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Response, SurveyStatus
from tests.factories import make_invitation, make_survey
from tests.surveys.util import JSON, form_key

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)> \u202etxt.exe'


def _setup(app, client, kind="nps"):
    with app.app_context():
        _, token = make_invitation(make_survey(kind))
        db.session.commit()
    return token, form_key(client.get(f"/r/{token}").get_data(as_text=True))


def _count(app) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count(Response.id))).scalar_one()


@pytest.mark.parametrize(
    "score", ["-1", "11", "NaN", "7.0", " 7", "7 ", "", "[7]", "07", "1e1", "seven", "٧", "0x7"]
)
def test_scores_that_are_not_a_whole_number_in_range_are_refused(app, client, score):
    token, key = _setup(app, client)
    resp = client.post(f"/r/{token}", data={"key": key, "score": score}, headers=JSON)
    assert resp.status_code == 422
    assert resp.get_json()["error"] == {"field": "score", "message": "Please choose a score from 0 to 10."}
    assert _count(app) == 0


def test_csat_ranges_are_its_own(app, client):
    token, key = _setup(app, client, "csat")
    assert client.post(f"/r/{token}", data={"key": key, "score": "0"}, headers=JSON).status_code == 422
    assert client.post(f"/r/{token}", data={"key": key, "score": "6"}, headers=JSON).status_code == 422
    assert client.post(f"/r/{token}", data={"key": key, "score": "5"}, headers=JSON).status_code == 200


def test_duplicate_parameters_are_refused(app, client):
    token, key = _setup(app, client)
    data = MultiDict([("key", key), ("score", "7"), ("score", "8")])
    resp = client.post(f"/r/{token}", data=data, headers=JSON)
    assert resp.status_code == 422 and "only once" in resp.get_json()["error"]["message"]
    assert _count(app) == 0


def test_a_missing_or_forged_form_key_is_refused(app, client):
    token, key = _setup(app, client)
    _, other_key = _setup(app, client)
    for data in ({"score": "7"}, {"key": key[:-2] + "xx", "score": "7"}, {"key": other_key, "score": "7"}):
        resp = client.post(f"/r/{token}", data=data)
        assert resp.status_code == 400 and "reload the page" in resp.get_data(as_text=True)
    assert _count(app) == 0


def test_a_comment_over_the_cap_is_refused_with_a_clear_message(app, client):
    token, key = _setup(app, client)
    resp = client.post(f"/r/{token}", data={"key": key, "score": "5", "comment": "x" * 10_001})
    assert resp.status_code == 422
    assert "Please keep your comment under 10,000 characters (it has 10,001)." in resp.get_data(as_text=True)
    assert _count(app) == 0
    ok = client.post(f"/r/{token}", data={"key": key, "score": "5", "comment": "é" * 10_000})
    assert ok.status_code == 303 and _count(app) == 1


def test_a_one_megabyte_body_is_refused_before_it_is_read(app, client):
    token, key = _setup(app, client)
    resp = client.post(f"/r/{token}", data={"key": key, "score": "5", "comment": "x" * 1_000_000})
    assert resp.status_code == 413 and _count(app) == 0


def test_html_and_script_are_stored_exactly_and_shown_escaped(app, client, admin_client):
    token, key = _setup(app, client)
    assert client.post(f"/r/{token}", data={"key": key, "score": "2", "comment": XSS}).status_code == 303
    with app.app_context():
        assert db.session.execute(sa.select(Response.comment)).scalar_one() == XSS
    for page in (client.get(f"/r/{token}"), admin_client.get("/responses")):
        html = page.get_data(as_text=True)
        assert '<script>alert("x")</script>' not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_invalid_utf8_and_control_characters_never_reach_the_database(app, client):
    token, key = _setup(app, client)
    body = b"key=" + key.encode() + b"&score=6&comment=caf%C3%A9+%FF%FE+nul%00+bell%07+tab%09end"
    resp = client.post(f"/r/{token}", data=body, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 303
    with app.app_context():
        comment = db.session.execute(sa.select(Response.comment)).scalar_one()
    # Undecodable bytes stay inert (escaped or replaced); NUL and BEL are dropped, the tab is kept.
    assert comment.startswith("café ") and "\x00" not in comment and "\x07" not in comment
    assert comment.endswith(" nul bell tab\tend")


def test_json_and_other_content_types_get_a_415(app, client):
    token, key = _setup(app, client)
    resp = client.post(f"/r/{token}", json={"key": key, "score": 7}, headers=JSON)
    assert resp.status_code == 415 and _count(app) == 0


@pytest.mark.parametrize("token", ["x", "A" * 43, "A" * 42 + "!", "..", "' OR 1=1 --", "A" * 500])
def test_unknown_forged_and_malformed_tokens_get_the_same_friendly_404(client, token):
    for resp in (client.get(f"/r/{token}/s/7"), client.post(f"/r/{token}", data={"score": "7"})):
        assert resp.status_code == 404
        assert "This survey link does not work" in resp.get_data(as_text=True)
        assert resp.headers["Referrer-Policy"] == "no-referrer"


def test_a_tampered_token_is_not_found(app, client):
    token, _ = _setup(app, client)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"/r/{flipped}/s/7").status_code == 404


def test_an_archived_survey_closes_its_links(app, client):
    with app.app_context():
        survey = make_survey()
        _, token = make_invitation(survey)
        survey.status = SurveyStatus.ARCHIVED
        db.session.commit()
    assert client.get(f"/r/{token}/s/7").status_code == 410


def test_a_score_link_with_a_bad_score_shows_the_page_without_a_selection(app, client):
    with app.app_context():
        _, token = make_invitation(make_survey("csat"))
        db.session.commit()
    for score in ("9", "abc", "-1", "3.5"):
        html = client.get(f"/r/{token}/s/{score}").get_data(as_text=True)
        assert "checked" not in html and 'data-autosave="0"' in html
