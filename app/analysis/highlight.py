"""Split a comment into plain and marked segments for the ``highlight`` macro.

Only plain strings come out of here; the template escapes every segment, so a comment (or a span of it)
containing markup is shown as text. Mentions may be ORM rows, ``nlp.Mention`` objects or their dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TONES = ("positive", "negative", "neutral")


@dataclass(frozen=True)
class Segment:
    """A slice of the comment; ``tone`` and ``title`` are set when a mention marks it."""

    text: str
    tone: str | None = None
    title: str | None = None


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _describe(mention: Any) -> tuple[str, str]:
    """(tone, "Topic · sentiment") of a mention, whatever its shape."""
    sentiment = _get(mention, "sentiment_label") or _get(_get(mention, "sentiment"), "label")
    tone = sentiment if sentiment in TONES else "neutral"
    name = _get(mention, "topic_name") or _get(_get(mention, "topic"), "name") or "Topic"
    return tone, f"{name} · {tone}"


def _spans(text: str, mentions: Any) -> list[tuple[int, int, str, str]]:
    spans = []
    for m in mentions or ():
        start, end = _get(m, "start"), _get(m, "end")
        if _get(m, "rejected") or not isinstance(start, int) or not isinstance(end, int):
            continue
        if 0 <= start < end <= len(text):
            spans.append((start, end, *_describe(m)))
    spans.sort(key=lambda s: (s[0], -s[1]))
    return spans


def mention_segments(comment: str | None, mentions: Any) -> list[Segment]:
    """The comment cut at mention spans; an overlapping mention adds its title to the mark it overlaps."""
    text = comment or ""
    out: list[Segment] = []
    pos = 0
    for start, end, tone, title in _spans(text, mentions):
        if start < pos:
            last = out[-1]
            if title not in (last.title or ""):
                out[-1] = Segment(last.text, last.tone, f"{last.title}; {title}")
            continue
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(text[start:end], tone, title))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out
