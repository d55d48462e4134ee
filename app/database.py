"""Engine tuning per backend: SQLite gets WAL, a busy timeout and immediate write transactions; reads
that are known to be reads (``read_only``) run in a deferred transaction that takes no write lock; a
PostgreSQL connection is pinged on checkout only after it sat idle in the pool for a while."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from time import monotonic
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

_DEFERRED: ContextVar[bool] = ContextVar("clearloop_sqlite_deferred", default=False)

# A server connection idle in the pool longer than this is pinged before use (a restart, a proxy or a
# firewall may have dropped it). SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a third of the
# answer path's round trips on PostgreSQL (issue 18), for connections handed back milliseconds ago.
PING_AFTER_IDLE_SECONDS = 5.0
_IDLE_SINCE = "clearloop_idle_since"


def configure_engine(engine: sa.Engine) -> None:
    """Attach the per-connection settings the backend needs (RELIABILITY rule 11)."""
    if engine.dialect.name != "sqlite":
        _ping_idle_connections(engine)
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
        # failing with "database is locked" when a read transaction tries to upgrade. Only a transaction
        # opened inside ``read_only`` (which ends it before anything could write) is deferred.
        conn.exec_driver_sql("BEGIN" if _DEFERRED.get() else "BEGIN IMMEDIATE")


def _ping_idle_connections(engine: sa.Engine) -> None:
    """Ping a pooled connection on checkout when it has been idle ``PING_AFTER_IDLE_SECONDS`` or more; a
    dead one is thrown away and the pool hands out another (SQLAlchemy retries on DisconnectionError).
    A connection that died while in use in the last few seconds fails its statement instead, which
    invalidates the whole pool, so only that one request sees the error (503, tests/faults)."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return  # a new connection, or one handed back moments ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise sa.exc.InvalidatePoolError("a pooled connection did not answer its ping") from exc
        if not alive:
            raise sa.exc.InvalidatePoolError("a pooled connection did not answer its ping")


@contextmanager
def read_only(session: Session | scoped_session) -> Iterator[None]:
    """Run a few reads without SQLite's write lock: when no transaction is open, the reads get a deferred
    transaction of their own, ended on leaving the block, so a later write begins IMMEDIATE as usual.

    A deferred transaction that later writes could fail with "database is locked" (it cannot upgrade
    past a writer that committed since it began), hence the block closes it. On PostgreSQL, or inside an
    open transaction, this does nothing: the reads simply join the current (or next) transaction.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.get_bind().dialect.name != "sqlite" or session.in_transaction():
        yield
        return
    flag = _DEFERRED.set(True)
    try:
        yield
    except BaseException:
        _DEFERRED.reset(flag)
        session.rollback()
        raise
    _DEFERRED.reset(flag)
    session.commit()  # nothing to flush: it only ends the read transaction


def end_autocommit(session: Session | scoped_session) -> None:
    """End the session's transaction if it runs on an autocommit connection (the answer path's read on
    PostgreSQL, app/surveys/tokens.py), so the writes that follow get a real transaction; otherwise
    leave it alone."""
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction() and session.connection().get_execution_options().get("isolation_level") == (
        "AUTOCOMMIT"
    ):
        session.commit()


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


def insert_ignoring_conflict(dialect: str, table: sa.Table, *conflict_columns: str) -> Any:
    """``INSERT … ON CONFLICT (columns) DO NOTHING`` for SQLite (≥ 3.35) or PostgreSQL: a duplicate is
    skipped by the statement itself, with no savepoint and no error to catch."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))


@dataclass(frozen=True)
class DriverStatement:
    """A Core statement compiled once for a driver with positional parameters (SQLite's): its SQL and, in
    order, each parameter's name and SQLAlchemy's own bind processor, so enums, JSON and dates are written
    exactly as through SQLAlchemy. For a hot path's short write transaction run on the DBAPI cursor."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    @classmethod
    def compile(cls, statement: sa.Executable, dialect: sa.Dialect) -> DriverStatement:
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        if compiled.positiontup is None or compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError("a driver statement takes every value as a positional parameter")
        processors = compiled._bind_processors
        names = tuple(compiled.positiontup)
        return cls(compiled.string, names, tuple(processors.get(name) for name in names))

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            values[name] if process is None else process(values[name])
            for name, process in zip(self.names, self.processors, strict=True)
        )


def sqlite_write(
    engine: sa.Engine, steps: Callable[[Callable[[DriverStatement, Mapping[str, Any]], list[Any]]], Any]
) -> Any:
    """Run ``steps(run)`` in one ``BEGIN IMMEDIATE`` transaction on a pooled SQLite connection's cursor,
    committed at the end (rolled back on any error, raised as SQLAlchemy's own DBAPIError so a locked or
    missing database is still a 503). ``run(statement, values)`` returns the statement's rows.

    The write lock is held only for the statements themselves: no session, no ORM, no SQLAlchemy
    execution between BEGIN and COMMIT (through SQLAlchemy the answer held it ~4× as long, and the
    other web worker's answer waited in SQLite's busy handler, which sleeps 1, 2, 5, 10 ms… between
    tries: the answer path's tail, issue 18)."""
    raw = engine.raw_connection()
    current: list[Any] = ["BEGIN IMMEDIATE", ()]
    try:
        cursor = raw.cursor()

        def run(statement: DriverStatement, values: Mapping[str, Any]) -> list[Any]:
            current[:] = [statement.sql, statement.parameters(values)]
            return cursor.execute(*current).fetchall()

        cursor.execute("BEGIN IMMEDIATE")
        result = steps(run)
        current[:] = ["COMMIT", ()]
        raw.commit()
        return result
    except engine.dialect.dbapi.Error as exc:  # type: ignore[union-attr]
        raw.rollback()
        raise sa.exc.DBAPIError.instance(
            current[0], current[1], exc, engine.dialect.dbapi.Error, dialect=engine.dialect
        ) from exc
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()
