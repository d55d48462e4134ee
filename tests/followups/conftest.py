"""Fixtures for follow-ups: an app context, answers given through the real answer path, outbox mail."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FollowUp, OutboxMessage, Role
from app.respond import services as respond
from tests.factories import make_account, make_contact, make_invitation, make_survey, make_user


@pytest.fixture
def ctx(app):
    """An app context (the test's transaction is rolled back afterwards)."""
    with app.app_context():
        yield app


@pytest.fixture
def admin(ctx):
    """The workspace's first admin (the default owner when none is set)."""
    return make_user(Role.ADMIN, name="Ada Admin", email="ada@clearloop.example")


def answer(score: int | None, comment: str | None = None, contact=None, survey=None):
    """Answer an invitation through the respondent's service (commit, then jobs run inline)."""
    survey = survey or make_survey()
    invitation, _token = make_invitation(survey, contact or make_contact())
    return respond.submit_invitation_answer(
        invitation, respond.Answer(score=score, comment=comment, comment_present=comment is not None)
    ).response


def followups() -> list[FollowUp]:
    """Every follow-up, oldest first."""
    return list(db.session.execute(sa.select(FollowUp).order_by(FollowUp.id)).scalars())


def mails(kind: str = "followup") -> list[OutboxMessage]:
    """Emails the outbox kept, of one kind."""
    return list(
        db.session.execute(
            sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        ).scalars()
    )


def csm_account(**kw):
    """An account owned by a CS member."""
    csm = make_user(Role.CS, name="Cleo CSM")
    return make_account(csm_owner_id=csm.id, **kw), csm
