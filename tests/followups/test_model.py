"""The follow-up tables: one open follow-up per contact (a partial unique index), the link table (a response
joins at most one follow-up), the widened state check, and the read models other features use."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.followups import services
from app.models import FollowUp, FollowUpState, followup_responses, utcnow
from tests.factories import make_contact, make_response


def _followup(response, state=FollowUpState.OPEN, due_in=timedelta(days=1)) -> FollowUp:
    followup = FollowUp(
        response_id=response.id,
        contact_id=response.contact_id,
        account_id=response.account_id,
        state=state,
        reason="Detractors",
        due_at=utcnow() + due_in,
    )
    db.session.add(followup)
    db.session.flush()
    db.session.execute(
        followup_responses.insert().values(
            followup_id=followup.id, response_id=response.id, attached_at=utcnow()
        )
    )
    return followup


def test_a_contact_has_at_most_one_unresolved_followup(db_session):
    contact = make_contact()
    first = _followup(make_response(score=2, contact_id=contact.id, account_id=contact.account_id))
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        _followup(make_response(score=3, contact_id=contact.id), state=FollowUpState.REOPENED)
    first.state = FollowUpState.RESOLVED
    db.session.flush()
    _followup(make_response(score=3, contact_id=contact.id))  # once resolved, a new one may open


def test_anonymous_responses_each_get_their_own(db_session):
    _followup(make_response(score=1))
    _followup(make_response(score=2))
    assert db.session.execute(sa.select(sa.func.count()).select_from(FollowUp)).scalar() == 2


def test_a_response_joins_one_followup_only(db_session):
    response = make_response(score=2)
    followup = _followup(response)
    other = _followup(make_response(score=3))
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(
            followup_responses.insert().values(
                followup_id=other.id, response_id=response.id, attached_at=utcnow()
            )
        )
    assert services.state_for_response(response).followup_id == followup.id


def test_state_for_response_and_counts_by_account(db_session):
    contact = make_contact()
    late = _followup(
        make_response(score=2, contact_id=contact.id, account_id=contact.account_id),
        due_in=timedelta(hours=-1),
    )
    other = make_contact(account=contact.account)
    _followup(make_response(score=4, contact_id=other.id, account_id=contact.account_id))
    status = services.state_for_response(late.response_id)
    assert status.overdue and status.label == "open, overdue"
    assert services.state_for_response(make_response(score=10)) is None
    assert services.counts_by_account([contact.account_id]) == {contact.account_id: (2, 1)}
    late.state = FollowUpState.RESOLVED
    db.session.flush()
    assert services.counts_by_account() == {contact.account_id: (1, 0)}
    assert not services.state_for_response(late.response_id).overdue
