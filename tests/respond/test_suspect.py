"""The scanner rule (app/respond/suspect.py): which answer posts count, which are kept apart as
scanner-suspect, and that a suspect answer is counted nowhere (every ORM read, the rollup triggers, the
invitation's ``responded_at``) until a person's action confirms it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Contact, Invitation, LinkClick, Response, ResponseRollup, utcnow
from app.respond.suspect import INCLUDE_SUSPECTS, SCANNER_HOLD, Verdict, verdict
from tests.factories import make_invitation, make_response, make_survey
from tests.surveys.util import JSON, open_score

NOW = utcnow()


@pytest.mark.parametrize(
    ("auto", "webdriver", "flagged_ago", "expected"),
    [
        (False, False, None, Verdict.HUMAN),  # the Save button, a change, a post without the script
        (False, True, timedelta(seconds=1), Verdict.HUMAN),  # a person's action counts whatever the flags
        (True, False, None, Verdict.AUTO),  # the page's own save in a person's browser
        (True, True, None, Verdict.SUSPECT),  # the page's own save in an automated browser
        (True, False, timedelta(seconds=5), Verdict.HOLD),  # right after the hidden link or two scores
        (True, True, timedelta(seconds=5), Verdict.HOLD),
        (True, False, SCANNER_HOLD + timedelta(seconds=1), Verdict.AUTO),  # an old flag no longer holds
    ],
)
def test_the_rule(auto, webdriver, flagged_ago, expected):
    flagged_at = NOW - flagged_ago if flagged_ago is not None else None
    assert verdict(auto, webdriver, flagged_at, NOW) == expected


def _all(stmt):
    return db.session.execute(stmt.execution_options(populate_existing=True)).all()


def _rollup_n() -> int:
    return db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(ResponseRollup.n), 0))).scalar_one()


def _stored() -> list[Response]:
    return list(
        db.session.execute(
            sa.select(Response).execution_options(**{INCLUDE_SUSPECTS: True}, populate_existing=True)
        ).scalars()
    )


def _post(client, token, score, **fields):
    key = open_score(client, token, score)
    return client.post(f"/r/{token}", data={"key": key, "score": str(score), **fields}, headers=JSON)


def test_an_automated_browsers_automatic_save_is_kept_and_counted_nowhere(app, client):
    with app.app_context():
        survey = make_survey("nps")
        make_response(survey, score=9)  # one answer that counts, for comparison
        inv, token = make_invitation(survey)
        db.session.commit()
        assert _rollup_n() == 1
        resp = _post(client, token, 3, auto="1", webdriver="1")
        assert resp.status_code == 200 and resp.get_json()["score"] == 3
        [suspect] = [r for r in _stored() if r.invitation_id == inv.id]
        assert suspect.scanner_suspect and suspect.score == 3
        # counted nowhere: plain reads, aggregates, joins, subqueries, get(), the rollups, the invitation
        assert _all(sa.select(sa.func.count(Response.id))) == [(1,)]
        assert _all(sa.select(Response.score)) == [(9,)]
        assert _all(sa.select(Contact.id).join(Response, Response.contact_id == Contact.id)) == []
        answered = sa.select(Response.invitation_id).scalar_subquery()
        assert _all(sa.select(sa.func.count(Invitation.id)).where(Invitation.id.in_(answered))) == [(0,)]
        db.session.expunge_all()
        assert db.session.get(Response, suspect.id) is None
        assert _rollup_n() == 1
        assert db.session.get(Invitation, inv.id).responded_at is None
        # the score page does not show it as the answer: the page saves again
        assert 'data-autosave="1"' in client.get(f"/r/{token}/s/3").get_data(as_text=True)


def test_a_persons_action_confirms_a_suspect_answer_and_it_counts_once(app, client):
    with app.app_context():
        inv, token = make_invitation(make_survey("nps"))
        db.session.commit()
        _post(client, token, 8, auto="1", webdriver="1")
        assert _rollup_n() == 0
        confirmed = _post(client, token, 8)  # the page's confirming post after a press
        assert confirmed.status_code == 200 and confirmed.get_json()["created"] is True
        [row] = _stored()
        assert (row.score, row.scanner_suspect, row.auto_saved_at) == (8, False, None)
        assert _rollup_n() == 1 and _all(sa.select(sa.func.count(Response.id))) == [(1,)]
        assert db.session.get(Invitation, inv.id).responded_at is not None


def test_a_suspect_save_never_changes_an_answer_that_counts(app, client):
    with app.app_context():
        _, token = make_invitation(make_survey("nps"))
        db.session.commit()
        assert _post(client, token, 10).status_code == 200
        _post(client, token, 0, auto="1", webdriver="1")
        [row] = _stored()
        assert (row.score, row.scanner_suspect) == (10, False)


def test_a_scanner_signal_right_after_an_automatic_save_makes_it_suspect(app, client):
    """A scanner that hides navigator.webdriver opens a score link, its page saves, then it opens another
    link: the save that no person confirmed stops counting, and the invitation is unanswered again."""
    with app.app_context():
        inv, token = make_invitation(make_survey("nps"))
        db.session.commit()
        assert _post(client, token, 6, auto="1").status_code == 200
        assert _rollup_n() == 1 and db.session.get(Invitation, inv.id).responded_at is not None
        assert client.get(f"/r/{token}/h").status_code == 204  # the hidden link
        [row] = _stored()
        assert row.scanner_suspect and _rollup_n() == 0
        db.session.expire_all()
        assert db.session.get(Invitation, inv.id).responded_at is None


def test_a_confirmed_or_old_automatic_save_is_not_touched_by_a_later_scanner(app, client):
    with app.app_context():
        survey = make_survey("nps")
        _, token = make_invitation(survey)
        old_inv, old_token = make_invitation(survey)
        db.session.commit()
        _post(client, token, 9, auto="1")
        _post(client, token, 9)  # a press confirmed it
        _post(client, old_token, 4, auto="1")
        db.session.execute(
            sa.update(Response)
            .where(Response.invitation_id == old_inv.id)
            .values(auto_saved_at=utcnow() - SCANNER_HOLD - timedelta(seconds=1))
        )
        db.session.commit()
        for t in (token, old_token):
            client.get(f"/r/{t}/h")
        assert [r.scanner_suspect for r in _stored()] == [False, False]
        assert _rollup_n() == 2


def test_after_a_scanner_flag_the_automatic_save_is_held_and_a_press_records_it(app, client):
    with app.app_context():
        _, token = make_invitation(make_survey("csat"))
        db.session.commit()
        client.get(f"/r/{token}/h")
        held = _post(client, token, 5, auto="1")
        assert held.status_code == 409 and held.get_json()["error"]["field"] == "confirm"
        assert _stored() == []
        assert _post(client, token, 5).status_code == 200
        assert [(r.score, r.scanner_suspect) for r in _stored()] == [(5, False)]
        assert db.session.execute(sa.select(LinkClick.kind)).scalars().all()[0] == "hidden"


def test_an_automated_browsers_automatic_save_on_a_public_link_counts_nowhere(app, client):
    with app.app_context():
        survey = make_survey("nps")
        db.session.commit()
        ptoken = survey.public_token
    page = client.get(f"/s/{ptoken}?score=7").get_data(as_text=True)
    from tests.surveys.util import form_key

    key = form_key(page)
    client.post(f"/s/{ptoken}", data={"key": key, "score": "7", "auto": "1", "webdriver": "1"}, headers=JSON)
    with app.app_context():
        assert [r.scanner_suspect for r in _stored()] == [True]
        assert _rollup_n() == 0
    client.post(f"/s/{ptoken}", data={"key": key, "score": "7"}, headers=JSON)  # the person's press
    with app.app_context():
        assert [r.scanner_suspect for r in _stored()] == [False]
        assert _rollup_n() == 1
