"""PostgreSQL connections are pinged on checkout only after idling in the pool (app/database.py): a busy
connection is reused without the extra round trip, an idle one is checked, and a dead one is replaced."""

from __future__ import annotations

import sqlalchemy as sa

from app import database
from app.database import configure_engine


def _engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url, pool_size=1, max_overflow=0)
    configure_engine(engine)
    return engine


def test_only_connections_idle_for_a_while_are_pinged(postgres_url, monkeypatch):
    engine = _engine(postgres_url)
    pings: list[object] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(conn) or real_ping(conn))
    try:
        with engine.connect() as conn:  # a new connection: not pinged
            conn.execute(sa.text("SELECT 1"))
        with engine.connect() as conn:  # handed back a moment ago: not pinged
            conn.execute(sa.text("SELECT 1"))
        assert pings == []
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
        with engine.connect() as conn:  # idle "long enough": pinged once, then used
            assert conn.execute(sa.text("SELECT 2")).scalar_one() == 2
        assert len(pings) == 1
    finally:
        engine.dispose()


def test_an_idle_connection_that_died_is_replaced_before_use(postgres_url, monkeypatch):
    engine = _engine(postgres_url)
    try:
        with engine.connect() as conn:
            first_pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        other = sa.create_engine(postgres_url)
        with other.connect() as admin:
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
            admin.commit()
        other.dispose()
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
        with engine.connect() as conn:  # the ping fails, the pool connects afresh, the statement runs
            assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != first_pid
    finally:
        engine.dispose()
