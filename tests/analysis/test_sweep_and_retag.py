"""The sweeper re-enqueues what was never tagged (decided from the database, once per sweep age); re-tags
show progress and resume."""

from __future__ import annotations

import fakeredis
import pytest
import sqlalchemy as sa
from rq import Queue

from app import queue
from app.analysis import retag as retag_module
from app.analysis import services
from app.analysis.editing import TopicInput, create_topic
from app.analysis.pipeline import get_analyzer
from app.analysis.retag import VERSION_KEY, run_retag
from app.extensions import db
from app.models import AnalysisState, Mention, Response, RetagRun, RetagState, Setting
from app.tasks import analysis as jobs
from tests.analysis.conftest import add_responses, backdate, mentions_of, state_of, topic_id


def test_the_sweeper_takes_stale_pending_not_fresh_nor_failed(ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "NLP_JOB_SIZE", 1)  # one bucket per response: each is judged alone
    stale, fresh, failed = add_responses("Invoices are wrong", "Support is slow", "Billing is fine")
    backdate([stale, failed])
    db.session.execute(
        sa.update(Response).where(Response.id == failed).values(analysis_state=AnalysisState.FAILED)
    )
    db.session.commit()
    result = jobs.sweep_pending_analysis()
    assert result["pending"] == 1 and result["enqueued"] == 1
    assert state_of(stale).analysis_state == AnalysisState.DONE
    assert state_of(fresh).analysis_state == AnalysisState.PENDING
    assert state_of(failed).analysis_state == AnalysisState.FAILED


def test_a_sweep_trusts_the_database_not_a_stranded_job_hash(ctx):
    """Issue 17 §2: after a SIGKILL a job hash can say ``queued`` while the job is in no queue; the sweeper
    must re-enqueue stale pending rows whatever Redis says."""
    from rq.job import Job, JobStatus

    ids = add_responses("Invoices are wrong", "Support is slow")
    backdate(ids)
    size = ctx.config["NLP_JOB_SIZE"]
    bucket = ids[0] // size
    conn = ctx.extensions["clearloop.redis"]
    for slot in ("a", "b"):
        stranded = Job.create(
            jobs.analyze_responses, args=(ids,), id=f"analysis-{size}-{bucket}-{slot}", connection=conn
        )
        stranded.set_status(JobStatus.QUEUED)
        stranded.save()
    result = jobs.sweep_pending_analysis()
    assert result["pending"] == 2 and result["enqueued"] == 1
    assert all(state_of(i).analysis_state == AnalysisState.DONE for i in ids)


def test_a_sweep_hands_off_once_per_sweep_age_not_once_per_sweep(ctx, monkeypatch):
    ids = add_responses("Invoices are wrong", "Support is slow")
    backdate(ids)
    handed: list[list[int]] = []
    monkeypatch.setattr(queue, "enqueue", lambda name, *args, **kw: handed.append(args[0]) or True)
    assert jobs.sweep_pending_analysis()["enqueued"] == 1
    assert jobs.sweep_pending_analysis()["pending"] == 0  # its clock restarted: the new job has time to run
    assert handed == [ids]
    assert all(state_of(i).analysis_state == AnalysisState.PENDING for i in ids)


def test_a_sweep_that_cannot_enqueue_leaves_the_rows_stale_for_the_next(ctx, monkeypatch):
    ids = add_responses("Invoices are wrong")
    backdate(ids)
    monkeypatch.setattr(queue, "enqueue", lambda *args, **kw: False)  # Redis down
    assert jobs.sweep_pending_analysis()["enqueued"] == 0
    assert jobs.sweep_pending_analysis()["pending"] == 1


def test_job_liveness_follows_the_job_status(ctx):
    conn = ctx.extensions["clearloop.redis"]
    assert isinstance(conn, fakeredis.FakeRedis)
    assert not queue.job_is_live("no-such-job", 300)
    job = Queue("nlp", connection=conn, is_async=True).enqueue(print, job_id="live-test")
    assert queue.job_is_live("live-test", 300)
    job.set_status("finished")
    assert not queue.job_is_live("live-test", 300)


def _retag_world(n: int = 10) -> list[int]:
    ids = add_responses(*[f"The invoices are wrong and quokka mode is slow #{i}" for i in range(n)])
    jobs.analyze_responses(ids)
    return ids


def test_a_taxonomy_edit_re_tags_history_with_progress(ctx):
    ids = _retag_world()
    before = {rid: mentions_of(rid) for rid in ids}
    create_topic(TopicInput(name="Quokka mode", phrases=["quokka mode"]), actor_id=None)  # inline re-tag
    run = db.session.execute(sa.select(RetagRun).order_by(RetagRun.id.desc())).scalars().first()
    assert run.state == RetagState.DONE
    assert run.processed == run.total == len(ids)
    assert run.last_response_id == ids[-1]
    new = topic_id("quokka-mode")
    for rid in ids:
        after = mentions_of(rid)
        assert [m for m in after if m[0] == new], "history was not re-tagged with the new topic"
        assert set(before[rid]) <= set(after)
        assert state_of(rid).analyzer_version == get_analyzer().version


def test_a_re_tag_cut_short_resumes_where_it_stopped_and_tags_once(ctx, monkeypatch):
    ctx.config["NLP_BATCH_SIZE"] = 4
    try:
        ids = _retag_world(10)
        create = TopicInput(name="Quokka mode", phrases=["quokka mode"])
        calls = {"n": 0}
        real = retag_module.run_retag

        def crash_after_first_batch(run_id, budget):
            import app.analysis.retag as retag

            original = retag.tag_snapshots

            def tag_then_crash(*args, **kwargs):
                calls["n"] += 1
                if calls["n"] == 2:
                    raise ConnectionError("worker lost")
                return original(*args, **kwargs)

            monkeypatch.setattr(retag, "tag_snapshots", tag_then_crash)
            return real(run_id, budget)

        monkeypatch.setattr(retag_module, "run_retag", crash_after_first_batch)
        create_topic(create, actor_id=None)  # the inline re-tag dies in its second batch
        run = db.session.execute(sa.select(RetagRun).order_by(RetagRun.id.desc())).scalars().first()
        db.session.refresh(run)
        assert run.state == RetagState.RUNNING
        assert (run.processed, run.last_response_id, run.attempts) == (4, ids[3], 1)
        assert "worker lost" in run.error

        monkeypatch.setattr(retag_module, "run_retag", real)
        db.session.execute(sa.update(RetagRun).values(updated_at=run.updated_at.replace(year=2000)))
        db.session.commit()
        assert jobs.sweep_pending_analysis()["retags_resumed"] == 1
        db.session.refresh(run)
        assert (run.state, run.processed, run.total) == (RetagState.DONE, 10, 10)
        new = topic_id("quokka-mode")
        counts = db.session.execute(
            sa.select(Mention.response_id, sa.func.count())
            .where(Mention.topic_id == new)
            .group_by(Mention.response_id)
        ).all()
        assert sorted(counts) == [(rid, 1) for rid in ids]
    finally:
        ctx.config["NLP_BATCH_SIZE"] = 64


def test_a_restart_during_a_run_starts_over_and_skips_what_is_current(ctx):
    ids = _retag_world(6)
    run = services.start_retag("first")
    assert run.state == RetagState.DONE
    again = services.start_retag("nothing changed")
    assert again.id != run.id  # the old run was finished: a new one
    assert again.state == RetagState.DONE and again.processed == 6
    # Everything was already tagged by the current analyser: no row was rewritten.
    assert len({state_of(i).analyzed_at for i in ids}) == 1


def test_a_restart_while_running_resets_the_cursor(ctx):
    _retag_world(3)
    run = RetagRun(reason="x", state=RetagState.RUNNING, total=3, processed=2, last_response_id=99)
    db.session.add(run)
    db.session.commit()
    from app.analysis.retag import queue_retag

    same, needs_job = queue_retag("taxonomy: edited", None)
    assert same.id == run.id and not needs_job  # the running job picks the restart up itself
    assert (same.last_response_id, same.processed, same.total) == (0, 0, 3)
    assert "taxonomy: edited" in same.reason
    db.session.commit()
    assert run_retag(run.id, budget_seconds=60).status == "done"


def test_a_failing_re_tag_fails_after_its_attempts(ctx):
    from app.analysis.retag import MAX_RETAG_ATTEMPTS, record_retag_failure

    run = RetagRun(reason="x", state=RetagState.RUNNING)
    db.session.add(run)
    db.session.commit()
    for _ in range(MAX_RETAG_ATTEMPTS):
        record_retag_failure(run.id, "boom")
    db.session.refresh(run)
    assert run.state == RetagState.FAILED and run.error == "boom" and run.finished_at


@pytest.mark.parametrize("state", [RetagState.DONE, RetagState.FAILED])
def test_finished_runs_are_not_resumed(ctx, state):
    run = RetagRun(reason="x", state=state)
    db.session.add(run)
    db.session.commit()
    assert jobs.sweep_pending_analysis()["retags_resumed"] == 0
    assert run_retag(run.id, 10).status == "gone"


def test_an_upgraded_analyser_re_tags_history_once(ctx):
    ids = add_responses("Invoices are wrong every month", "Support answered fast")
    services.tag_all_pending()
    current = get_analyzer().version
    assert jobs.sweep_pending_analysis()["retag_started"] is False  # history is already current
    # Pretend the rows were tagged by an older release of the nlp code.
    db.session.execute(sa.update(Response).where(Response.id.in_(ids)).values(analyzer_version="nlp/0.9"))
    db.session.execute(sa.update(Setting).where(Setting.key == VERSION_KEY).values(value="nlp/0.9"))
    db.session.commit()
    assert jobs.sweep_pending_analysis()["retag_started"] is True
    run = db.session.execute(sa.select(RetagRun).order_by(RetagRun.id.desc())).scalars().first()
    assert run.state == RetagState.DONE and "analyser changed" in run.reason  # inline: ran at once
    versions = db.session.execute(sa.select(Response.analyzer_version).where(Response.id.in_(ids))).scalars()
    assert set(versions) == {current}
    assert jobs.sweep_pending_analysis()["retag_started"] is False  # once per version


def test_a_fresh_install_records_the_version_without_a_run(ctx):
    assert db.session.get(Setting, VERSION_KEY) is None
    assert jobs.sweep_pending_analysis()["retag_started"] is False
    assert db.session.get(Setting, VERSION_KEY).value == get_analyzer().version
    assert db.session.execute(sa.select(sa.func.count(RetagRun.id))).scalar_one() == 0
