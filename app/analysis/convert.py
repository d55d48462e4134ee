"""Conversions between the library's results and row values: a tagged response and its mention rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.models import INTENTS, AnalysisState, MentionSource
from nlp import TextAnalysis


def done_values(response_id: int, result: TextAnalysis, version: str, now: datetime) -> dict[str, Any]:
    """Column values of a tagged response."""
    return {
        "id": response_id,
        "sentiment_label": result.sentiment.label,
        "sentiment_score": float(result.sentiment.score),
        "language": (result.language or "und")[:8],
        "analyzer_version": version[:64],
        "analysis": {
            "sentences": [x.to_dict() for x in result.sentences],
            "keyphrases": list(result.keyphrases),
            "explanation": [e.to_dict() for e in result.explanation],
            "truncated": bool(result.truncated),
        },
        "analyzed_at": now,
        "updated_at": now,  # written explicitly: the batch's update statements bypass the ORM's onupdate
        "analysis_state": AnalysisState.DONE,
        "analysis_error": None,
        "analysis_attempts": 0,
    }


def intent_rows(response_id: int, result: TextAnalysis, now: datetime) -> list[dict[str, Any]]:
    """``response_intents`` rows of one result: each sentence's intents with their evidence."""
    return [
        {
            "response_id": response_id,
            "label": i.label,
            "score": min(1.0, max(0.0, float(i.score))),
            "sentence_index": i.sentence,
            "start": i.start,
            "end": i.end,
            "created_at": now,
        }
        for i in result.intents
        if i.label in INTENTS
    ]


def sentence_intents(result: TextAnalysis) -> dict[int, str]:
    """The strongest intent of each sentence (by sentence index)."""
    best: dict[int, tuple[float, str]] = {}
    for i in result.intents:
        if i.label in INTENTS and (i.sentence not in best or i.score > best[i.sentence][0]):
            best[i.sentence] = (i.score, i.label)
    return {s: label for s, (_, label) in best.items()}


def _sentence_of(spans: list[tuple[int, int]], start: int) -> int | None:
    for k, (begin, end) in enumerate(spans):
        if begin <= start < end:
            return k
    return None


def mention_rows(
    response_id: int, result: TextAnalysis, vetoes: set[tuple[int, int]], known: set[int], now: datetime
) -> list[dict[str, Any]]:
    """Automatic mention rows of one result, without vetoed or unknown topics; each carries the strongest
    intent of its sentence."""
    rows = []
    by_sentence = sentence_intents(result) if result.intents else {}
    # the sentences' spans once per result (``result.sentences`` builds its objects on every access)
    spans = [(s.start, s.end) for s in result.sentences] if by_sentence else []
    for m in result.mentions:
        try:
            topic_id = int(m.topic_id)
        except (TypeError, ValueError):
            continue
        if topic_id not in known or (response_id, topic_id) in vetoes:
            continue
        rows.append(
            {
                "response_id": response_id,
                "topic_id": topic_id,
                "source": MentionSource.MODEL if m.source == "model" else MentionSource.PHRASE,
                "rejected": False,
                "sentiment_label": m.sentiment.label,
                "sentiment_score": float(m.sentiment.score),
                "start": m.start,
                "end": m.end,
                "confidence": min(1.0, max(0.0, float(m.confidence))),
                "intent": by_sentence.get(_sentence_of(spans, m.start)) if by_sentence else None,
                "created_at": now,
            }
        )
    return rows
