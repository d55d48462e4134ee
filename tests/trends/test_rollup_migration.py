"""Migration rollup_0001 on a database with answers: the day rollup is backfilled from the fine one (equal
to the counted responses), the new triggers keep both, and a downgrade brings back the previous triggers
(the fine rollup still kept) without the table. SQLite always; PostgreSQL when it is available."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
BEFORE = "faults_0003"


def _flask_db(url: str, tmp_path: Path, command: str, revision: str = "head") -> None:
    """``flask db upgrade|downgrade <revision>`` in this process, on an app bound to ``url``."""
    import flask_migrate

    from app import create_app
    from app.config import load_config
    from app.extensions import db
    from tests.conftest import test_config

    uri = load_config({"DATABASE_URL": url, "SECRET_KEY": "x"})["SQLALCHEMY_DATABASE_URI"]
    app = create_app(test_config(uri) | {"INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        getattr(flask_migrate, command)(directory=str(ROOT / "migrations"), revision=revision)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> Iterator[tuple[str, sa.Engine]]:
    """(url, engine) of an empty database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'rollups.db'}"
        engine = sa.create_engine(url)

        @sa.event.listens_for(engine, "connect")
        def _fulltext(dbapi_connection, _record):
            from app.explorer.fulltext import register_sqlite

            register_sqlite(dbapi_connection)  # the comment search triggers call it
            dbapi_connection.execute("PRAGMA foreign_keys = ON")  # as the app's connections

        yield url, engine
        engine.dispose()
        return
    postgres_url = request.getfixturevalue("postgres_url")
    base = sa.make_url(postgres_url.replace("postgres://", "postgresql://"))
    name = f"clearloop_rollup_migration_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(base.set(drivername="postgresql+psycopg", database=name))
    try:
        yield url, engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


START = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _survey(conn, kind: str) -> int:
    return conn.execute(
        sa.text(
            "INSERT INTO surveys (name, kind, status, followup_by_band, translations, public_token,"
            " public_link_enabled, created_at, updated_at) VALUES (:k, :k, 'active', '{}', '{}', :t, false,"
            " :at, :at) RETURNING id"
        ),
        {"k": kind, "t": f"tok-{kind}-{uuid.uuid4().hex}", "at": START},
    ).scalar_one()


def _answer(conn, survey_id: int, kind: str, score: int, at: datetime, suspect: bool = False) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO responses (survey_id, kind, channel, locale, edit_count, analysis_state,"
            " analysis_attempts, analysis, created_at, updated_at, score, scanner_suspect)"
            " VALUES (:s, :k, 'email', 'en', 0, 'skipped', 0, '{}', :at, :at, :score, :suspect)"
        ),
        {"s": survey_id, "k": kind, "at": at, "score": score, "suspect": suspect},
    )


def _day_rollups(conn) -> dict[tuple, tuple]:
    rows = conn.execute(sa.text("SELECT day, survey_id, kind, n, s0, s3, s9, s10 FROM response_day_rollups"))
    return {(str(r[0]), r[1], r[2]): tuple(r[3:]) for r in rows}


def _fine_summed(conn) -> dict[tuple, tuple]:
    rows = conn.execute(
        sa.text(
            "SELECT day, survey_id, kind, sum(n), sum(s0), sum(s3), sum(s9), sum(s10) FROM response_rollups"
            " GROUP BY day, survey_id, kind"
        )
    )
    return {(str(r[0]), r[1], r[2]): tuple(int(x) for x in r[3:]) for r in rows}


def test_backfill_triggers_and_downgrade(database, tmp_path):
    url, engine = database
    _flask_db(url, tmp_path, "upgrade", BEFORE)
    with engine.begin() as conn:
        nps, csat = _survey(conn, "nps"), _survey(conn, "csat")
        for i, score in enumerate((10, 9, 3, 0, 10, 9)):
            _answer(conn, nps, "nps", score, START + timedelta(hours=10 * i))
        _answer(conn, nps, "nps", 0, START, suspect=True)  # counted nowhere, before or after
        _answer(conn, csat, "csat", 3, START)
    _flask_db(url, tmp_path, "upgrade")
    with engine.begin() as conn:
        days = _day_rollups(conn)
        assert days == _fine_summed(conn)
        assert days == {
            ("2026-03-01", nps, "nps"): (2, 0, 0, 1, 1),  # 12:00 and 22:00 UTC
            ("2026-03-02", nps, "nps"): (2, 1, 1, 0, 0),
            ("2026-03-03", nps, "nps"): (2, 0, 0, 1, 1),
            ("2026-03-01", csat, "csat"): (1, 0, 1, 0, 0),
        }
        _answer(conn, nps, "nps", 9, START)  # the new triggers keep both
        conn.execute(sa.text("UPDATE responses SET scanner_suspect = false WHERE scanner_suspect"))
    with engine.begin() as conn:
        assert _day_rollups(conn)[("2026-03-01", nps, "nps")] == (4, 1, 0, 2, 1)
        assert _day_rollups(conn) == _fine_summed(conn)
    _flask_db(url, tmp_path, "downgrade", BEFORE)
    with engine.begin() as conn:
        assert "response_day_rollups" not in sa.inspect(conn).get_table_names()
        _answer(conn, csat, "csat", 3, START)  # the previous triggers: the fine rollup only
        total = conn.execute(sa.text("SELECT sum(n) FROM response_rollups WHERE kind = 'csat'")).scalar_one()
        assert total == 2


SEGMENT_SQL = {
    "tier": "coalesce(a.tier, '')",
    "plan": "coalesce(a.plan, '')",
    "stage": "coalesce(a.lifecycle_stage, '')",
    "csm": "coalesce(CAST(a.csm_owner_id AS TEXT), '')",
}


def _account(conn, name: str, tier: str | None, plan: str | None) -> int:
    return conn.execute(
        sa.text(
            "INSERT INTO accounts (name, arr, plan, tier, attributes, nps_n, created_at, updated_at)"
            " VALUES (:n, 0, :p, :t, '{}', 0, :at, :at) RETURNING id"
        ),
        {"n": name, "p": plan, "t": tier, "at": START},
    ).scalar_one()


def _answer_at(conn, survey_id: int, account_id: int | None, score: int, at: datetime) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO responses (survey_id, kind, channel, locale, edit_count, analysis_state,"
            " analysis_attempts, analysis, created_at, updated_at, score, scanner_suspect, account_id)"
            " VALUES (:s, 'nps', 'email', 'en', 0, 'skipped', 0, '{}', :at, :at, :score, false, :a)"
        ),
        {"s": survey_id, "at": at, "score": score, "a": account_id},
    )


def _segments(conn) -> dict[tuple, tuple]:
    rows = conn.execute(sa.text("SELECT segment, kind, day, value, n, s0, s10 FROM response_segment_rollups"))
    return {(r[0], r[1], str(r[2]), r[3]): tuple(r[4:]) for r in rows}


def _segments_from_fine(conn) -> dict[tuple, tuple]:
    """What the segment rollup must hold: the fine rollup by each of the accounts' current attributes."""
    out: dict[tuple, tuple] = {}
    for segment, value in SEGMENT_SQL.items():
        rows = conn.execute(
            sa.text(
                f"SELECT f.kind, f.day, {value}, sum(f.n), sum(f.s0), sum(f.s10) FROM response_rollups f"
                f" LEFT JOIN accounts a ON a.id = f.account_key GROUP BY f.kind, f.day, {value}"
            )
        )
        out |= {(segment, r[0], str(r[1]), r[2]): tuple(int(x) for x in r[3:]) for r in rows}
    return out


def _months(conn) -> dict[tuple, tuple]:
    rows = conn.execute(sa.text("SELECT kind, month, account_key, n, s0, s10 FROM response_month_rollups"))
    return {(r[0], str(r[1]), r[2]): tuple(r[3:]) for r in rows}


def test_month_and_segment_rollups_backfill_triggers_and_downgrade(database, tmp_path):
    """rollup_0002: both new rollups filled from the answers already there, kept by the new triggers
    (answers, an account's new tier, a deleted account), and gone after a downgrade, whose triggers keep
    the fine and day rollups (and let accounts change) as before."""
    url, engine = database
    _flask_db(url, tmp_path, "upgrade", "speedw_0001")
    with engine.begin() as conn:
        nps = _survey(conn, "nps")
        big = _account(conn, "Bigco", "enterprise", "pro")
        small = _account(conn, "Smallco", None, None)
        for account, score, days in ((big, 10, 0), (big, 0, 31), (small, 10, 0), (None, 0, 0)):
            _answer_at(conn, nps, account, score, START + timedelta(days=days))
    _flask_db(url, tmp_path, "upgrade")
    with engine.begin() as conn:
        assert _months(conn) == {
            ("nps", "2026-03-01", big): (1, 0, 1),
            ("nps", "2026-04-01", big): (1, 1, 0),
            ("nps", "2026-03-01", small): (1, 0, 1),
            ("nps", "2026-03-01", 0): (1, 1, 0),
        }
        segments = _segments(conn)
        assert segments[("tier", "nps", "2026-03-01", "enterprise")] == (1, 0, 1)
        assert segments[("tier", "nps", "2026-03-01", "")] == (2, 1, 1)  # Smallco (no tier) and no account
        assert segments == _segments_from_fine(conn)
        _answer_at(conn, nps, small, 0, START)
        conn.execute(sa.text("UPDATE accounts SET tier = 'smb', plan = 'basic' WHERE id = :id"), {"id": big})
    with engine.begin() as conn:
        segments = _segments(conn)
        assert ("tier", "nps", "2026-03-01", "enterprise") not in segments  # moved with the account
        assert segments[("tier", "nps", "2026-04-01", "smb")] == (1, 1, 0)
        assert segments[("plan", "nps", "2026-03-01", "basic")] == (1, 0, 1)
        assert segments == _segments_from_fine(conn)
        assert _months(conn)[("nps", "2026-03-01", small)] == (2, 1, 1)
        conn.execute(sa.text("DELETE FROM accounts WHERE id = :id"), {"id": big})  # answers: no account
    with engine.begin() as conn:
        segments = _segments(conn)
        assert not any(key[3] == "smb" for key in segments)
        assert segments == _segments_from_fine(conn)
        assert _months(conn)[("nps", "2026-04-01", 0)] == (1, 1, 0)
    _flask_db(url, tmp_path, "downgrade", "speedw_0001")
    with engine.begin() as conn:
        tables = sa.inspect(conn).get_table_names()
        assert "response_month_rollups" not in tables and "response_segment_rollups" not in tables
        _answer_at(conn, nps, small, 9, START)
        conn.execute(sa.text("UPDATE accounts SET tier = 'smb' WHERE id = :id"), {"id": small})
        total = conn.execute(sa.text("SELECT sum(n) FROM response_day_rollups")).scalar_one()
        assert total == 6
