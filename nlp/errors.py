"""The library's errors, in a leaf module every other module may import."""

from __future__ import annotations


class TaxonomyError(ValueError):
    """Raised for an invalid taxonomy (duplicate ids, unknown parents, cycles, bad patterns)."""
