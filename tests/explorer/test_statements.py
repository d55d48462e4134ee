"""The explorer's statements are built once per shape and run with each page's values.

A statement kept for a shape must never keep a value: two pages of the same shape with other topics,
dates, accounts, searches or cursors each show their own rows, the same rows as the conditions built
with the values inside (what the API and the export compose). The workspace's time zone is read afresh
by every transaction, so a change saved by another process moves the next page's local days.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from app.explorer import queries as q
from app.explorer.filters import ExplorerFilters
from app.extensions import db
from app.models import Response
from tests.explorer.conftest import page_ids

ALL = ["r8", "r7", "r6", "r5", "r4", "r3", "r2", "r1"]


def names(world, ids) -> list[str]:
    by_id = {v: k for k, v in world.ids.items() if k.startswith("r")}
    return [by_id[i] for i in ids]


def both_ways(f: ExplorerFilters, size: int = 50) -> tuple[list[int], int]:
    """The page's ids and count from the statement built for the shape, after checking that the
    conditions with their values inside (the API's path) give the same."""
    page = q.explorer_page(f, size)
    where = q.conditions(f)
    composed = [r.id for r in q.page_rows(f, size, where)][:size]
    assert [r.id for r in page.items] == composed, f
    assert (page.total, page.capped) == q.count(q.conditions(f.first_page())), f
    return [r.id for r in page.items], page.total


def cases(world) -> list[tuple[ExplorerFilters, list[str]]]:
    """Pairs of filters of one shape with different values, and the rows each must show."""
    w = world
    return [
        (ExplorerFilters(topic=w.billing), ["r4", "r1"]),
        (ExplorerFilters(topic=w.onboarding), ["r8", "r2"]),
        (ExplorerFilters(topic=w.invoices), ["r1"]),
        (ExplorerFilters(start=date(2026, 3, 10), end=date(2026, 3, 11)), ["r2", "r1"]),
        (ExplorerFilters(start=date(2026, 3, 14), end=date(2026, 3, 17)), ["r8", "r7", "r6", "r5"]),
        (ExplorerFilters(topic=w.billing, start=date(2026, 3, 11), end=date(2026, 3, 20)), ["r4"]),
        (ExplorerFilters(topic=w.onboarding, start=date(2026, 3, 11), end=date(2026, 3, 20)), ["r8", "r2"]),
        (ExplorerFilters(account=w.big), ["r8", "r4", "r3", "r1"]),
        (ExplorerFilters(account=w.small), ["r7", "r5", "r2"]),
        (ExplorerFilters(q="invoices"), ["r1"]),
        (ExplorerFilters(q="onboarding"), ["r2"]),
        (ExplorerFilters(q="kanban"), []),
        (ExplorerFilters(kind="csat", sentiment="positive"), ["r4"]),
        (ExplorerFilters(kind="ces", sentiment="negative"), ["r6"]),
        (ExplorerFilters(tier="enterprise", intent="complaint"), ["r1"]),
        (ExplorerFilters(tier="smb", intent="praise"), ["r2"]),
        (ExplorerFilters(topic=w.billing, mention_sentiment="negative"), ["r1"]),
        (ExplorerFilters(topic=w.billing, mention_sentiment="positive"), ["r4"]),
        (ExplorerFilters(followup="overdue", lang="en"), ["r1"]),
        (ExplorerFilters(band="detractor"), ["r1"]),
        (ExplorerFilters(band="promoter"), ["r2"]),
        (ExplorerFilters(comment="without", plan="Pro"), ["r3"]),
        (ExplorerFilters(comment="with", plan="Basic"), ["r7", "r5", "r2"]),
        (ExplorerFilters(stage="growth", csm=w.owner, channel="form"), ["r8"]),
        (ExplorerFilters(survey=w.nps, contact=w.alice), ["r3", "r1"]),
        (ExplorerFilters(survey=w.csat, contact=w.bob), ["r5"]),
    ]


def test_pages_of_one_shape_show_their_own_values_rows(app, world):
    with app.app_context():
        for f, expected in cases(world) * 2:  # twice: the second round runs from the kept statements
            ids, total = both_ways(f)
            assert names(world, ids) == expected and total == len(expected), f


def test_a_statement_is_built_once_per_shape_and_never_keeps_a_value(app, world):
    with app.app_context():
        q._page_statement.cache_clear()
        q._count_statement.cache_clear()
        first = names(world, both_ways(ExplorerFilters(topic=world.billing, start=date(2026, 3, 11)))[0])
        second = names(world, both_ways(ExplorerFilters(topic=world.onboarding, start=date(2026, 3, 9)))[0])
        assert (first, second) == (["r4"], ["r8", "r2"])
        assert q._page_statement.cache_info().misses == 1 and q._page_statement.cache_info().hits == 1
        assert q._count_statement.cache_info().misses == 1 and q._count_statement.cache_info().hits == 1


@pytest.mark.parametrize("sort", ["newest", "oldest", "score_low", "score_high"])
def test_cursors_of_one_shape_page_from_their_own_row(app, world, sort):
    """Pages of one row: every cursor runs the same kept statement and starts after its own row."""
    with app.app_context():
        f = ExplorerFilters(sort=sort)
        order = [r.id for r in q.explorer_page(f, 8).items]
        walked = []
        for _ in range(8):
            ids, _total = both_ways(f, 1)
            walked += ids
            last = db.session.get(Response, ids[0])
            f = replace(f, after=q.cursor_of(sort, last))
        assert walked == order and len(set(order)) == 8
        assert both_ways(f, 1)[0] == []


def test_a_missing_value_is_an_error_not_a_match(app, world):
    """A kept statement has no value of its own: run without one, it fails instead of matching."""
    with app.app_context():
        shape, values = q._bound(ExplorerFilters(topic=world.billing))
        stmt = q._page_statement(shape, "newest", False, 50, False, False)
        with pytest.raises(sa.exc.StatementError):
            db.session.execute(stmt, {k: v for k, v in values.items() if k != "f_topic"}).all()
        db.session.rollback()


@pytest.mark.committed  # another process changes the setting: it must see the world, and we its change
def test_a_time_zone_saved_by_another_process_moves_the_next_pages_days(app, viewer_client, world):
    # r1 was answered at 12:00 UTC on 10 March: 02:00 on 11 March in Kiritimati (UTC+14)
    query = "start=2026-03-11&end=2026-03-11"
    assert names(world, page_ids(viewer_client, query)) == ["r2"]
    script = (
        "import sys\n"
        "from app import create_app\n"
        "from app.extensions import db\n"
        "from app.workspace_settings import set_settings\n"
        "from tests.conftest import test_config\n"
        "with create_app(test_config(sys.argv[1])).app_context():\n"
        "    set_settings({'timezone': 'Pacific/Kiritimati'})\n"
        "    db.session.commit()\n"
    )
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    subprocess.run([sys.executable, "-c", script, uri], check=True, timeout=120)
    assert names(world, page_ids(viewer_client, query)) == ["r1"]
    assert names(world, page_ids(viewer_client, "start=2026-03-10&end=2026-03-10")) == []


def test_all_rows_without_filters(app, world):
    with app.app_context():
        assert names(world, both_ways(ExplorerFilters())[0]) == ALL


def test_the_page_loads_what_its_rows_show_in_a_fixed_number_of_statements(app, viewer_client, world):
    """The list loads only the columns it shows: a column it lacked would load row by row, so a page of
    eight rows would take more statements than a page of one."""
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", seen)
    try:
        counts = []
        for query, rows in (("start=2026-03-10", 8), ("start=2026-03-17", 1)):
            statements.clear()
            assert len(page_ids(viewer_client, query)) == rows
            counts.append(len(statements))
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", seen)
    assert counts[0] == counts[1], counts


def test_the_page_reads_only_the_listed_columns(app, world):
    with app.app_context():
        items = q.explorer_page(ExplorerFilters()).items
        assert len(items) == 8
        unloaded = sa.inspect(items[0]).unloaded
        assert {"analysis", "analysis_error", "invitation_id", "submission_id"} <= unloaded
        assert not unloaded & {c.key for c in q.LISTED}
