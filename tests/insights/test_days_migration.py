"""Migration topics_0002 on a database with answers and tags: ``topic_days`` and ``topic_day_totals``
are backfilled (equal to their recomputation from ``topic_hits`` and the counted responses), the new
triggers keep them, and a downgrade removes tables and triggers (tagging still works). SQLite always;
PostgreSQL when it is available."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.insights import days_sql
from tests.trends.test_rollup_migration import _answer, _flask_db, _survey, database  # noqa: F401

BEFORE = "workers_0001"
START = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _topic(conn, name: str, parent: int | None = None) -> int:
    return conn.execute(
        sa.text(
            "INSERT INTO topics (key, name, parent_id, phrases, patterns, is_active, position, created_at,"
            " updated_at) VALUES (:n, :n, :p, '[]', '[]', true, 0, :at, :at) RETURNING id"
        ),
        {"n": name, "p": parent, "at": START},
    ).scalar_one()


def _mention(conn, response_id: int, topic_id: int, label: str) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO mentions (response_id, topic_id, source, rejected, sentiment_label, created_at)"
            " VALUES (:r, :t, 'phrase', false, :l, :at)"
        ),
        {"r": response_id, "t": topic_id, "l": label, "at": START},
    )


def _rows(conn, table: str) -> set[tuple]:
    columns = ", ".join([*days_sql.KEYS[table], *days_sql.COUNTS[table]])
    return {
        tuple(str(v) if i == 0 else v for i, v in enumerate(r))
        for r in conn.execute(sa.text(f"SELECT {columns} FROM {table}"))
    }


def _recomputed(conn, table: str) -> set[tuple]:
    sql = days_sql.recomputed(table, conn.dialect.name)
    return {tuple(str(v) if i == 0 else int(v) for i, v in enumerate(r)) for r in conn.execute(sa.text(sql))}


def test_backfill_triggers_and_downgrade(database, tmp_path):  # noqa: F811
    url, engine = database
    _flask_db(url, tmp_path, "upgrade", BEFORE)
    with engine.begin() as conn:
        nps = _survey(conn, "nps")
        billing = _topic(conn, "Billing")
        invoices = _topic(conn, "Invoices", billing)
        for i, score in enumerate((10, 9, 3, 0, 10, 9)):
            _answer(conn, nps, "nps", score, START + timedelta(hours=10 * i))
        _answer(conn, nps, "nps", 0, START, suspect=True)  # counted nowhere
        ids = conn.execute(sa.text("SELECT id FROM responses ORDER BY id")).scalars().all()
        for rid in ids[:4]:
            _mention(conn, rid, invoices, "negative")
        _mention(conn, ids[0], billing, "positive")
    _flask_db(url, tmp_path, "upgrade", "topics_0002")
    with engine.begin() as conn:
        days, totals = _rows(conn, days_sql.DAYS), _rows(conn, days_sql.TOTALS)
        assert days == _recomputed(conn, days_sql.DAYS) and totals == _recomputed(conn, days_sql.TOTALS)
        # (day, topic, survey, responses, promoters, passives, detractors, positive, neutral, negative)
        assert (str(START.date()), billing, nps, 2, 2, 0, 0, 1, 0, 2) in days
        assert (str(START.date()), invoices, nps, 2, 2, 0, 0, 0, 0, 2) in days
        assert (str(START.date()), nps, 2, 0, 2, 0, 0) in totals  # the suspect answer is not counted
        _mention(conn, ids[4], invoices, "neutral")  # the new triggers keep both tables
        conn.execute(sa.text("UPDATE responses SET scanner_suspect = false WHERE scanner_suspect"))
    with engine.begin() as conn:
        assert _rows(conn, days_sql.DAYS) == _recomputed(conn, days_sql.DAYS) != days
        assert _rows(conn, days_sql.TOTALS) == _recomputed(conn, days_sql.TOTALS) != totals
    _flask_db(url, tmp_path, "downgrade", BEFORE)
    with engine.begin() as conn:
        tables = sa.inspect(conn).get_table_names()
        assert days_sql.DAYS not in tables and days_sql.TOTALS not in tables
        _mention(conn, ids[5], invoices, "neutral")  # no trigger left behind writing to a dropped table
        _answer(conn, nps, "nps", 9, START)
        hits = conn.execute(sa.text("SELECT count(*) FROM topic_hits WHERE topic_id = :t"), {"t": invoices})
        assert hits.scalar_one() == 6
