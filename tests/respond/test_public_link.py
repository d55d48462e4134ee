"""Anonymous answers through a survey's public link, its embed variant and the feedback form: a submission
id per page makes replays land on one row; rate limited per client."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Response
from tests.factories import make_survey
from tests.surveys.util import JSON, form_key


def _survey(app, kind="nps", **kw):
    with app.app_context():
        survey = make_survey(kind, **kw)
        db.session.commit()
        return survey.public_token


def _rows(app):
    with app.app_context():
        return list(db.session.execute(sa.select(Response).order_by(Response.id)).scalars())


def test_a_public_link_answer_with_a_comment_is_one_row(app, client):
    ptoken = _survey(app)
    page = client.get(f"/s/{ptoken}?score=10&account=ACME-42")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="10" checked' in html and 'data-autosave="1"' in html
    assert _rows(app) == []
    key = form_key(html)
    auto = client.post(
        f"/s/{ptoken}", data={"key": key, "score": "10", "account_hint": "ACME-42", "auto": "1"}, headers=JSON
    )
    assert auto.status_code == 200 and auto.get_json()["created"] is True
    done = client.post(
        f"/s/{ptoken}", data={"key": key, "score": "10", "comment": "Love it", "account_hint": "ACME-42"}
    )
    assert done.status_code == 303 and "/thanks" in done.headers["Location"]
    replay = client.post(f"/s/{ptoken}", data={"key": key, "score": "10", "comment": "Love it"}, headers=JSON)
    assert replay.status_code == 200 and replay.get_json()["changed"] is False
    [row] = _rows(app)
    assert (row.score, row.comment, row.channel.value, row.account_hint, row.invitation_id) == (
        10,
        "Love it",
        "link",
        "ACME-42",
        None,
    )
    assert row.submission_id and row.edit_count == 0  # completing the answer on its own page is no edit
    second_visit = form_key(client.get(f"/s/{ptoken}").get_data(as_text=True))
    assert second_visit != key
    client.post(f"/s/{ptoken}", data={"key": second_visit, "score": "3"})
    assert len(_rows(app)) == 2


def test_the_embed_may_be_framed_and_keeps_its_layout(app, client):
    ptoken = _survey(app, "csat")
    page = client.get(f"/s/{ptoken}/embed")
    assert page.status_code == 200 and "frame-ancestors *" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers  # the legacy header would forbid what the CSP allows
    assert 'class="public embed"' in page.get_data(as_text=True)
    plain = client.get(f"/s/{ptoken}")
    assert "frame-ancestors 'none'" in plain.headers["Content-Security-Policy"]
    assert plain.headers["X-Frame-Options"] == "DENY"
    key = form_key(page.get_data(as_text=True))
    done = client.post(f"/s/{ptoken}/embed", data={"key": key, "score": "5"})
    assert done.status_code == 303 and "embed=1" in done.headers["Location"]
    thanks = client.get(done.headers["Location"])
    assert thanks.status_code == 200 and "frame-ancestors *" in thanks.headers["Content-Security-Policy"]


def test_the_feedback_form_takes_category_message_and_an_optional_email(app, client):
    ptoken = _survey(app, "form")
    html = client.get(f"/s/{ptoken}?lang=es").get_data(as_text=True)
    assert "Su mensaje" in html and 'name="email"' in html
    key = form_key(html)
    bad = client.post(
        f"/s/{ptoken}", data={"key": key, "category": "bug", "comment": "x", "email": "not-an-email"}
    )
    assert bad.status_code == 422 and "valid email" in bad.get_data(as_text=True)
    wrong = client.post(f"/s/{ptoken}", data={"key": key, "category": "rant", "comment": "x"})
    assert wrong.status_code == 422
    ok = client.post(
        f"/s/{ptoken}",
        data={"key": key, "category": "bug", "comment": "Export fails", "email": "Pat@Example.com"},
    )
    assert ok.status_code == 303
    [row] = _rows(app)
    assert (row.form_category.value, row.comment, row.respondent_email, row.channel.value, row.score) == (
        "bug",
        "Export fails",
        "pat@example.com",
        "form",
        None,
    )


def test_disabled_and_unknown_public_links_get_the_friendly_404(app, client):
    ptoken = _survey(app, public_link_enabled=False)
    for url in (f"/s/{ptoken}", f"/s/{'q' * 43}", "/s/short"):
        resp = client.get(url)
        assert resp.status_code == 404 and "This survey link does not work" in resp.get_data(as_text=True)


@pytest.mark.committed  # a second app (own engine) must see the survey and not wait on our transaction
def test_public_answers_are_rate_limited_per_client(app, database_uri):
    from app import create_app
    from app.extensions import limiter
    from tests.conftest import test_config

    ptoken = _survey(app)
    # The limiter is one object shared by apps: an app made with limits on initialises its storage;
    # it is switched off again afterwards so other tests are not limited.
    limited = create_app(
        {**test_config(database_uri), "RATELIMIT_ENABLED": True, "RESPOND_RATE_LIMIT": "5 per minute"}
    )
    try:
        limiter.reset()
        client = limited.test_client()
        codes = [
            client.get(f"/s/{ptoken}", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code
            for _ in range(7)
        ]
        other = client.get(f"/s/{ptoken}", environ_base={"REMOTE_ADDR": "203.0.113.10"})
        blocked = client.post(
            f"/s/{ptoken}", data={"score": "9"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
        )
    finally:
        limiter.reset()
        limiter.enabled = False
    assert codes == [200] * 5 + [429, 429] and other.status_code == 200
    assert blocked.status_code == 429 and blocked.headers["Retry-After"]
