"""Keyset paging: walking every page of each sort gives every row exactly once, in the sort's order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.explorer.filters import Cursor, ExplorerFilters
from app.explorer.queries import NO_SCORE, explorer_page, order_by
from app.extensions import db
from app.models import Response
from tests.factories import make_response, make_survey

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def many(app):
    with app.app_context():
        nps, form = make_survey("nps"), make_survey("form")
        for i in range(57):
            # Ties on purpose: several rows share a timestamp and a score; the id breaks them.
            created = START + timedelta(hours=i // 3, microseconds=7 * (i % 2))
            if i % 9 == 0:
                make_response(form, comment=f"form {i}", created_at=created)
            else:
                make_response(nps, score=i % 11, comment=f"answer {i}", created_at=created)
        db.session.commit()
        yield


def walk(sort: str, size: int) -> list[int]:
    filters = ExplorerFilters(sort=sort)
    seen: list[int] = []
    for _ in range(100):
        page = explorer_page(filters, size=size)
        seen += [r.id for r in page.items]
        if page.next_cursor is None:
            return seen
        filters = ExplorerFilters.from_args({"sort": sort, "after": page.next_cursor.encode()})
    raise AssertionError("paging never ended")


@pytest.mark.parametrize("sort", ["newest", "oldest", "score_low", "score_high"])
def test_walking_the_pages_sees_every_row_once_in_order(app, many, sort):
    with app.app_context():
        expected = list(db.session.execute(sa.select(Response.id).order_by(*order_by(sort))).scalars())
        assert walk(sort, 5) == expected and len(expected) == 57


def test_score_sorts_put_messages_without_a_score_at_the_end(app, many):
    with app.app_context():
        rows = explorer_page(ExplorerFilters(sort="score_high"), size=57).items
        scores = [r.score if r.score is not None else NO_SCORE for r in rows]
        assert scores == sorted(scores, reverse=True) and rows[-1].score is None


def test_cursors_round_trip_and_refuse_tampering():
    c = Cursor(datetime(2026, 5, 1, 8, 30, 1, 123456, tzinfo=UTC), 42)
    assert Cursor.decode(c.encode(), "newest") == c
    s = Cursor(c.created_at, 42, score=-1)
    assert Cursor.decode(s.encode(), "score_low") == s
    for bad in ("", "x~1", "1~2~3", "1~0", "-5~3", "9" * 30 + "~1", "1.5~2"):
        assert Cursor.decode(bad, "newest") is None, bad
    assert Cursor.decode(c.encode(), "score_low") is None  # a cursor of another sort is dropped


def test_the_page_links_to_the_next_page_and_back_to_the_first(app, many, viewer_client):
    html = viewer_client.get("/responses?sort=oldest").get_data(as_text=True)
    assert "First page" not in html and 'rel="next"' in html
    next_url = html.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    assert "sort=oldest" in next_url and "after=" in next_url
    second = viewer_client.get(next_url).get_data(as_text=True)
    assert "First page" in second and "57 in all" in second.replace(",", "")
