"""Issue 12 item 2: a score link opened again never overwrites the stored answer, and only a change from
a later visit counts as an edit."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Response
from tests.factories import make_invitation, make_survey
from tests.surveys.util import JSON, form_key


def _row(app) -> Response:
    with app.app_context():
        return db.session.execute(sa.select(Response)).scalar_one()


def test_reopening_the_score_link_shows_the_stored_answer_and_does_not_save(app, client):
    with app.app_context():
        _, token = make_invitation(make_survey("nps"))
        db.session.commit()
    first = client.get(f"/r/{token}/s/9").get_data(as_text=True)
    assert 'data-autosave="1"' in first
    key = form_key(first)
    client.post(f"/r/{token}", data={"key": key, "score": "9", "auto": "1"}, headers=JSON)
    client.post(f"/r/{token}", data={"key": key, "score": "8", "comment": "Exports are slow"})
    again = client.get(f"/r/{token}/s/9").get_data(as_text=True)
    assert 'data-autosave="0"' in again
    assert 'value="8" checked' in again and 'value="9" checked' not in again
    assert "Saved: your answer is 8." in again and "Exports are slow" in again
    row = _row(app)
    assert (row.score, row.comment, row.edit_count) == (8, "Exports are slow", 0)


def test_a_change_from_a_later_visit_is_an_edit(app, client):
    with app.app_context():
        _, token = make_invitation(make_survey("nps"))
        db.session.commit()
    key = form_key(client.get(f"/r/{token}/s/9").get_data(as_text=True))
    client.post(f"/r/{token}", data={"key": key, "score": "9", "auto": "1"}, headers=JSON)
    client.post(f"/r/{token}", data={"key": key, "score": "9", "comment": "Great"})
    assert _row(app).edit_count == 0
    later = form_key(client.get(f"/r/{token}").get_data(as_text=True))
    client.post(f"/r/{token}", data={"key": later, "score": "6", "comment": "Great, but slow"})
    row = _row(app)
    assert (row.score, row.comment, row.edit_count) == (6, "Great, but slow", 1)
