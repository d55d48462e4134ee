"""Follow-up use cases, the feature's one entry for routes, jobs and other features."""

from __future__ import annotations

from app.followups.queries import FollowUpStatus, counts_by_account, is_overdue, state_for_response

__all__ = ["FollowUpStatus", "counts_by_account", "is_overdue", "state_for_response"]
