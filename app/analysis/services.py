"""Analysis use cases, the feature's one entry: asking for tagging, the jobs' bodies, manual tags, re-tags,
the taxonomy, suggestions and training. Called alike by routes, commands, other features and app/tasks.

Each function that writes commits its own transaction and enqueues only after the commit. The work is done
in private modules of this package: ``dispatch`` (a response's way to its tags; the one owner of its
analysis state), ``tagging`` (writing results), ``retag``, ``manual``, ``editing``, ``suggestions``,
``training``, ``taxonomy`` and ``pipeline``.
"""

from __future__ import annotations

import sqlalchemy as sa

from app import queue
from app.analysis.dispatch import (
    JOB_TIMEOUT,
    RETRY_INTERVALS,
    analysis_columns,
    catch_up_tagging,
    charge_tagging_failure,
    enqueue_tagging,
    initial_state,
    request_analysis,
    tag_ids,
    tag_responses,
)
from app.analysis.editing import (
    TopicError,
    TopicInput,
    accept_suggestion,
    create_topic,
    restore_topic,
    retire_topic,
    split_terms,
    update_topic,
)
from app.analysis.errors import AnalysisError
from app.analysis.manual import (
    add_manual_topic,
    bulk_add_manual_topic,
    reject_mention,
    remove_manual_tag,
    retry_failed,
)
from app.analysis.merging import MergeResult, merge_topics
from app.analysis.pipeline import get_analyzer, refresh_analyzer
from app.analysis.preview import Preview, preview_edit, preview_merge
from app.analysis.retag import (
    RETAG_JOB_TIMEOUT,
    charge_retag_failure,
    enqueue_retag,
    queue_retag,
    retag_slice,
)
from app.analysis.suggestions import enqueue_refresh, refresh_suggestions
from app.analysis.taxonomy_store import ensure_taxonomy, seed_default_taxonomy
from app.analysis.training import train_and_install
from app.audit import audit
from app.extensions import db
from app.models import AnalysisState, Response, RetagRun
from nlp import ready_for_jobs

__all__ = [
    "JOB_TIMEOUT",
    "RETAG_JOB_TIMEOUT",
    "RETRY_INTERVALS",
    "AnalysisError",
    "MergeResult",
    "Preview",
    "TopicError",
    "TopicInput",
    "accept_suggestion",
    "add_manual_topic",
    "analysis_columns",
    "bulk_add_manual_topic",
    "catch_up_tagging",
    "charge_retag_failure",
    "charge_tagging_failure",
    "create_topic",
    "enqueue_sweep",
    "enqueue_tagging",
    "initial_state",
    "merge_topics",
    "preload_analyzer",
    "preview_edit",
    "preview_merge",
    "refresh_analyzer",
    "refresh_suggestions",
    "refresh_topic_suggestions",
    "reject_mention",
    "remove_manual_tag",
    "request_analysis",
    "request_suggestions",
    "restore_topic",
    "retag_slice",
    "retire_topic",
    "retry_failed",
    "seed_default_taxonomy",
    "split_terms",
    "start_retag",
    "tag_all_pending",
    "tag_responses",
    "train_and_install",
    "update_topic",
]


def tag_all_pending(chunk: int = 1000) -> dict[str, int]:
    """Tag every pending response now, in this process (demo seed, ``flask topics tag-pending``)."""
    ensure_taxonomy()
    totals = dict.fromkeys(("done", "skipped", "changed", "failed", "retry"), 0)
    last = 0
    while True:
        ids = list(
            db.session.execute(
                sa.select(Response.id)
                .where(Response.analysis_state == AnalysisState.PENDING, Response.id > last)
                .order_by(Response.id)
                .limit(chunk)
            ).scalars()
        )
        db.session.commit()
        if not ids:
            break
        for key, value in tag_ids(ids).counts().items():
            totals[key] += value
        last = ids[-1]
    refresh_suggestions()
    return totals


def enqueue_sweep() -> bool:
    """Ask the sweeper to pick up every pending response now (inline: tag them before returning)."""
    return queue.enqueue("analysis.sweep_pending_analysis")


def start_retag(reason: str, actor_id: int | None = None) -> RetagRun:
    """Re-tag history (or restart the active re-tag) after the taxonomy or topic model changed."""
    run, needs_job = queue_retag(reason, actor_id)
    audit(actor_id, "retag.start", "retag_run", run.id, reason=reason)
    db.session.commit()
    if needs_job:
        enqueue_retag(run.id, 0)
    return run


def request_suggestions() -> bool:
    """Ask for fresh topic suggestions (computed by a job: a page view must not write); False if one waits."""
    return enqueue_refresh()


def refresh_topic_suggestions() -> int:
    """Recompute the suggested new topics now; returns how many."""
    return len(refresh_suggestions()["items"])


def preload_analyzer() -> str:
    """Build the analyser in a worker's process before its first job and get it ready for jobs (warmed,
    the heap frozen: ``nlp.ready_for_jobs``, as benchmarks/nlp_throughput.py does); returns its version."""
    analyzer = get_analyzer()
    db.session.remove()  # the parent must hold no transaction (on SQLite that would be the write lock)
    ready_for_jobs(analyzer)
    return analyzer.version
