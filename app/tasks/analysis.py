"""Tagging jobs on the "nlp" queue: tag responses, sweep what was never tagged, re-tag history, suggest.

Each is idempotent; the work and its bookkeeping (attempts, failures, progress) live in the analysis service.
"""

from __future__ import annotations

from typing import Any

from app.analysis import services as analysis
from app.queue import failure_handler, task


@failure_handler
def tagging_failed(args: tuple[Any, ...], exc: BaseException) -> None:
    """A tagging job died (timeout, database error): count an attempt on its rows."""
    analysis.charge_tagging_failure(list(args[0]) if args else [], exc)


@task(queue="nlp", timeout=analysis.JOB_TIMEOUT, retry=analysis.RETRY_INTERVALS, on_failure=tagging_failed)
def analyze_responses(response_ids: list[int]) -> dict[str, int]:
    """Tag the responses among these that are still pending; raise (so RQ retries) if some comments raised."""
    return analysis.tag_responses(response_ids)


@task(queue="nlp", every=30)
def sweep_pending_analysis() -> dict[str, Any]:
    """Re-enqueue responses pending too long, resume stalled re-tags, re-tag after an analyser upgrade."""
    return analysis.catch_up_tagging()


@failure_handler
def retag_failed(args: tuple[Any, ...], exc: BaseException) -> None:
    """A re-tag job failed: count it; the run fails after the last attempt."""
    analysis.charge_retag_failure(int(args[0]), exc)


@task(
    queue="nlp",
    timeout=analysis.RETAG_JOB_TIMEOUT,
    retry=analysis.RETRY_INTERVALS,
    on_failure=retag_failed,
)
def retag_history(run_id: int) -> str:
    """Re-tag a slice of history for a run, then enqueue the next slice (inline: the whole run at once)."""
    return analysis.retag_slice(run_id)


@task(queue="nlp")
def refresh_topic_suggestions() -> int:
    """Recompute the suggested new topics from recent untagged comments; returns how many."""
    return analysis.refresh_topic_suggestions()
