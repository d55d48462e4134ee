"""Invitation link tokens: HMAC-SHA256(SECRET_KEY, salt), 256 bits, urlsafe; only sha256(token) is stored.

A token is looked up by its hash, so the database never compares a secret and the lookup time does not
depend on how much of a guess was right (constant-time by construction). The HMAC is recomputed and
compared with ``hmac.compare_digest`` as a second check, which also ties tokens to this SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from app.database import read_only
from app.extensions import db
from app.models import (
    Contact,
    EndpointState,
    Invitation,
    Survey,
    SurveyStatus,
    WebhookEndpoint,
    utcnow,
)

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
PUBLIC_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class NewToken:
    """A freshly made token and what the database keeps of it."""

    salt: str
    token: str
    token_hash: str


def _keyed() -> hmac.HMAC:
    """The invitation tokens' HMAC, keyed and fed its prefix: each token is a copy of it fed its salt."""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"invitation:", hashlib.sha256)


def _mac(salt: str, keyed: hmac.HMAC | None = None) -> str:
    mac = keyed.copy() if keyed is not None else _keyed()
    mac.update(salt.encode())
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    """The sha256 hex digest stored for a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> NewToken:
    """A new invitation token from 128 random bits of salt (the token itself carries 256 bits)."""
    return new_tokens(1)[0]


def new_tokens(count: int) -> list[NewToken]:
    """``count`` new tokens (16 random bytes of salt each, drawn at once), with the HMAC key set up once:
    a send's invitations get theirs in one go."""
    salts = secrets.token_bytes(16 * count).hex()
    keyed = _keyed()
    made = []
    for start in range(0, 32 * count, 32):
        salt = salts[start : start + 32]
        token = _mac(salt, keyed)
        made.append(NewToken(salt, token, hash_token(token)))
    return made


def token_for(invitation: Invitation) -> str:
    """Recompute an invitation's link token from its salt (used when building its emails)."""
    return _mac(invitation.token_salt)


def find_invitation(token: str) -> Invitation | None:
    """The invitation a token belongs to, or None for malformed, unknown or forged tokens."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return None
    invitation = db.session.execute(
        sa.select(Invitation)
        .options(joinedload(Invitation.contact), joinedload(Invitation.survey))  # one query for a page
        .where(Invitation.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if invitation is None or not hmac.compare_digest(_mac(invitation.token_salt), token):
        return None
    return invitation


@dataclass(frozen=True)
class InvitationRef:
    """Only what answering an invitation needs: its ids, its dates, its contact's locale and account,
    its survey's status and version (``survey_updated_at`` keys the per-process survey cache), and
    whether any webhook endpoint may want the answer's event (``webhooks``)."""

    id: int
    survey_id: int
    contact_id: int | None
    account_id: int | None
    locale: str | None
    expires_at: datetime | None
    responded_at: datetime | None
    scanner_flagged_at: datetime | None
    survey_status: SurveyStatus
    survey_updated_at: datetime
    webhooks: bool = True

    @property
    def expired(self) -> bool:
        """True once the invitation can no longer be answered (as ``is_expired``)."""
        if self.survey_status != SurveyStatus.ACTIVE:
            return True
        return self.expires_at is not None and self.expires_at <= utcnow()


_REF_COLUMNS = (
    Invitation.id,
    Invitation.token_salt,
    Invitation.survey_id,
    Invitation.contact_id,
    Contact.account_id,
    Contact.locale,
    Invitation.expires_at,
    Invitation.responded_at,
    Invitation.scanner_flagged_at,
    Survey.status,
    Survey.updated_at,
)


def _webhooks_exist() -> sa.Label:
    return sa.exists().where(WebhookEndpoint.state != EndpointState.DISABLED).label("webhooks")


@cache
def _ref_query() -> sa.Select:
    return (
        sa.select(*_REF_COLUMNS, _webhooks_exist())
        .select_from(Invitation)
        .join(Survey, Survey.id == Invitation.survey_id)
        .outerjoin(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.token_hash == sa.bindparam("token_hash"))
    )


def find_invitation_ref(token: str) -> InvitationRef | None:
    """``find_invitation`` for the answer path: one query for the few columns it needs, no ORM objects.

    On SQLite the read takes no write lock (it ends before the answer's write transaction begins). On
    PostgreSQL, when no transaction is open, the session's next transaction runs on an autocommit
    connection: no BEGIN and COMMIT round trips around this read and the answer's single statement
    (app/respond/services.py ends it before any other write, see ``app.database.end_autocommit``)."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return None
    session = db.session()
    with read_only(session):
        bind = session.get_bind()
        if bind.dialect.name == "postgresql" and isinstance(bind, sa.Engine) and not session.in_transaction():
            conn = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        else:
            conn = session.connection()
        row = conn.execute(_ref_query(), {"token_hash": hash_token(token)}).first()
    if row is None or not hmac.compare_digest(_mac(row.token_salt), token):
        return None
    return InvitationRef(
        row.id,
        row.survey_id,
        row.contact_id,
        row.account_id,
        row.locale,
        row.expires_at,
        row.responded_at,
        row.scanner_flagged_at,
        row.status,
        row.updated_at,
        bool(row.webhooks),
    )


def invitation_ref(invitation: Invitation) -> InvitationRef:
    """The ``InvitationRef`` of an invitation already loaded as an ORM object (``webhooks`` read now)."""
    contact, survey = invitation.contact, invitation.survey
    return InvitationRef(
        invitation.id,
        invitation.survey_id,
        invitation.contact_id,
        contact.account_id if contact else None,
        contact.locale if contact else None,
        invitation.expires_at,
        invitation.responded_at,
        invitation.scanner_flagged_at,
        survey.status,
        survey.updated_at,
        bool(db.session.execute(sa.select(_webhooks_exist())).scalar()),
    )


def is_expired(invitation: Invitation) -> bool:
    """True once an invitation can no longer be answered (its expiry passed or its survey was archived)."""
    if invitation.survey.status.value != "active":
        return True
    return invitation.expires_at is not None and invitation.expires_at <= utcnow()


def new_public_token() -> str:
    """A survey's public-link token (256 random bits, 43 urlsafe characters)."""
    return secrets.token_urlsafe(32)


def find_public_survey(token: str) -> Survey | None:
    """The survey whose public link this is (the caller checks that the link is enabled)."""
    if not isinstance(token, str) or not PUBLIC_TOKEN_RE.match(token):
        return None
    survey = db.session.execute(sa.select(Survey).where(Survey.public_token == token)).scalar_one_or_none()
    if survey is None or not hmac.compare_digest(survey.public_token, token):
        return None
    return survey
