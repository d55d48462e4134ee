"""Engine tuning per backend: SQLite gets WAL, a busy timeout and immediate write transactions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event


def configure_engine(engine: sa.Engine) -> None:
    """Attach the per-connection settings the backend needs (RELIABILITY rule 11)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (needed for savepoints too).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # The comment search triggers (migration explorer_0001) stem through this Python function.
        from app.explorer.fulltext import register_sqlite

        register_sqlite(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: sa.Connection) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead of
        # failing with "database is locked" when a read transaction tries to upgrade.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_unique_violation(exc: BaseException) -> bool:
    """True when a database error is a unique-constraint violation, on SQLite or PostgreSQL."""
    orig = getattr(exc, "orig", exc)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate == "23505"
    return "UNIQUE constraint failed" in str(orig)


def is_unavailable(exc: BaseException) -> bool:
    """True when a database error means the server is unreachable (a 503, not a 500)."""
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        text = str(getattr(exc, "orig", exc)).lower()
        return not any(s in text for s in ("no such table", "no such column", "syntax error"))
    return isinstance(exc, sa.exc.DisconnectionError | sa.exc.TimeoutError)
