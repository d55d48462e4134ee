"""Fixtures shared by the benchmarks: delivered invitations, each with the POST a one-click answer sends.

from benchmarks.fixtures import answer_post, seed_invitations
pairs = seed_invitations(n, survey_id=..., account_id=...)  # inside an app context
path, data = answer_post(token, invitation_id, score)
"""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa


def seed_invitations(n: int, *, survey_id: int, account_id: int) -> list[tuple[str, int]]:
    """One completed send of ``survey_id``, ``n`` contacts of ``account_id`` and one delivered invitation
    each (valid for 30 days); committed. Returns (raw token, invitation id) pairs, in contact order."""
    from app.extensions import db
    from app.models import Contact, DeliveryState, Invitation, Send, SendStatus, utcnow
    from app.surveys.tokens import new_token

    send = Send(survey_id=survey_id, status=SendStatus.COMPLETED, audience={"type": "all"})
    db.session.add(send)
    db.session.flush()
    now = utcnow()
    tag = f"b{random.Random().randrange(10**9)}"
    contacts = [
        {
            "email": f"{tag}-{i}@bench.example",
            "name": f"C{i}",
            "account_id": account_id,
            "locale": "en",
            "bounce_count": 0,
            "attributes": {},
            "created_at": now,
            "updated_at": now,
        }
        for i in range(n)
    ]
    for start in range(0, n, 20_000):
        db.session.execute(sa.insert(Contact), contacts[start : start + 20_000])
    contact_ids = db.session.execute(
        sa.select(Contact.id).where(Contact.email.like(f"{tag}-%")).order_by(Contact.id)
    ).scalars()
    tokens, rows = [], []
    for contact_id in contact_ids:
        token = new_token()
        tokens.append(token)
        rows.append(
            {
                "send_id": send.id,
                "survey_id": survey_id,
                "contact_id": contact_id,
                "token_salt": token.salt,
                "token_hash": token.token_hash,
                "state": DeliveryState.SENT,
                "attempts": 1,
                "click_count": 0,
                "expires_at": now + timedelta(days=30),
                "created_at": now,
                "updated_at": now,
            }
        )
    for start in range(0, n, 20_000):
        db.session.execute(sa.insert(Invitation), rows[start : start + 20_000])
    db.session.commit()
    ids = dict(
        db.session.execute(
            sa.select(Invitation.token_hash, Invitation.id).where(Invitation.send_id == send.id)
        ).all()
    )
    return [(token.token, ids[token.token_hash]) for token in tokens]


def answer_post(token: str, invitation_id: int, score: int) -> tuple[str, dict[str, str]]:
    """The path and form of a one-click answer, with the form key the respondent page carries."""
    from app.respond.validation import make_form_key

    return f"/r/{token}", {"key": make_form_key(f"inv:{invitation_id}"), "score": str(score)}
