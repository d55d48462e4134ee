"""``flask demo seed`` and ``flask demo login``: the commands `make run` relies on."""

from __future__ import annotations

import stat
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import Account, HealthSnapshot, Response


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_seed_then_login_then_if_empty(fresh_app, monkeypatch):
    from app import queue

    queued = []
    monkeypatch.setattr(queue, "enqueue", lambda name, *a, **k: queued.append((name, queue.spec(name).queue)))
    app = fresh_app()
    result = run(app, "demo", "seed", "--seed", "5")
    assert result.exit_code == 0, result.output
    assert "Demo data (seed 5) created" in result.output and "50 accounts" in result.output
    assert queued == [
        ("analysis.sweep_pending_analysis", "nlp")
    ]  # the tagger is asked to pick the comments up
    password = result.output.split("with password ")[1].split()[0]
    # the health pages have a history at once: a snapshot per live account each week for 26 weeks and today
    assert "Account health:" in result.output and "over 26 weeks" in result.output
    with app.app_context():
        days = db.session.execute(sa.select(sa.func.count(sa.distinct(HealthSnapshot.as_of)))).scalar_one()
        live = db.session.execute(
            sa.select(sa.func.count()).select_from(Account).where(Account.churned_on.is_(None))
        ).scalar_one()
        latest = db.session.execute(sa.select(sa.func.max(HealthSnapshot.as_of))).scalar_one()
        today = db.session.execute(
            sa.select(sa.func.count()).select_from(HealthSnapshot).where(HealthSnapshot.as_of == latest)
        ).scalar_one()
    assert days == 27 and today == live

    path = Path(app.instance_path) / "demo-login.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == f"email: admin@clearloop.example\npassword: {password}\n"
    login = run(app, "demo", "login")
    assert (
        login.exit_code == 0
        and login.output.strip() == f"Demo admin login: admin@clearloop.example / {password}"
    )

    with app.app_context():
        before = db.session.execute(sa.select(sa.func.count()).select_from(Response)).scalar_one()
    again = run(app, "demo", "seed", "--if-empty")
    assert again.exit_code == 0 and "already has data; demo seeding skipped" in again.output
    refused = run(app, "demo", "seed")
    assert refused.exit_code == 1 and "The database is not empty" in refused.output
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Response)).scalar_one() == before


def test_if_empty_seeds_an_empty_database_and_skip_analysis_leaves_comments_pending(fresh_app, monkeypatch):
    from app import queue

    monkeypatch.setattr(
        queue, "enqueue", lambda *a, **k: (_ for _ in ()).throw(AssertionError("must not enqueue"))
    )
    app = fresh_app()
    result = run(app, "demo", "seed", "--if-empty", "--skip-analysis")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Account)).scalar_one() == 50


def test_a_database_with_real_data_is_refused(fresh_app):
    app = fresh_app()
    with app.app_context():
        db.session.add(Account(name="A real customer"))
        db.session.commit()
    result = run(app, "demo", "seed")
    assert result.exit_code == 1 and "--if-empty" in result.output
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Account)).scalar_one() == 1


def test_login_without_a_seed_says_so(fresh_app):
    result = run(fresh_app(), "demo", "login")
    assert result.exit_code == 0 and "No demo login saved here" in result.output


def test_login_file_permissions_are_tightened(fresh_app):
    from app.demo.login import write_login

    app = fresh_app()
    path = Path(app.instance_path) / "demo-login.txt"
    path.write_text("old")
    path.chmod(0o644)
    with app.app_context():
        write_login("a@b", "pw")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == "email: a@b\npassword: pw\n"


def test_seeded_comments_are_tagged_when_the_tagger_is_installed(fresh_app):
    """The real hook: inline jobs (no Redis) tag every seeded comment before the command returns."""
    import pytest

    pytest.importorskip("app.tasks.analysis")
    app = fresh_app()
    result = run(app, "demo", "seed")
    assert result.exit_code == 0, result.output
    with app.app_context():
        states = dict(
            db.session.execute(
                sa.select(Response.analysis_state, sa.func.count()).group_by(Response.analysis_state)
            ).all()
        )
    assert "pending" not in {s.value for s in states} and states
    # Product teams of the demo's PMs, with last week's digest already in their inbox.
    assert "3 product teams created" in result.output
    with app.app_context():
        from app.models import Digest, OutboxMessage, Team

        assert db.session.execute(sa.select(sa.func.count()).select_from(Team)).scalar_one() == 3
        assert {d.state.value for d in db.session.execute(sa.select(Digest)).scalars()} == {"sent"}
        digests = sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "digest")
        assert db.session.execute(digests).scalar_one() == 6  # two PMs, three teams
        # a new user's at-risk views are not empty: the declining accounts, at renewal, are at risk today
        latest = sa.select(sa.func.max(HealthSnapshot.as_of)).scalar_subquery()
        bands = db.session.execute(
            sa.select(Account.lifecycle_stage, HealthSnapshot.score)
            .join(HealthSnapshot, HealthSnapshot.account_id == Account.id)
            .where(HealthSnapshot.as_of == latest, HealthSnapshot.band == "at_risk")
        ).all()
    assert len(bands) >= 3 and {stage.value for stage, _ in bands} == {"at_risk"}, bands
