"""The core plumbing: configuration from the environment, jobs when Redis is unreachable, a database
outage as a 503, the periodic-job commands and the ``rq cron`` configuration."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import fakeredis
import pytest
import redis
import sqlalchemy as sa
from rq import Queue
from rq.cron import CronScheduler

from app import create_app
from app.config import load_config
from app.extensions import db
from app.models import AnalysisState, Response, utcnow
from app.queue import check_redis_durability, periodic_tasks
from tests.conftest import test_config as config_for_tests
from tests.factories import make_invitation, make_response, make_survey
from tests.surveys.util import answer

ROOT = Path(__file__).resolve().parents[1]


# --- configuration -------------------------------------------------------------------------------


def test_no_settings_means_the_embedded_defaults(tmp_path):
    config = load_config({"CLEARLOOP_INSTANCE": str(tmp_path)})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'clearloop.db'}"
    assert config["REDIS_URL"] == "" and config["MAIL_TRANSPORT"] == "outbox"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["SESSION_COOKIE_SECURE"] is False
    # a development secret is made once and kept private in instance/, so sessions survive restarts
    secret = config["SECRET_KEY"]
    assert len(secret) >= 40 and load_config({"CLEARLOOP_INSTANCE": str(tmp_path)})["SECRET_KEY"] == secret
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o777 == 0o600


def test_production_settings_switch_the_parts(tmp_path):
    config = load_config(
        {
            "CLEARLOOP_INSTANCE": str(tmp_path),
            "CLEARLOOP_ENV": "production",
            "SECRET_KEY": "s3cret",
            "DATABASE_URL": "postgres://app@db.internal:5432/clearloop",
            "REDIS_URL": "redis://cache.internal:6379/0",
            "SMTP_HOST": "smtp.example.com",
            "MAIL_RETRY_DELAYS": "1, 5,20",
        }
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://app@db.internal:5432/clearloop"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/0"
    assert config["MAIL_TRANSPORT"] == "smtp" and config["SMTP_STARTTLS"] is True
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["MAIL_RETRY_DELAYS"] == (1, 5, 20)
    assert not (tmp_path / "dev-secret-key").exists()


def test_production_without_a_secret_refuses_to_start(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        load_config({"CLEARLOOP_INSTANCE": str(tmp_path), "CLEARLOOP_ENV": "production"})


@pytest.mark.parametrize(
    ("name", "value"),
    [("SMTP_PORT", "twenty-five"), ("MAX_UPLOAD_MB", "1.5"), ("MAIL_RETRY_DELAYS", "2,ten")],
)
def test_a_malformed_number_names_the_setting(tmp_path, name, value):
    with pytest.raises(RuntimeError, match=f"{name} must be"):
        load_config({"CLEARLOOP_INSTANCE": str(tmp_path), "SECRET_KEY": "x", name: value})


# --- Redis unreachable ---------------------------------------------------------------------------


@pytest.fixture
def unreachable_redis(app, monkeypatch):
    """Point the app's queues at a real Redis client whose server refuses connections."""
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(
        app.extensions,
        "clearloop.redis",
        redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1),
    )


def test_an_answer_is_saved_when_redis_is_unreachable_and_the_sweeper_tags_it_later(
    app, client, unreachable_redis, monkeypatch
):
    with app.app_context():
        _, token = make_invitation(make_survey("nps"))
        db.session.commit()
    resp = answer(client, token, 3, comment="Invoices are wrong every month")
    assert resp.status_code == 200
    with app.app_context():
        row = db.session.execute(sa.select(Response)).scalar_one()
        assert (row.score, row.analysis_state) == (3, AnalysisState.PENDING)
        row.analysis_requested_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    # Redis is back (the embedded inline queue here): the periodic sweep tags what was left pending
    monkeypatch.setitem(app.config, "JOBS_INLINE", True)
    monkeypatch.setitem(app.extensions, "clearloop.redis", fakeredis.FakeRedis())
    result = app.test_cli_runner().invoke(args=["jobs", "tick"])
    assert result.exit_code == 0, result.output
    assert "ran app.tasks.analysis.sweep_pending_analysis" in result.output
    with app.app_context():
        row = db.session.execute(sa.select(Response).execution_options(populate_existing=True)).scalar_one()
        assert row.analysis_state == AnalysisState.DONE
        assert row.sentiment_label == "negative"


def test_redis_durability_warnings(redis_url):
    conn = redis.Redis.from_url(redis_url)
    appendonly = conn.config_get("appendonly")["appendonly"]
    warnings = check_redis_durability(conn)
    assert any("appendonly is off" in w for w in warnings) == (appendonly != "yes")
    refused = check_redis_durability(redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1))
    assert len(refused) == 1 and "could not read Redis configuration" in refused[0]


# --- the database unreachable --------------------------------------------------------------------


def test_an_unreachable_database_is_a_503_with_retry_after_never_a_500(database_uri):
    down = create_app(
        {
            **config_for_tests(database_uri),
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        }
    )
    down.testing = False  # production error handling
    c = down.test_client()
    for path, accept in [("/healthz", "application/json"), ("/r/" + "A" * 43 + "/s/9", "text/html")]:
        resp = c.get(path, headers={"Accept": accept})
        assert resp.status_code == 503, path
        assert resp.headers["Retry-After"] == "5"
        body = resp.get_data(as_text=True)
        assert "Traceback" not in body and "psycopg" not in body
        assert "try again in a few seconds" in body


# --- periodic jobs -------------------------------------------------------------------------------


def test_the_scheduler_runs_every_periodic_job_once(app):
    with app.app_context():
        stale = make_response(make_survey("csat"), score=5, comment="Support was quick and kind")
        stale.analysis_requested_at = utcnow() - timedelta(hours=1)
        db.session.commit()
        stale_id = stale.id
    result = app.test_cli_runner().invoke(args=["jobs", "scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert f"scheduler: {len(periodic_tasks())} periodic jobs; inline=True" in result.output
    with app.app_context():
        assert db.session.get(Response, stale_id).analysis_state == AnalysisState.DONE
    status = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert status.exit_code == 0 and "nlp: queued=0 failed=0" in status.output


def test_rq_cron_registers_every_periodic_job():
    conn = fakeredis.FakeRedis()
    scheduler = CronScheduler(connection=conn)
    scheduler.load_config_from_file(str(ROOT / "app" / "cron.py"))
    registered = {(j.name, j.queue_name, j.interval) for j in scheduler.get_jobs()}
    periodic = periodic_tasks()
    assert registered == {(p.path, p.queue, p.every) for p in periodic}
    scheduler.enqueue_jobs()
    queues = {p.queue for p in periodic}
    queued = {name: Queue(name, connection=conn).count for name in queues}
    assert queued == {name: sum(p.queue == name for p in periodic) for name in queues}


def test_links_point_at_the_served_port_in_development(tmp_path):
    # Issue 12 item 3: `PORT=5101 make run` serves on 5101, so emails and public links must point there.
    base = {"CLEARLOOP_INSTANCE": str(tmp_path)}
    assert load_config(base)["BASE_URL"] == "http://127.0.0.1:5000"
    assert load_config(base | {"PORT": "5101"})["BASE_URL"] == "http://127.0.0.1:5101"
    wildcard = {"PORT": "5101", "HOST": "0.0.0.0"}  # noqa: S104
    assert load_config(base | wildcard)["BASE_URL"] == "http://127.0.0.1:5101"
    assert (
        load_config(base | {"PORT": "8000", "HOST": "devbox.local"})["BASE_URL"] == "http://devbox.local:8000"
    )
    assert load_config(base | {"PORT": "5101", "BASE_URL": "https://nps.acme.example/"})["BASE_URL"] == (
        "https://nps.acme.example"
    )
    with pytest.raises(RuntimeError, match="PORT"):
        load_config(base | {"PORT": "fifty"})


def test_a_job_deleted_between_its_fetch_and_its_status_read_counts_as_gone(app, monkeypatch):
    """Two web workers share a coalesced slot: one may delete a finished job while the other reads its
    status, or discards it too. RQ then raises InvalidJobOperation; the queue must treat the job as gone
    (two CI runs had a 500: first at the status read, then at the discard)."""
    from rq.job import Job

    from app import queue

    with app.app_context():
        conn = queue.redis_connection()
        job = Job.create(func=print, id="gone-between-reads", connection=conn)
        job.save()
        fetched = Job.fetch("gone-between-reads", connection=conn)
        job.delete()  # the other worker's _discard, after this one's fetch
        monkeypatch.setattr(Job, "fetch", classmethod(lambda cls, job_id, connection=None: fetched))
        assert queue._status("gone-between-reads") is None
        assert queue.job_is_live("gone-between-reads", 60) is False
        queue._discard("gone-between-reads")  # both discard the finished slot: the second finds it gone


def test_job_statuses_read_in_one_round_trip_agree_with_rq(app):
    """``enqueue_coalesced`` asks whether a slot's job waits on every answer: one pipelined read of the
    status fields must say what RQ's own ``get_status`` says, and None for a job that does not exist."""
    from rq.job import Job, JobStatus

    from app import queue

    with app.app_context():
        conn = queue.redis_connection()
        waiting = Job.create(func=print, id="statuses-waiting", connection=conn)
        waiting.save()
        waiting.set_status(JobStatus.QUEUED)
        started = Job.create(func=print, id="statuses-started", connection=conn)
        started.save()
        started.set_status(JobStatus.STARTED)
        ids = ["statuses-waiting", "statuses-started", "statuses-missing"]
        try:
            assert queue._statuses(ids) == [JobStatus.QUEUED, JobStatus.STARTED, None]
            assert [queue._status(i) for i in ids] == [JobStatus.QUEUED, JobStatus.STARTED, None]
            assert Job.fetch("statuses-started", connection=conn).get_status() == JobStatus.STARTED
            conn.hset(Job.key_for("statuses-odd"), "status", "not-an-rq-status")
            assert queue._statuses(["statuses-odd"]) == [None]
        finally:
            waiting.delete()
            started.delete()
            conn.delete(Job.key_for("statuses-odd"))
