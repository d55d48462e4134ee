"""The editable topic taxonomy: a tree of topics, each with phrases and patterns a PM can edit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from nlp.errors import TaxonomyError
from nlp.patterns import compile_pattern


def check_pattern(pattern: str) -> None:
    """Raise TaxonomyError if a pattern is malformed (so an editor can reject it before saving)."""
    compile_pattern(pattern, lambda s: s.lower().split())


@dataclass(frozen=True)
class TopicSpec:
    """One topic: id (a string chosen by the caller), name, optional parent, phrases and patterns.

    ``phrases`` are matched case-, plural-, inflection- and typo-tolerantly. ``patterns`` use the small
    syntax documented in :mod:`nlp.matcher` (``(slow|sluggish) ... load*``).
    """

    id: str
    name: str
    parent_id: str | None = None
    phrases: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return {
            "id": self.id,
            "name": self.name,
            "parent_id": self.parent_id,
            "phrases": list(self.phrases),
            "patterns": list(self.patterns),
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TopicSpec:
        """Build a topic from :meth:`to_dict` output (unknown keys are ignored)."""
        parent = d.get("parent_id")
        return cls(
            id=str(d["id"]),
            name=str(d.get("name") or d["id"]),
            parent_id=None if parent in (None, "") else str(parent),
            phrases=[str(p) for p in d.get("phrases") or []],
            patterns=[str(p) for p in d.get("patterns") or []],
            description=str(d.get("description") or ""),
        )


class Taxonomy:
    """An immutable, validated tree of :class:`TopicSpec`."""

    def __init__(self, topics: Iterable[TopicSpec]) -> None:
        self.topics: tuple[TopicSpec, ...] = tuple(topics)
        self._by_id: dict[str, TopicSpec] = {}
        for t in self.topics:
            if not t.id:
                raise TaxonomyError("topic id must be a non-empty string")
            if t.id in self._by_id:
                raise TaxonomyError(f"duplicate topic id {t.id!r}")
            self._by_id[t.id] = t
        for t in self.topics:
            if t.parent_id is not None and t.parent_id not in self._by_id:
                raise TaxonomyError(f"topic {t.id!r} has unknown parent {t.parent_id!r}")
        for t in self.topics:
            self.ancestors(t.id)  # raises on cycles
            for pattern in t.patterns:
                check_pattern(pattern)

    def __len__(self) -> int:
        return len(self.topics)

    def __iter__(self):
        return iter(self.topics)

    def __contains__(self, topic_id: object) -> bool:
        return topic_id in self._by_id

    def get(self, topic_id: str) -> TopicSpec:
        """Return the topic with this id (KeyError if unknown)."""
        return self._by_id[topic_id]

    def ancestors(self, topic_id: str) -> list[str]:
        """Return the ids of a topic's parent, grandparent, ... (root last)."""
        out: list[str] = []
        cur = self._by_id[topic_id].parent_id
        while cur is not None:
            if cur == topic_id or cur in out:
                raise TaxonomyError(f"cycle in taxonomy at {topic_id!r}")
            out.append(cur)
            cur = self._by_id[cur].parent_id
        return out

    def children(self, topic_id: str | None) -> list[TopicSpec]:
        """Return the direct children of a topic (``None``: the roots)."""
        return [t for t in self.topics if t.parent_id == topic_id]

    def root_of(self, topic_id: str) -> str:
        """Return the id of the top-level topic above (or equal to) ``topic_id``."""
        anc = self.ancestors(topic_id)
        return anc[-1] if anc else topic_id

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict (``{"version": 1, "topics": [...]}``)."""
        return {"version": 1, "topics": [t.to_dict() for t in self.topics]}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | list[dict[str, Any]]) -> Taxonomy:
        """Build a taxonomy from :meth:`to_dict` output (or a bare list of topic dicts)."""
        topics = d if isinstance(d, list) else d.get("topics", [])
        return cls(TopicSpec.from_dict(t) for t in topics)

    @classmethod
    def default(cls) -> Taxonomy:
        """Return the default SaaS taxonomy shipped with Clearloop."""
        raw = resources.files("nlp.data").joinpath("taxonomy_default.json").read_text(encoding="utf-8")
        return cls.from_dict(json.loads(raw))

    def fingerprint(self) -> str:
        """Return a short stable hash of the taxonomy's content (changes when a PM edits it)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:12]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Taxonomy) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def __repr__(self) -> str:
        return f"Taxonomy({len(self.topics)} topics, {self.fingerprint()})"
