"""Follow-up use cases, the feature's one entry for routes, jobs and other features.

Functions that write commit their own transaction and enqueue email delivery only after the commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app import queue
from app.extensions import db
from app.followups import delivery, demo, escalation, opening, workflow
from app.followups.queries import FollowUpStatus, counts_by_account, is_overdue, state_for_response
from app.followups.rules import Conditions, Preview, RuleError, ensure_default_rules, preview
from app.followups.workflow import FollowUpError
from app.models import AnalysisState, Response, followup_responses, utcnow

__all__ = [
    "Conditions",
    "FollowUpError",
    "FollowUpStatus",
    "Preview",
    "RuleError",
    "apply_rules",
    "backfill",
    "counts_by_account",
    "deliver_messages",
    "enqueue_rules",
    "ensure_default_rules",
    "escalate_overdue",
    "is_overdue",
    "preview",
    "seed_demo",
    "state_for_response",
    "sweep",
    "utcnow",
]

APPLY_JOB = "followups.apply_rules"
DELIVER_JOB = "followups.deliver_messages"
RULES_BUCKET = 64  # response ids per coalesced rules job (as tagging's buckets)
SWEEP_HOURS = 48  # answers this recent that no job placed are checked again by the sweeper
# One rules job per bucket and RULES_WINDOW seconds, started one window after its window ends: within a
# window each web process asks Redis once per bucket (app.queue.enqueue_coalesced).
RULES_WINDOW = 1


def enqueue_rules(response_ids: list[int]) -> bool:
    """After the caller's commit: run the follow-up rules on these responses (best effort; swept later).

    One job per bucket of RULES_BUCKET ids, shared with any job of that bucket still waiting in the queue
    (it reads its rows when it starts, and placing a response is idempotent): a burst of score-only answers
    becomes a few jobs, not one per answer. With Redis, one job per bucket and second of the clock, started
    by RQ's scheduler one to two seconds later, so each web process asks Redis about once per bucket and
    second instead of once per answer (``queue.enqueue_coalesced``, issue 18). False when no new job was
    enqueued (one waiting covers them, or Redis refused: the sweeper catches up)."""
    enqueued = False
    for bucket in sorted({int(i) // RULES_BUCKET for i in response_ids}):
        ids = list(range(bucket * RULES_BUCKET, (bucket + 1) * RULES_BUCKET))
        enqueued |= queue.enqueue_coalesced(
            APPLY_JOB, ids, key=f"followup-rules-{RULES_BUCKET}-{bucket}", window=RULES_WINDOW
        )
    return enqueued


def enqueue_delivery(followup_ids: set[int] | list[int]) -> None:
    """After a commit that queued follow-up emails: deliver them (a waiting job covers later rows too)."""
    for followup_id in sorted(set(followup_ids)):
        queue.enqueue_once(DELIVER_JOB, followup_id, job_id=f"followup-mail-{followup_id}")


def apply_rules(response_ids: list[int]) -> dict[str, int]:
    """Open, join or reopen follow-ups for these responses, then send the assignees' emails."""
    outcome = opening.apply_rules(response_ids)
    enqueue_delivery(outcome.followups)
    return outcome.counts()


def backfill(days: int, notify: bool = False) -> dict[str, int]:
    """Run the rules over the last ``days`` days of answers (after adding a rule); emails only if asked."""
    outcome = demo.backfill(days, notify)
    if notify:
        enqueue_delivery(outcome.followups)
    return outcome.counts()


def seed_demo(days: int = 60) -> dict[str, int]:
    """Demo data: follow-ups over the seeded history, most of them worked through (no emails)."""
    return demo.seed_demo_followups(days)


def deliver_messages(followup_id: int) -> dict[str, int]:
    """Send a follow-up's queued emails, at most once each."""
    return delivery.deliver(followup_id)


def escalate_overdue(now: datetime | None = None) -> dict[str, Any]:
    """Take the escalation steps that fell due, then send their emails."""
    result = escalation.escalate_overdue(now)
    enqueue_delivery(result.pop("ids"))
    return result


def sweep() -> dict[str, int]:
    """Catch up what lost jobs left: recent answers no rule run placed, and undelivered emails."""
    since = utcnow() - timedelta(hours=SWEEP_HOURS)
    linked = sa.select(followup_responses.c.response_id)
    ids = list(
        db.session.execute(
            sa.select(Response.id)
            .where(
                Response.created_at >= since,
                Response.analysis_state != AnalysisState.PENDING,
                Response.id.not_in(linked),
            )
            .order_by(Response.id)
        ).scalars()
    )
    placed = opening.apply_rules(ids) if ids else opening.Outcome()
    stuck = delivery.recover_stuck()
    waiting = delivery.followups_with_queued()
    enqueue_delivery(set(waiting) | placed.followups)
    return {**placed.counts(), **stuck, "deliveries": len(set(waiting) | placed.followups)}


def run_action(action: str, followup_id: int, actor, form: dict[str, Any]) -> None:
    """Apply one staff action from the follow-up page and commit; FollowUpError (rolled back) if refused."""
    try:
        _ACTIONS[action](followup_id, actor, form)
        db.session.commit()
    except FollowUpError:
        db.session.rollback()
        raise
    enqueue_delivery([followup_id])


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise FollowUpError("That choice is not valid.") from None


_ACTIONS = {
    "contacted": lambda fid, actor, f: workflow.mark_contacted(
        fid, actor.id, f.get("channel") or "", f.get("note")
    ),
    "resolve": lambda fid, actor, f: workflow.resolve(
        fid, actor.id, f.get("code") or "", f.get("note"), f.get("loop") or "", _int(f.get("root_topic_id"))
    ),
    "reopen": lambda fid, actor, f: workflow.reopen(fid, actor.id, f.get("note")),
    "assign": lambda fid, actor, f: workflow.assign(fid, actor.id, _int(f.get("assignee_id")) or 0),
    "note": lambda fid, actor, f: workflow.add_note(fid, actor.id, f.get("note")),
    "reply": lambda fid, actor, f: workflow.reply(fid, actor, f.get("subject"), f.get("body")),
}
ACTIONS = tuple(_ACTIONS)
ACTION_FIELDS = ("channel", "note", "code", "loop", "root_topic_id", "assignee_id", "subject", "body")
DONE_MESSAGES = {
    "contacted": "Marked as contacted.",
    "resolve": "Resolved.",
    "reopen": "Reopened; the owner was told.",
    "assign": "Reassigned; the new owner was told.",
    "note": "Note added.",
    "reply": "Reply queued: it is emailed once.",
}
