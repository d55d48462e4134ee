"""Periodic jobs, in one list: ``rq cron app.cron`` runs them in production, ``flask jobs scheduler`` in the
embedded default. Every periodic job is idempotent, so an overlap or a missed tick does no harm."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Periodic:
    """A job function (dotted path) run every ``every`` seconds on ``queue``."""

    func: str
    every: int
    queue: str = "default"
    timeout: int = 300

    def resolve(self) -> Callable[..., Any]:
        """Import the job function."""
        module, _, name = self.func.rpartition(".")
        return getattr(importlib.import_module(module), name)


PERIODIC: tuple[Periodic, ...] = (
    # Re-enqueue responses whose tagging never ran (Redis or a worker was down).
    Periodic("app.tasks.analysis.sweep_pending_analysis", every=30, queue="nlp"),
    # Start scheduled sends that are due, and mark invitations stuck in "sending" as uncertain.
    Periodic("app.tasks.mail.sweep_sends", every=30, queue="mail"),
    # One reminder to those who have not answered after the delay.
    Periodic("app.tasks.mail.send_due_reminders", every=300, queue="mail"),
    # Drop the files of CSV import previews nobody confirmed within a day (personal data), and enqueue
    # again big imports whose job was lost.
    Periodic("app.tasks.accounts.expire_import_previews", every=3600),
    # Weekly digests: each team's falls due at its local weekday and hour (checked every 5 minutes).
    Periodic("app.tasks.insights.schedule_digests", every=300, timeout=900),
    # Emerging-topic and large-account detractor alerts, at most once per team, subject and day.
    Periodic("app.tasks.insights.check_alerts", every=900, timeout=600),
    # Digests and alerts whose job was lost, and team emails a crashed sender left in flight.
    Periodic("app.tasks.insights.sweep_team_mail", every=60, queue="mail"),
)
