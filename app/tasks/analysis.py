"""Tagging jobs on the "nlp" queue: tag responses, sweep what was never tagged, re-tag history.

Every job is idempotent. Failures are retried with backoff (``Retry``); a comment that keeps failing is
counted in ``analysis_attempts`` and marked failed at ``MAX_ATTEMPTS``, so neither RQ nor the sweeper
loops on it. Jobs enqueued by the sweeper carry deterministic ids, so sweeps never pile up duplicates.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from rq import Callback, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from app.analysis.pipeline import get_analyzer
from app.analysis.retag import (
    Step,
    record_retag_failure,
    retag_if_analyzer_changed,
    run_retag,
    stale_runs,
)
from app.analysis.tagging import (
    MAX_ATTEMPTS,
    Outcome,
    charge_failure,
    describe,
    load_snapshots,
    tag_snapshots,
)
from app.extensions import db
from app.jobs import enqueue, redis_connection
from app.models import AnalysisState, Response, utcnow
from app.tasks import task

__all__ = [
    "analyze_responses",
    "get_analyzer",
    "refresh_topic_suggestions",
    "retag_history",
    "sweep_pending_analysis",
]

log = logging.getLogger(__name__)

QUEUE = "nlp"
JOB_TIMEOUT = 300  # seconds; a batch of 64 comments takes well under one
RETAG_BUDGET_SECONDS = 20  # one re-tag job's slice, so fresh responses are not stuck behind a backfill
SWEEP_LIMIT = 10_000  # pending responses one sweep re-enqueues at most
SUGGESTIONS_JOB = "topic-suggestions"
WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.CREATED}


class PoisonComments(RuntimeError):
    """Some comments made the analyser raise; their attempts are already counted, the rest is tagged."""


def retry_policy() -> Retry:
    """Two retries with backoff: with the first run, MAX_ATTEMPTS tries in all."""
    return Retry(max=MAX_ATTEMPTS - 1, interval=[10, 60])


def _batch_size() -> int:
    return int(current_app.config["NLP_BATCH_SIZE"])


def tag_ids(response_ids: list[int]) -> Outcome:
    """Tag the pending responses among these, one transaction per batch (the body of the job)."""
    ids = sorted({int(i) for i in response_ids})
    total = Outcome()
    size = _batch_size()
    for start in range(0, len(ids), size):
        analyzer = get_analyzer()  # first: the snapshot read then ends the transaction before analysis
        snapshots = load_snapshots(ids[start : start + size])
        suspects = [s for s in snapshots if s.attempts > 0]
        if len(snapshots) > 1 and suspects:
            # They failed before (perhaps a timeout that took the whole batch down): each gets its own job,
            # so an innocent neighbour is never failed with the culprit.
            for snap in suspects:
                enqueue_unique(f"analysis-one-{snap.id}", [snap.id])
            snapshots = [s for s in snapshots if s.attempts == 0]
        if snapshots:
            total.add(tag_snapshots(analyzer, snapshots))
    if total.failed:
        log.warning("tagging failed for responses %s", sorted(total.failed))
    return total


@task
def analyze_responses(response_ids: list[int]) -> dict[str, int]:
    """Tag the responses among these that are still pending; raise (so RQ retries) if some comments raised."""
    outcome = tag_ids(response_ids)
    if outcome.retry:
        raise PoisonComments(f"analysis raised for responses {sorted(outcome.retry)}; will retry")
    return outcome.counts()


@task
def on_analysis_failure(job: Job, connection: Any, exc_type: type, exc_value: BaseException, tb: Any) -> None:
    """RQ failure callback: a job that died (timeout, database error) counts an attempt on its rows."""
    if isinstance(exc_value, PoisonComments):
        return  # the job counted those attempts itself, in its own transaction
    db.session.rollback()
    charge_failure([int(i) for i in (job.args[0] if job.args else [])], describe(exc_value))


def enqueue_analysis(response_ids: list[int], job_id: str | None = None) -> Job | None:
    """Enqueue ``analyze_responses`` on the nlp queue with retries, a timeout and the failure callback."""
    return enqueue(
        analyze_responses,
        list(response_ids),
        queue=QUEUE,
        job_id=job_id,
        timeout=JOB_TIMEOUT,
        retry=retry_policy(),
        on_failure=Callback(on_analysis_failure),
    )


def job_is_live(job_id: str, timeout: int = JOB_TIMEOUT) -> bool:
    """True while a job with this id waits in Redis, or runs and is younger than its timeout."""
    try:
        job = Job.fetch(job_id, connection=redis_connection())
        status = job.get_status()
    except NoSuchJobError:
        return False
    except Exception:  # Redis down: enqueueing will fail too and be logged; the next sweep retries
        log.warning("could not look up job %s", job_id, exc_info=True)
        return False
    if status in WAITING:
        return True
    if status == JobStatus.STARTED and job.started_at is not None:
        started = job.started_at if job.started_at.tzinfo else job.started_at.replace(tzinfo=utcnow().tzinfo)
        return utcnow() - started < timedelta(seconds=timeout + 60)
    return False


def _discard(job_id: str) -> None:
    """Delete a finished, failed or abandoned job so its id can be used again."""
    try:
        Job.fetch(job_id, connection=redis_connection()).delete()
    except Exception:  # gone already, or Redis down: enqueue decides what happens next
        log.debug("could not delete job %s", job_id, exc_info=True)


def enqueue_unique(job_id: str, response_ids: list[int]) -> bool:
    """Enqueue tagging under a deterministic id unless a job with that id is still live."""
    if job_is_live(job_id):
        return False
    _discard(job_id)
    enqueue_analysis(response_ids, job_id=job_id)
    return True


def _status(job_id: str) -> JobStatus | None:
    """A job's status, or None when it does not exist (or Redis does not answer)."""
    try:
        return Job.fetch(job_id, connection=redis_connection()).get_status()
    except Exception:  # NoSuchJobError, or Redis down: the enqueue that follows decides
        return None


def enqueue_bucket(bucket: int) -> bool:
    """Tag the pending responses whose ids fall in this bucket of NLP_BATCH_SIZE ids.

    A job of the bucket still waiting in the queue reads its rows only when it starts, so it covers rows
    committed since: answers arriving in a burst coalesce into one job per bucket instead of one job each
    (a forked job costs far more than tagging one comment). Two slots per bucket, so a new row is never
    left to a job that has already read its rows.
    """
    size = _batch_size()
    slots = [f"analysis-{size}-{bucket}-{slot}" for slot in ("a", "b")]
    if any(_status(job_id) in WAITING for job_id in slots):
        return False
    ids = list(range(bucket * size, (bucket + 1) * size))
    for job_id in slots:
        if not job_is_live(job_id):
            _discard(job_id)
            enqueue_analysis(ids, job_id=job_id)
            return True
    enqueue_analysis(ids)  # both slots are running right now: a one-off job
    return True


@task
def sweep_pending_analysis() -> dict[str, int]:
    """Re-enqueue responses pending longer than SWEEP_AFTER_SECONDS, and resume stalled re-tags."""
    after = int(current_app.config["SWEEP_AFTER_SECONDS"])
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
    size = _batch_size()
    enqueued = sum(enqueue_bucket(bucket) for bucket in sorted({i // size for i in ids}))
    resumed = 0
    for run in stale_runs(after):
        resumed += enqueue_retag(run.id, run.last_response_id)
    upgrade = retag_if_analyzer_changed(get_analyzer().version)
    db.session.commit()
    if upgrade is not None:
        log.info("the analyser changed since history was tagged: re-tag run %d started", upgrade.id)
        enqueue_retag(upgrade.id)
    if ids or resumed:
        log.info("sweep: %d stale pending, %d jobs enqueued, %d re-tags resumed", len(ids), enqueued, resumed)
    return {
        "pending": len(ids),
        "enqueued": enqueued,
        "retags_resumed": resumed,
        "retag_started": upgrade is not None,
    }


@task
def retag_history(run_id: int) -> str:
    """Re-tag a slice of history for a run, then enqueue the next slice (inline: the whole run at once)."""
    budget = math.inf if current_app.config.get("JOBS_INLINE") else RETAG_BUDGET_SECONDS
    step: Step = run_retag(run_id, budget)
    if step.status == "continue":
        enqueue_retag(run_id, step.cursor)
    elif step.status == "done":
        enqueue_suggestions_refresh()
    return step.status


@task
def on_retag_failure(job: Job, connection: Any, exc_type: type, exc_value: BaseException, tb: Any) -> None:
    """RQ failure callback of a re-tag job: count the failure; the run fails after the last attempt."""
    db.session.rollback()
    record_retag_failure(int(job.args[0]), describe(exc_value))


def enqueue_retag(run_id: int, cursor: int = 0) -> bool:
    """Enqueue the re-tag slice that starts at ``cursor`` (deterministic id), unless it is already live."""
    job_id = f"retag-{run_id}-{cursor}"
    if job_is_live(job_id, RETAG_BUDGET_SECONDS + JOB_TIMEOUT):
        return False
    _discard(job_id)
    enqueue(
        retag_history,
        run_id,
        queue=QUEUE,
        job_id=job_id,
        timeout=RETAG_BUDGET_SECONDS + JOB_TIMEOUT,
        retry=retry_policy(),
        on_failure=Callback(on_retag_failure),
    )
    return True


@task
def refresh_topic_suggestions() -> int:
    """Recompute the suggested new topics from recent untagged comments; returns how many."""
    from app.analysis.suggestions import refresh_suggestions

    return len(refresh_suggestions()["items"])


def enqueue_suggestions_refresh() -> bool:
    """Enqueue ``refresh_topic_suggestions`` unless it is already waiting or running."""
    if job_is_live(SUGGESTIONS_JOB):
        return False
    _discard(SUGGESTIONS_JOB)
    enqueue(refresh_topic_suggestions, queue=QUEUE, job_id=SUGGESTIONS_JOB, timeout=JOB_TIMEOUT)
    return True
