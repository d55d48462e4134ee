"""Helpers for the analysis tests: responses with comments, their mentions, and time travel for sweeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AnalysisState, Mention, Response, Topic, utcnow
from tests.factories import make_response, make_survey


@pytest.fixture(autouse=True)
def _fresh_fake_redis(request: pytest.FixtureRequest):
    """Jobs an inline test leaves in the embedded fake Redis must not steer the next test's sweeps."""
    yield
    if "app" in request.fixturenames:
        import fakeredis

        conn = request.getfixturevalue("app").extensions["clearloop.redis"]
        if isinstance(conn, fakeredis.FakeRedis):
            conn.flushdb()


@pytest.fixture
def ctx(app):
    """An app context with the default taxonomy (the test's transaction is rolled back afterwards)."""
    from app.analysis.taxonomy_store import ensure_taxonomy

    with app.app_context():
        ensure_taxonomy()
        yield app


def add_responses(*comments: str | None) -> list[int]:
    """Pending responses with these comments, committed (to the test's savepoint)."""
    survey = make_survey()
    ids = [make_response(survey, comment=c).id for c in comments]
    db.session.commit()
    return ids


def topic_id(key: str) -> int:
    """The id of a topic by key."""
    return db.session.execute(sa.select(Topic.id).where(Topic.key == key)).scalar_one()


def mentions_of(response_id: int) -> list[tuple]:
    """A response's mention rows as comparable tuples."""
    rows = db.session.execute(
        sa.select(Mention.topic_id, Mention.source, Mention.rejected, Mention.start, Mention.end).where(
            Mention.response_id == response_id
        )
    ).all()
    return sorted((r.topic_id, r.source.value, r.rejected, r.start, r.end) for r in rows)


def state_of(response_id: int) -> Response:
    """The response, freshly loaded."""
    db.session.expire_all()
    return db.session.get(Response, response_id)


def backdate(ids: list[int], seconds: int = 3600) -> None:
    """Make pending requests look old enough for the sweeper."""
    db.session.execute(
        sa.update(Response)
        .where(Response.id.in_(ids))
        .values(analysis_requested_at=utcnow() - timedelta(seconds=seconds))
    )
    db.session.commit()


def count_state(state: AnalysisState) -> int:
    """How many responses are in a state."""
    return db.session.execute(
        sa.select(sa.func.count()).select_from(Response).where(Response.analysis_state == state)
    ).scalar_one()
