"""The overview's headline scores come from the response rollups (local days), and the NPS change is told
against sampling noise."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import event

from app.main.queries import kind_summaries, period
from app.models import utcnow
from tests.factories import make_response, make_survey
from tests.helpers import text


def test_headline_scores_read_the_rollups_not_the_responses(app, rows):
    def build():
        nps = make_survey("nps")
        for score in (10, 9, 3):
            make_response(nps, score=score, created_at=utcnow() - timedelta(days=2))

    rows(build)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        event.listen(sa.engine.Engine, "before_cursor_execute", seen)
        try:
            summaries = kind_summaries(90)
        finally:
            event.remove(sa.engine.Engine, "before_cursor_execute", seen)
    assert summaries[0].current.n == 3 and summaries[0].bands == {
        "promoters": 2,
        "passives": 0,
        "detractors": 1,
    }
    scores = [s for s in statements if "count" in s.lower() or "sum(" in s.lower()]
    assert len(scores) == 6 and all("FROM response_day_rollups" in s for s in scores)  # 3 kinds × 2 periods
    assert not any("FROM responses" in s for s in statements)


def test_period_is_in_local_days():
    from datetime import date

    start, today, before = period(30, date(2026, 3, 31))
    assert (start, today, before) == (date(2026, 3, 2), date(2026, 3, 31), date(2026, 1, 31))


def test_the_nps_change_in_words(viewer_client, rows):
    def build():
        nps = make_survey("nps")
        now = utcnow()
        for score, n in ((10, 5), (8, 3), (2, 2)):  # now: 50/30/20
            for _ in range(n):
                make_response(nps, score=score, created_at=now - timedelta(days=1))
        for score, n in ((10, 4), (8, 3), (2, 3)):  # the 90 days before: 40/30/30
            for _ in range(n):
                make_response(nps, score=score, created_at=now - timedelta(days=100))

    rows(build)
    page = text(viewer_client.get("/"))
    assert "up 15, within noise" in page  # adjusted Wald: 100 × (5.75 − 2.75 − 4.75 + 3.75) / 13
