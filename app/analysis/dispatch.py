"""A response's way to its tags: asked for (state ``pending``, or ``skipped`` without a comment), enqueued
after commit in buckets, tagged by the job, swept when the job was lost, failed after MAX_ATTEMPTS.

This module is the one owner of a response's analysis state before tagging; ``tagging.py`` writes the
results. Failures are retried with backoff; a comment that keeps failing is counted in
``analysis_attempts`` and marked failed at ``MAX_ATTEMPTS``, so neither RQ nor the sweeper loops on it.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app import queue
from app.analysis import retag
from app.analysis.pipeline import get_analyzer
from app.analysis.tagging import (
    BatchResult,
    BatchWriter,
    Snapshot,
    analyse_snapshots,
    can_write_aside,
    charge_failure,
    error_text,
    load_snapshots,
)
from app.extensions import db
from app.models import AnalysisState, Response, utcnow
from nlp import Analyzer

log = logging.getLogger(__name__)

TAG_JOB = "analysis.analyze_responses"
JOB_TIMEOUT = 300  # seconds; a job of NLP_JOB_SIZE (2048) comments takes about a second
RETRY_INTERVALS = (10, 60)  # two retries: with the first run, MAX_ATTEMPTS tries in all
FOLLOWUP_JOB = "followups.apply_rules"
SWEEP_LIMIT = 10_000  # pending responses one sweep re-enqueues at most


class PoisonComments(RuntimeError):
    """Some comments made the analyser raise; their attempts are already counted, the rest is tagged."""


def _batch_size() -> int:
    """Texts per analyse call and per write transaction."""
    return int(current_app.config["NLP_BATCH_SIZE"])


def job_size() -> int:
    """Response ids per tagging job: the coalescing bucket of ``enqueue_tagging`` and of the sweeper."""
    return int(current_app.config["NLP_JOB_SIZE"])


def mark_pending(response: Response) -> None:
    """Ask for (re-)analysis of a comment with fresh attempts; the caller commits, then enqueues."""
    response.analysis_state = AnalysisState.PENDING
    response.analysis_requested_at = utcnow()
    response.analysis_attempts = 0
    response.analysis_error = None


def request_analysis(response: Response) -> None:
    """A new or changed answer waits for tagging; without a comment there is nothing to tag (``skipped``)."""
    if response.comment:
        mark_pending(response)
    else:
        response.analysis_state = AnalysisState.SKIPPED
        response.analysis_requested_at = None


def analysis_columns(comment: str | None, now: datetime) -> dict[str, Any]:
    """``request_analysis`` as column values, for a response inserted by a Core statement."""
    if comment:
        return {
            "analysis_state": AnalysisState.PENDING,
            "analysis_requested_at": now,
            "analysis_attempts": 0,
            "analysis_error": None,
        }
    return {
        "analysis_state": AnalysisState.SKIPPED,
        "analysis_requested_at": None,
        "analysis_attempts": 0,
        "analysis_error": None,
    }


def initial_state(comment: str | None) -> AnalysisState:
    """The analysis state a response inserted in bulk starts in (the demo seed)."""
    return AnalysisState.PENDING if comment else AnalysisState.SKIPPED


def enqueue_tagging(response_ids: list[int]) -> None:
    """Enqueue tagging of committed responses, best effort: if Redis is down they wait for the sweeper.

    One job per bucket of NLP_JOB_SIZE ids, shared with any job of that bucket still waiting in the
    queue: a burst of answers becomes a few batched jobs, not one forked job per answer.
    """
    size = job_size()
    for bucket in sorted({int(i) // size for i in response_ids}):
        _enqueue_bucket(bucket, size)


def _enqueue_bucket(bucket: int, size: int) -> bool:
    """Tag the pending responses whose ids fall in this bucket (the job reads its rows when it starts)."""
    ids = list(range(bucket * size, (bucket + 1) * size))
    return queue.enqueue_coalesced(TAG_JOB, ids, key=f"analysis-{size}-{bucket}")


def tag_ids(response_ids: list[int]) -> BatchResult:
    """Tag the pending responses among these, one transaction per batch (the body of the job).

    The job reads all its rows first (one statement: a bucket of a sparse burst is one short batch, not
    NLP_JOB_SIZE / NLP_BATCH_SIZE reads of mostly nothing), so no read ever waits for a batch's write lock
    (SQLite) or sees a batch half-written. Batch k's write then runs aside (``BatchWriter``) while batch
    k+1 is analysed; the job returns once every batch is committed.
    """
    ids = sorted({int(i) for i in response_ids})
    if not ids:
        return BatchResult()
    analyzer, snapshots = _read_rows(ids)
    size = _batch_size()
    batches = [snapshots[start : start + size] for start in range(0, len(snapshots), size)]
    total = BatchResult()
    writer = BatchWriter(aside=len(batches) > 1 and can_write_aside())
    with _switch_interval(writer.aside):
        try:
            for batch in batches:  # one analyser per job: the worker refreshes it between jobs
                results = analyse_snapshots(analyzer, batch)
                _add(total, writer.wait())  # batch k-1 is committed
                writer.submit(analyzer.version, batch, results)
            _add(total, writer.wait())
        except BaseException:
            writer.close()
            raise
    if total.failed:
        log.warning("tagging failed for responses %s", sorted(total.failed))
    return total


@contextlib.contextmanager
def _switch_interval(aside: bool) -> Iterator[None]:
    """While batches are written aside, a shorter GIL switch interval (``NLP_WRITE_SWITCH_US``): the writer
    thread takes the GIL back after each statement (a round trip to PostgreSQL, SQLite's work), and with
    Python's 5 ms it waited up to that long each time while the analysing thread computed (a convoy).
    The interpreter's interval is restored afterwards."""
    micros = int(current_app.config.get("NLP_WRITE_SWITCH_US", 0))
    if not aside or micros <= 0:
        yield
        return
    before = sys.getswitchinterval()
    sys.setswitchinterval(micros / 1e6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _add(total: BatchResult, outcome: BatchResult | None) -> None:
    if outcome is not None:
        total.add(outcome)


def _read_rows(ids: list[int]) -> tuple[Analyzer, list[Snapshot]]:
    """The analyser and the snapshots of these rows still to tag; rows that failed before are handed to
    jobs of their own."""
    analyzer = get_analyzer()  # first: the snapshot read then ends the transaction before analysis
    snapshots = load_snapshots(ids)
    suspects = [s for s in snapshots if s.attempts > 0]
    if len(snapshots) > 1 and suspects:
        # They failed before (perhaps a timeout that took the whole batch down): each gets its own job,
        # so an innocent neighbour is never failed with the culprit.
        for snap in suspects:
            queue.enqueue_once(TAG_JOB, [snap.id], job_id=f"analysis-one-{snap.id}")
        snapshots = [s for s in snapshots if s.attempts == 0]
    return analyzer, snapshots


def tag_responses(response_ids: list[int]) -> dict[str, int]:
    """Tag the pending responses among these; raise PoisonComments (so the job retries) if some raised."""
    result = tag_ids(response_ids)
    settled = result.done + result.skipped + list(result.failed)
    if settled:  # closing the loop: follow-up rules read the analysis (committed by now)
        queue.enqueue(FOLLOWUP_JOB, sorted(settled))
    if result.retry:
        raise PoisonComments(f"analysis raised for responses {sorted(result.retry)}; will retry")
    return result.counts()


def charge_tagging_failure(response_ids: list[int], exc: BaseException) -> None:
    """A tagging job died (timeout, database error): count an attempt on its rows; fail them at the cap."""
    if isinstance(exc, PoisonComments):
        return  # the job counted those attempts itself, in its own transaction
    db.session.rollback()
    charge_failure([int(i) for i in response_ids], error_text(exc))


def _stale_pending(after: int) -> list[int]:
    """Pending responses whose request is older than ``after`` seconds (their job was lost)."""
    cutoff = utcnow() - timedelta(seconds=after)
    ids = list(
        db.session.execute(
            sa.select(Response.id)
            .where(
                Response.analysis_state == AnalysisState.PENDING,
                sa.or_(Response.analysis_requested_at.is_(None), Response.analysis_requested_at < cutoff),
            )
            .order_by(Response.id)
            .limit(SWEEP_LIMIT)
        ).scalars()
    )
    db.session.commit()
    return ids


def _hand_off_again(ids: list[int]) -> bool:
    """Enqueue a fresh job for these stale rows, whatever Redis says about an earlier job, and restart their
    clock only if that worked: the database decides (a job hash can say ``queued`` for a job that is in no
    queue after a SIGKILL). Tagging only takes rows still pending, under a row lock, so a second job for a
    row is harmless (no double tags)."""
    if not queue.enqueue(TAG_JOB, ids):
        return False
    db.session.execute(
        sa.update(Response)
        .where(Response.id.in_(ids), Response.analysis_state == AnalysisState.PENDING)
        .values(analysis_requested_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return True


def catch_up_tagging() -> dict[str, Any]:
    """Re-enqueue responses pending longer than SWEEP_AFTER_SECONDS, and resume stalled re-tags."""
    after = int(current_app.config["SWEEP_AFTER_SECONDS"])
    ids = _stale_pending(after)
    size = job_size()
    buckets: dict[int, list[int]] = {}
    for i in ids:
        buckets.setdefault(i // size, []).append(i)
    enqueued = sum(_hand_off_again(bucket_ids) for _, bucket_ids in sorted(buckets.items()))
    resumed = 0
    for run in retag.stale_runs(after):
        resumed += retag.enqueue_retag(run.id, run.last_response_id)
    upgrade = retag.retag_if_analyzer_changed(get_analyzer().version)
    db.session.commit()
    if upgrade is not None:
        log.info("the analyser changed since history was tagged: re-tag run %d started", upgrade.id)
        retag.enqueue_retag(upgrade.id)
    if ids or resumed:
        log.info("sweep: %d stale pending, %d jobs enqueued, %d re-tags resumed", len(ids), enqueued, resumed)
    return {
        "pending": len(ids),
        "enqueued": enqueued,
        "retags_resumed": resumed,
        "retag_started": upgrade is not None,
    }
