"""Row builders for tests: sensible defaults, every field overridable, flushed (not committed)."""

from __future__ import annotations

import itertools
import secrets
from datetime import datetime
from typing import Any

from app.auth.passwords import hash_password
from app.extensions import db
from app.models import (
    Account,
    Contact,
    Response,
    Role,
    Survey,
    SurveyKind,
    Topic,
    User,
    utcnow,
)

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def make_user(
    role: str | Role = Role.VIEWER, password: str = "correct horse battery staple 42", **kw: Any
) -> User:
    """A staff user."""
    n = _n()
    user = User(
        email=kw.pop("email", f"user{n}-{secrets.token_hex(3)}@example.com"),
        name=kw.pop("name", f"User {n}"),
        role=Role(role),
        password_hash=hash_password(password),
        **kw,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_account(**kw: Any) -> Account:
    """A customer account."""
    n = _n()
    account = Account(
        name=kw.pop("name", f"Account {n}"), external_id=kw.pop("external_id", f"ACC-{n}"), **kw
    )
    db.session.add(account)
    db.session.flush()
    return account


def make_contact(account: Account | None = None, **kw: Any) -> Contact:
    """A contact, by default at a new account."""
    n = _n()
    if account is None and kw.get("account_id") is None:
        account = make_account()
    contact = Contact(
        email=kw.pop("email", f"contact{n}-{secrets.token_hex(3)}@customer.example"),
        name=kw.pop("name", f"Contact {n}"),
        account=account,
        **kw,
    )
    db.session.add(contact)
    db.session.flush()
    return contact


def make_survey(kind: str | SurveyKind = SurveyKind.NPS, **kw: Any) -> Survey:
    """A survey of the given kind."""
    survey = Survey(
        name=kw.pop("name", f"{SurveyKind(kind).value.upper()} survey {_n()}"),
        kind=SurveyKind(kind),
        public_token=kw.pop("public_token", secrets.token_urlsafe(24)),
        **kw,
    )
    db.session.add(survey)
    db.session.flush()
    return survey


def make_response(
    survey: Survey | None = None,
    score: int | None = 9,
    comment: str | None = None,
    created_at: datetime | None = None,
    **kw: Any,
) -> Response:
    """A response to a survey (NPS by default)."""
    survey = survey or make_survey()
    response = Response(
        survey=survey,
        kind=survey.kind,
        score=None if survey.kind == SurveyKind.FORM else score,
        comment=comment,
        created_at=created_at or utcnow(),
        **kw,
    )
    db.session.add(response)
    db.session.flush()
    return response


def make_topic(name: str | None = None, **kw: Any) -> Topic:
    """A taxonomy topic."""
    n = _n()
    name = name or f"Topic {n}"
    topic = Topic(key=kw.pop("key", f"{name.lower().replace(' ', '-')}-{n}"), name=name, **kw)
    db.session.add(topic)
    db.session.flush()
    return topic


def make_send(survey: Survey | None = None, **kw: Any):
    """A send of a survey (already started, so its invitations can be answered)."""
    from datetime import timedelta

    from app.models import Send, SendStatus

    survey = survey or make_survey()
    send = Send(
        survey_id=survey.id,
        status=kw.pop("status", SendStatus.SENDING),
        audience=kw.pop("audience", {"type": "all"}),
        expires_at=kw.pop("expires_at", utcnow() + timedelta(days=30)),
        **kw,
    )
    db.session.add(send)
    db.session.flush()
    return send


def make_invitation(survey: Survey | None = None, contact: Contact | None = None, **kw: Any):
    """An invitation with a real link token; returns (invitation, token)."""
    from datetime import timedelta

    from app.models import DeliveryState, Invitation
    from app.surveys.tokens import new_token

    survey = survey or make_survey()
    send = kw.pop("send", None) or make_send(survey)
    contact = contact or make_contact()
    token = new_token()
    invitation = Invitation(
        send_id=send.id,
        survey_id=survey.id,
        contact_id=contact.id,
        token_salt=token.salt,
        token_hash=token.token_hash,
        state=kw.pop("state", DeliveryState.SENT),
        sent_at=kw.pop("sent_at", utcnow()),
        expires_at=kw.pop("expires_at", utcnow() + timedelta(days=30)),
        **kw,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, token.token
