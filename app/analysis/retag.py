"""Backfill re-tags: after the taxonomy or the topic model changed, re-analyse history in batches.

One active run at a time. A new request while a run is active restarts it from the beginning (rows already
tagged by the current analyser are skipped cheaply). Progress is committed per batch with a
compare-and-set on ``updated_at``, so a restart that lands mid-batch is never overwritten, and a run cut
short by a crash resumes from ``last_response_id``.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app import queue
from app.analysis import suggestions
from app.analysis.pipeline import get_analyzer
from app.analysis.tagging import error_text, load_snapshots, tag_snapshots
from app.extensions import db
from app.models import AnalysisState, Response, RetagRun, RetagState, Setting, utcnow

log = logging.getLogger(__name__)

ACTIVE = (RetagState.QUEUED, RetagState.RUNNING)
MAX_RETAG_ATTEMPTS = 3
RETAG_JOB = "analysis.retag_history"
RETAG_BUDGET_SECONDS = 20  # one re-tag job's slice, so fresh responses are not stuck behind a backfill
RETAG_JOB_TIMEOUT = RETAG_BUDGET_SECONDS + 300


@dataclass(frozen=True)
class Step:
    """Where a run stands after a slice of work: ``done``, ``continue`` (at ``cursor``) or ``gone``."""

    status: str
    cursor: int = 0


def active_run() -> RetagRun | None:
    """The queued or running re-tag, if any."""
    return db.session.execute(
        sa.select(RetagRun).where(RetagRun.state.in_(ACTIVE)).order_by(RetagRun.id.desc()).limit(1)
    ).scalar_one_or_none()


def _scope() -> tuple[int, int]:
    """The newest response id now, and how many tagged responses a run up to it covers."""
    upto = db.session.execute(sa.select(sa.func.max(Response.id))).scalar() or 0
    total = db.session.execute(
        sa.select(sa.func.count(Response.id)).where(
            Response.id <= upto, Response.analysis_state == AnalysisState.DONE
        )
    ).scalar_one()
    return upto, total


def queue_retag(reason: str, actor_id: int | None = None) -> tuple[RetagRun, bool]:
    """Create a run, or restart the active one; the caller commits, then calls ``enqueue_retag`` if asked."""
    upto, total = _scope()
    run = active_run()
    if run is None:
        run = RetagRun(reason=reason[:200], state=RetagState.QUEUED, created_by_id=actor_id)
        db.session.add(run)
    elif reason not in run.reason:
        run.reason = f"{run.reason}; {reason}"[-200:]
    was_running = run.state == RetagState.RUNNING
    run.last_response_id, run.processed, run.total, run.upto_response_id = 0, 0, total, upto
    run.attempts, run.error, run.updated_at = 0, None, utcnow()
    db.session.flush()
    # A running job notices the restart at its next batch; a queued or new run needs a job.
    return run, not was_running


def _claim(run_id: int) -> RetagRun | None:
    """Load the run fresh, marking it running; None when it is finished or gone."""
    run = db.session.execute(
        sa.select(RetagRun).where(RetagRun.id == run_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if run is None or run.state not in ACTIVE:
        return None
    if run.state == RetagState.QUEUED:
        run.state, run.started_at, run.updated_at = RetagState.RUNNING, utcnow(), utcnow()
        db.session.commit()
    return run


def _next_ids(run: RetagRun, size: int) -> list[int]:
    """The next slice of tagged responses after the run's cursor."""
    return list(
        db.session.execute(
            sa.select(Response.id)
            .where(
                Response.id > run.last_response_id,
                Response.id <= (run.upto_response_id or 0),
                Response.analysis_state == AnalysisState.DONE,
            )
            .order_by(Response.id)
            .limit(size)
        ).scalars()
    )


def _advance(run_id: int, seen: object, values: dict) -> bool:
    """Compare-and-set the run's progress; False when a restart moved it meanwhile."""
    result = db.session.execute(
        sa.update(RetagRun)
        .where(RetagRun.id == run_id, RetagRun.updated_at == seen)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def run_retag(run_id: int, budget_seconds: float) -> Step:
    """Re-tag batches of the run until it is finished or the time budget is spent."""
    size = current_app.config["NLP_BATCH_SIZE"]
    deadline = time.monotonic() + budget_seconds
    while True:
        run = _claim(run_id)
        if run is None:
            return Step("gone")
        seen, ids = run.updated_at, _next_ids(run, size)
        if not ids:
            finished = {"state": RetagState.DONE, "finished_at": utcnow(), "processed": run.total}
            if _advance(run_id, seen, finished):
                return Step("done")
            continue
        analyzer = get_analyzer()
        tag_snapshots(analyzer, load_snapshots(ids, retag_version=analyzer.version), retag=True)
        moved = {"processed": RetagRun.processed + len(ids), "last_response_id": ids[-1], "attempts": 0}
        if not _advance(run_id, seen, moved):
            log.info("re-tag %s was restarted; continuing from its new cursor", run_id)
        if time.monotonic() >= deadline:
            return Step("continue", ids[-1])


def enqueue_retag(run_id: int, cursor: int = 0) -> bool:
    """Enqueue the re-tag slice that starts at ``cursor`` (deterministic id), unless it is already live."""
    return queue.enqueue_once(RETAG_JOB, run_id, job_id=f"retag-{run_id}-{cursor}")


def retag_slice(run_id: int) -> str:
    """The re-tag job: a slice of history, then the next slice enqueued (inline: the whole run at once)."""
    budget = math.inf if queue.jobs_inline() else RETAG_BUDGET_SECONDS
    step = run_retag(run_id, budget)
    if step.status == "continue":
        enqueue_retag(run_id, step.cursor)
    elif step.status == "done":
        suggestions.enqueue_refresh()
    return step.status


def charge_retag_failure(run_id: int, exc: BaseException) -> None:
    """A re-tag job raised (the failure handler): roll its work back, then count the failure."""
    db.session.rollback()
    record_retag_failure(run_id, error_text(exc))


def record_retag_failure(run_id: int, error: str) -> None:
    """A re-tag job failed: count it, and fail the run after the last attempt."""
    run = db.session.get(RetagRun, run_id)
    if run is None or run.state not in ACTIVE:
        return
    run.attempts = (run.attempts or 0) + 1
    run.error = error[:2000]
    if run.attempts >= MAX_RETAG_ATTEMPTS:
        run.state, run.finished_at = RetagState.FAILED, utcnow()
    db.session.commit()


def stale_runs(after_seconds: int) -> list[RetagRun]:
    """Active runs with no progress for ``after_seconds`` (their job was lost or its worker died)."""
    cutoff = utcnow() - timedelta(seconds=after_seconds)
    return list(
        db.session.execute(
            sa.select(RetagRun).where(
                RetagRun.state.in_(ACTIVE),
                sa.or_(RetagRun.updated_at.is_(None), RetagRun.updated_at < cutoff),
            )
        ).scalars()
    )


VERSION_KEY = "analysis.current_version"


def retag_if_analyzer_changed(version: str) -> RetagRun | None:
    """After an upgrade of the nlp code (or any other change of the analyser's version), re-tag history once.

    The version history was last brought up to is kept in a Setting, so the check is one key lookup; only
    when it differs do we look for rows tagged by another version. Taxonomy edits and training start
    their own runs; this catches what nobody asked for, e.g. a deploy with a better sentiment lexicon.
    The caller commits, then enqueues the returned run.
    """
    row = db.session.get(Setting, VERSION_KEY)
    if row is not None and row.value == version:
        return None
    if active_run() is not None:
        return None  # the running backfill brings rows to the current version; check again after it
    outdated = db.session.execute(
        sa.select(Response.id)
        .where(Response.analysis_state == AnalysisState.DONE, Response.analyzer_version != version)
        .limit(1)
    ).first()
    if row is None:
        row = Setting(key=VERSION_KEY, value=version)
        db.session.add(row)
    row.value = version
    if outdated is None:
        return None
    run, _ = queue_retag(f"analyser changed to {version}"[:200])
    return run
