"""Demo teams for ``flask demo seed``: three product teams of the demo's PMs, and last week's digests built
and delivered (to the outbox in the embedded default) so a PM finds a digest on the first visit."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.insights import digest_flow
from app.insights.periods import last_complete_week
from app.insights.teams import TeamInput, save_team, team_zone
from app.models import Role, Topic, User, utcnow

DEMO_TEAMS = (
    ("Billing & pricing", "Invoices, payments, plans and what they cost.", ("billing", "pricing")),
    (
        "Platform",
        "Speed, uptime, integrations and data flows.",
        ("performance", "reliability", "integrations"),
    ),
    ("Whole product", "Every topic, for the product leadership.", None),
)


def seed_demo_teams() -> tuple[int, int]:
    """Create the demo teams (not when the taxonomy is empty yet): (teams created, digests sent)."""
    if db.session.execute(sa.select(sa.func.count()).select_from(Topic)).scalar() == 0:
        return 0, 0
    pms = list(db.session.execute(sa.select(User).where(User.role == Role.PM).order_by(User.id)).scalars())
    keys = dict(db.session.execute(sa.select(Topic.key, Topic.id)).all())
    created = sent = 0
    for name, description, topic_keys in DEMO_TEAMS:
        topics = tuple(keys[k] for k in topic_keys or () if k in keys)
        data = TeamInput(name, description, tuple(u.id for u in pms), topic_keys is None, topics)
        try:
            team = save_team(None, data, None)
        except ValueError:  # a team of that name exists: the demo ran before
            db.session.rollback()
            continue
        team.created_at = utcnow() - timedelta(days=365)  # as if it had always been there
        db.session.commit()
        created += 1
        digest, _ = digest_flow.ensure_digest(team, last_complete_week(utcnow(), team_zone(team)))
        if digest_flow.build(digest.id):
            digest_flow.deliver(digest.id)
            sent += 1
    return created, sent
