"""The answer path of an email click (issue 18): the survey cached per process but never stale after an
edit, the invitation read without SQLite's write lock, a first answer written by Core statements that
keep every guarantee of the ORM path (one row, ``responded_at``, replays, a re-answer after erasure)."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AnalysisState, Response, SurveyStatus
from app.surveys.queries import find_invitation_ref, survey_snapshot
from tests.factories import make_invitation, make_survey
from tests.surveys.util import JSON, answer


def _rows():
    return list(db.session.execute(sa.select(Response).execution_options(populate_existing=True)).scalars())


def test_a_first_answer_is_one_row_and_stamps_the_invitation(app, client, monkeypatch):
    handed = []
    monkeypatch.setattr("app.analysis.services.enqueue_tagging", handed.append)
    with app.app_context():
        inv, token = make_invitation(make_survey("nps"))
        db.session.commit()
        reply = answer(client, token, 8, comment="Fast support")
        assert reply.status_code == 200
        assert reply.get_json() == {
            "ok": True,
            "created": True,
            "changed": True,
            "score": 8,
            "followup": "What would make it a 9 or a 10?",
        }
        [row] = _rows()
        assert (row.invitation_id, row.contact_id, row.account_id) == (
            inv.id,
            inv.contact_id,
            inv.contact.account_id,
        )
        assert (row.score, row.comment, row.kind.value, row.channel.value, row.edit_count) == (
            8,
            "Fast support",
            "nps",
            "email",
            0,
        )
        assert row.analysis_state == AnalysisState.PENDING and row.analysis_attempts == 0
        assert handed == [[row.id]]  # after the commit
        assert row.analysis == {} and row.created_at is not None
        db.session.refresh(inv)
        assert inv.responded_at is not None


def test_an_edited_survey_is_never_answered_from_a_stale_cache(app, client):
    with app.app_context():
        survey = make_survey("nps")
        _, first = make_invitation(survey)
        _, second = make_invitation(survey)
        db.session.commit()
        assert answer(client, first, 3).get_json()["followup"] == "What should we fix first?"
        survey.followup_by_band = {"detractor": "What broke for you?"}
        db.session.commit()
        assert answer(client, second, 3).get_json()["followup"] == "What broke for you?"
        survey.status = SurveyStatus.ARCHIVED
        db.session.commit()
        closed = client.post(f"/r/{second}", data={"key": "x", "score": "3"}, headers=JSON)
        assert closed.status_code == 410


def test_the_cache_keeps_one_snapshot_per_survey_version(app):
    with app.app_context():
        survey = make_survey("csat")
        db.session.commit()
        snap = survey_snapshot(survey.id, survey.updated_at)
        assert survey_snapshot(survey.id, survey.updated_at) is snap
        survey.question = "How was it?"
        db.session.commit()
        fresh = survey_snapshot(survey.id, survey.updated_at)
        assert fresh is not snap and fresh.question == "How was it?"


def test_an_erased_answer_can_be_given_again(app, client):
    """``responded_at`` stays after the response is deleted; the next answer still makes a row."""
    with app.app_context():
        inv, token = make_invitation(make_survey("nps"))
        db.session.commit()
        answer(client, token, 9)
        db.session.execute(sa.delete(Response))
        db.session.commit()
        again = answer(client, token, 10)
        assert again.status_code == 200 and again.get_json()["created"] is True
        [row] = _rows()
        assert row.score == 10 and row.invitation_id == inv.id


def test_unknown_tokens_get_the_same_page_as_before(app, client):
    with app.app_context():
        _, token = make_invitation(make_survey("nps"))
        db.session.commit()
        forged = token[:-1] + ("a" if token[-1] != "a" else "b")
        for bad in (forged, "short", token + "x"):
            reply = client.post(f"/r/{bad}", data={"score": "3"})
            assert reply.status_code == 404
        assert _rows() == []


@pytest.mark.committed
def test_the_invitation_is_read_while_another_writer_holds_the_sqlite_lock(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's write lock")
        inv, token = make_invitation(make_survey("nps"))
        db.session.commit()
        invitation_id = inv.id
        db.session.remove()
        writer = sqlite3.connect(db.engine.url.database, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")  # holds the write lock until the end of the block
            writer.execute("UPDATE invitations SET click_count = click_count + 1")
            # With BEGIN IMMEDIATE for this read too, it would wait on the lock and fail "database is locked".
            ref = find_invitation_ref(token)
            assert ref is not None and ref.id == invitation_id
            assert not db.session().in_transaction()  # the read's transaction is already over
        finally:
            writer.execute("ROLLBACK")
            writer.close()
            db.session.remove()


def test_an_email_answer_writes_its_webhook_event_with_the_answer(app, client):
    """The fast path skips the ORM, not the outbox: a subscribed endpoint gets ``response.created``."""
    from app.models import EndpointState, WebhookDelivery, WebhookEndpoint, WebhookMessage

    with app.app_context():
        _, quiet = make_invitation(make_survey("nps"))
        db.session.commit()
        assert answer(client, quiet, 7).status_code == 200  # no endpoint: nothing written
        assert db.session.execute(sa.select(sa.func.count(WebhookMessage.id))).scalar_one() == 0
        endpoint = WebhookEndpoint(
            url="https://hooks.example.com/in", events=["response.created"], secret="s"
        )
        off = WebhookEndpoint(url="https://old.example.com/in", secret="t", state=EndpointState.DISABLED)
        db.session.add_all([endpoint, off])
        inv, token = make_invitation(make_survey("nps"))
        db.session.commit()
        reply = answer(client, token, 9, comment="Great")
        assert reply.status_code == 200 and reply.get_json()["created"] is True
        [message] = db.session.execute(sa.select(WebhookMessage)).scalars().all()
        assert message.event_type == "response.created"
        assert message.payload["data"]["score"] == 9 and message.contact_id == inv.contact_id
        [row] = [r for r in _rows() if r.invitation_id == inv.id]
        assert message.response_id == row.id
        deliveries = db.session.execute(sa.select(WebhookDelivery.endpoint_id)).scalars().all()
        assert deliveries == [endpoint.id]
        db.session.refresh(inv)
        assert inv.responded_at is not None


def _sqlite_committed(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's driver-level write")


@pytest.mark.committed
def test_sqlite_writes_a_first_answer_on_the_driver_as_the_session_would(app, client, monkeypatch):
    """Outside a session transaction, SQLite's first answer is one BEGIN IMMEDIATE … COMMIT on the DBAPI
    cursor: the same row (enums, JSON, dates as SQLAlchemy writes them), the invitation stamped, and a
    replay still an edit of that one row."""
    from app.respond import services

    with app.app_context():
        _sqlite_committed(app)
        inv, token = make_invitation(make_survey("nps"))
        db.session.commit()
        invitation_id, contact_id = inv.id, inv.contact_id
        db.session.remove()
    writes = []
    real = services.sqlite_write
    monkeypatch.setattr(services, "sqlite_write", lambda *a: writes.append(1) or real(*a))
    reply = answer(client, token, 4)
    assert reply.status_code == 200 and reply.get_json()["created"] is True
    assert writes == [1]
    with app.app_context():
        [row] = _rows()
        assert (row.invitation_id, row.contact_id, row.score, row.edit_count) == (
            invitation_id,
            contact_id,
            4,
            0,
        )
        assert (row.kind.value, row.channel.value, row.analysis_state) == (
            "nps",
            "email",
            AnalysisState.SKIPPED,
        )
        assert row.analysis == {} and row.scanner_suspect is False and row.auto_saved_at is None
        assert row.created_at.tzinfo is not None
        # the same answer through the session (an ORM caller's transaction is open): stored alike
        other, _ = make_invitation(make_survey("nps"))
        services.submit_invitation_answer(other, services.Answer(score=4))
        stored = sa.text(
            "SELECT kind, channel, analysis, analysis_state, scanner_suspect, edit_count, locale,"
            " length(created_at), typeof(created_at) FROM responses ORDER BY id"
        )
        driver, session = db.session.execute(stored).all()
        assert tuple(driver) == tuple(session)
        inv = db.session.get(type(inv), invitation_id)
        assert inv.responded_at == row.created_at
        db.session.remove()
    again = answer(client, token, 6)  # the page opened again: an edit of the same row
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert writes == [1]  # answered: the edit path, in a session transaction
    with app.app_context():
        row = _rows()[0]
        assert (row.invitation_id, row.score, row.edit_count) == (invitation_id, 6, 1)
        assert len(_rows()) == 2
        db.session.remove()


@pytest.mark.committed
def test_a_failed_driver_write_leaves_nothing_and_is_sqlalchemys_error(app, monkeypatch):
    """The second statement failing rolls the first back; the error is SQLAlchemy's DBAPIError (a locked
    database stays a 503), and the pooled connection is clean for the next answer."""
    from app.respond import services
    from app.respond.services import Answer, answer_invitation
    from app.surveys.queries import find_invitation_ref as ref_of

    with app.app_context():
        _sqlite_committed(app)
        inv, token = make_invitation(make_survey("nps"))
        db.session.commit()
        invitation_id = inv.id
        db.session.remove()
        insert, responded = services._driver_statements(db.engine.dialect)
        broken = responded.__class__("UPDATE no_such_table SET x = ?", responded.names[:1], (None,))
        monkeypatch.setattr(services, "_driver_statements", lambda dialect: (insert, broken))
        ref = ref_of(token)
        with pytest.raises(sa.exc.OperationalError, match="no_such_table"):
            answer_invitation(ref, services.SurveyKind.NPS, Answer(score=3))
        db.session.remove()
        assert _rows() == []
        monkeypatch.undo()
        outcome = answer_invitation(ref_of(token), services.SurveyKind.NPS, Answer(score=3))
        assert outcome.created and outcome.response_id is not None
        [row] = _rows()
        assert row.invitation_id == invitation_id
        db.session.remove()
