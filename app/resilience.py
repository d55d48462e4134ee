"""Riding out Redis outages: one log line per outage, waiting with backoff, and a short circuit breaker.

Redis only carries the queue (RELIABILITY rule 1): when it is down or frozen, the web process commits answers
and leaves their hand-off to the sweeper, and long-running processes (``worker.py``, ``rq cron app.cron``,
``flask jobs scheduler``) wait for it to come back instead of exiting. ``Outage`` tracks one process's view:
the first failure is logged as a warning, the recovery once, nothing in between.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis

log = logging.getLogger(__name__)

REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
MAX_WAIT = 30.0  # seconds between reconnection attempts at most


class Outage:
    """A process's record of whether Redis is reachable, logging only the transitions."""

    def __init__(
        self, what: str, logger: logging.Logger | None = None, hint: str = "waiting for it to come back"
    ) -> None:
        self.what = what
        self.hint = hint
        self.log = logger or log
        self.since: float | None = None
        self.delay = 0.5
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        """True between a failure and the next success."""
        return self.since is not None

    def failed(self, exc: BaseException) -> None:
        """Record a failure; the first of an outage is logged."""
        with self._lock:
            if self.since is None:
                self.since = time.monotonic()
                self.delay = 0.5
                self.log.warning("%s: Redis is unreachable (%s); %s", self.what, exc, self.hint)

    def recovered(self) -> None:
        """Record a success; the end of an outage is logged."""
        with self._lock:
            if self.since is not None:
                seconds = time.monotonic() - self.since
                self.since = None
                self.log.warning("%s: Redis is back after %.0f s; carrying on", self.what, seconds)

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt: 0.5, 1, 2, ... up to MAX_WAIT."""
        with self._lock:
            delay = self.delay
            self.delay = min(self.delay * 2, MAX_WAIT)
            return delay

    def wait_until_up(
        self,
        ping: Callable[[], object],
        sleep: Callable[[float], None] = time.sleep,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> bool:
        """Block until ``ping()`` succeeds (True) or ``should_stop()`` says to give up (False)."""
        while True:
            try:
                ping()
            except REDIS_ERRORS as exc:
                self.failed(exc)
                if should_stop():
                    return False
                sleep(self.next_delay())
            else:
                self.recovered()
                return True


class Breaker:
    """After a Redis failure, skip Redis for ``cool_down`` seconds: callers that can do without it (the
    answer path's hand-off to tagging) return at once instead of waiting on a frozen server each time."""

    def __init__(self, what: str, cool_down: float = 5.0, hint: str = "") -> None:
        self.cool_down = cool_down
        self.open_until = 0.0
        self.outage = Outage(what, hint=hint or "skipping it for a while")

    def allows(self) -> bool:
        """Whether to try Redis now."""
        return time.monotonic() >= self.open_until

    def failure(self, exc: BaseException) -> None:
        """Redis failed: stop trying for a while."""
        self.open_until = time.monotonic() + self.cool_down
        self.outage.failed(exc)

    def success(self) -> None:
        """Redis answered."""
        self.open_until = 0.0
        self.outage.recovered()
