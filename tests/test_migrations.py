"""The schema is made only by migrations: one head, and upgrade works on empty SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from app.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_one_alembic_head():
    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}; merge them"


def _flask_db(command: str, url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run ``flask db <command>`` against ``url`` in a fresh process."""
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "x",
        "CLEARLOOP_INSTANCE": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _upgrade(url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return _flask_db("upgrade", url, tmp_path)


def _check(url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return _flask_db("check", url, tmp_path)


def test_migrations_upgrade_an_empty_sqlite_database_and_match_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = _upgrade(url, tmp_path)
    assert result.returncode == 0, result.stderr
    check = _check(url, tmp_path)
    assert check.returncode == 0 and "No new upgrade operations" in check.stdout + check.stderr, check.stderr
    tables = set(sa.inspect(sa.create_engine(url)).get_table_names())
    assert {
        "responses",
        "invitations",
        "mentions",
        "health_snapshots",
        "digests",
        "alembic_version",
    } <= tables


def test_migrations_upgrade_an_empty_postgresql_database(postgres_url, tmp_path):
    base = sa.make_url(postgres_url.replace("postgres://", "postgresql://"))
    # A fresh database per run: concurrent runs against one server (other checkouts) never drop each other's.
    name = f"clearloop_migration_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        result = _upgrade(url, tmp_path)
        assert result.returncode == 0, result.stderr
        check = _check(url, tmp_path)
        assert check.returncode == 0 and "No new upgrade operations" in check.stdout + check.stderr, (
            check.stderr
        )
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_database_enforces_score_ranges(app):
    from tests.factories import make_survey

    with app.app_context():
        survey = make_survey("csat")
        for bad in ("9", "0", "NULL"):
            try:
                with db.session.begin_nested():
                    db.session.execute(
                        sa.text(
                            "INSERT INTO responses (survey_id, kind, channel, score, locale, edit_count,"
                            " analysis_state, analysis_attempts, analysis, created_at, updated_at)"
                            f" VALUES (:s, 'csat', 'email', {bad}, 'en', 0, 'pending', 0, '{{}}', :t, :t)"
                        ),
                        {"s": survey.id, "t": "2026-01-01 00:00:00"},
                    )
            except sa.exc.IntegrityError:
                continue
            raise AssertionError(f"CSAT score {bad} was accepted by the database")
