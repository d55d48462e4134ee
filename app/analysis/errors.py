"""The analysis feature's error: a request a person made that cannot be done."""

from __future__ import annotations


class AnalysisError(ValueError):
    """A request a person made that cannot be done; the message says why."""
