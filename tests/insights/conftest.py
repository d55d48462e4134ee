"""Fixtures for insights: hand-built responses with mentions at chosen times, teams, a loopback SMTP app."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AnalysisState,
    Mention,
    MentionSource,
    Response,
    Survey,
    SurveyKind,
    Team,
    User,
)
from tests.factories import make_survey, make_topic, make_user


@pytest.fixture(autouse=True)
def _fresh_emerging_cache():
    """Each test starts without the emerging test of another (rolled-back ids repeat across tests)."""
    from app.insights import analytics

    analytics._EMERGING.clear()
    yield
    analytics._EMERGING.clear()


@pytest.fixture
def ctx(app):
    """An app context (the test's transaction is rolled back afterwards)."""
    with app.app_context():
        yield app


@pytest.fixture
def smtp_app(app, smtp_server, monkeypatch):
    """The session app, switched to the SMTP transport aimed at the loopback server (restored after)."""
    settings = {
        "MAIL_TRANSPORT": "smtp",
        "SMTP_HOST": smtp_server.host,
        "SMTP_PORT": smtp_server.port,
        "SMTP_STARTTLS": False,
        "SMTP_SSL": False,
        "SMTP_USERNAME": "",
        "SMTP_TIMEOUT": 5,
        "MAIL_RETRY_DELAYS": (0, 0),
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return app


def add_response(
    at: datetime,
    score: int | None = None,
    comment: str | None = "A comment",
    topics: dict[int, str] | None = None,
    account_id: int | None = None,
    survey: Survey | None = None,
    kind: SurveyKind = SurveyKind.NPS,
    contact_id: int | None = None,
) -> Response:
    """An analysed response at ``at`` mentioning ``topics`` ({topic id: mention sentiment})."""
    survey = survey or _survey(kind)
    response = Response(
        survey_id=survey.id,
        kind=survey.kind,
        score=score if survey.kind != SurveyKind.FORM else None,
        comment=comment,
        created_at=at,
        account_id=account_id,
        contact_id=contact_id,
        analysis_state=AnalysisState.DONE if comment else AnalysisState.SKIPPED,
    )
    db.session.add(response)
    db.session.flush()
    for topic_id, label in (topics or {}).items():
        start = (comment or "").find(" ") + 1 if comment else None
        db.session.add(
            Mention(
                response_id=response.id,
                topic_id=topic_id,
                source=MentionSource.PHRASE,
                sentiment_label=label,
                sentiment_score={"negative": -0.6, "positive": 0.6}.get(label, 0.0),
                start=start,
                end=(start or 0) + 4 if comment else None,
            )
        )
    return response


def _survey(kind: SurveyKind) -> Survey:
    existing = db.session.execute(
        sa.select(Survey).where(Survey.kind == kind, Survey.name.like("insights %")).limit(1)
    ).scalar_one_or_none()
    return existing or make_survey(kind, name=f"insights {kind.value}")


def bulk_nps(at: datetime, counts: tuple[int, int, int], topics: dict[int, str] | None = None) -> None:
    """Many analysed NPS answers at once (one INSERT each for responses and mentions), scored 10, 8 and 3."""
    survey = _survey(SurveyKind.NPS)
    scores = [score for score, n in zip((10, 8, 3), counts, strict=True) for _ in range(n)]
    rows = [
        {"survey_id": survey.id, "kind": SurveyKind.NPS, "score": s, "comment": "A comment", "created_at": at,
         "analysis_state": AnalysisState.DONE}
        for s in scores
    ]  # fmt: skip
    ids = db.session.scalars(
        sa.insert(Response).returning(Response.id, sort_by_parameter_order=True), rows
    ).all()
    mentions = [
        {"response_id": rid, "topic_id": t, "source": MentionSource.PHRASE, "sentiment_label": label}
        for rid in ids
        for t, label in (topics or {}).items()
    ]
    if mentions:
        db.session.execute(sa.insert(Mention), mentions)


def make_team(
    name: str = "Core", members: list[User] | None = None, topics: list[int] | None = None, **kw: Any
):
    """A team (every topic unless ``topics``) with members."""
    from app.models import Topic

    team = Team(name=name, all_topics=topics is None, **kw)
    team.members = members if members is not None else [make_user("pm")]
    if topics:
        team.topics = [db.session.get(Topic, t) for t in topics]
    db.session.add(team)
    db.session.flush()
    return team


def topic(name: str, parent: int | None = None) -> int:
    """A new active topic's id."""
    return make_topic(name, parent_id=parent).id
