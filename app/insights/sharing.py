"""Work shared by the digests of one run: inside ``sharing()``, a figure that does not depend on the team
(the week's workspace-wide topic figures, a theme's verbatim candidates, the scope counts of teams that
follow every topic) is computed once and read by every team's digest. Nothing outlives the block, so
nothing can go stale between runs; outside it every call computes afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")
_MEMO: ContextVar[dict[Hashable, Any] | None] = ContextVar("insights_shared", default=None)


@contextmanager
def sharing() -> Iterator[None]:
    """Share team-independent figures inside the block (nested blocks share the outer one's)."""
    if _MEMO.get() is not None:
        yield
        return
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def active() -> bool:
    """Whether a ``sharing()`` block is open."""
    return _MEMO.get() is not None


def shared(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per ``key`` inside a ``sharing()`` block (every time outside one)."""
    memo = _MEMO.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]
