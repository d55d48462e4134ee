"""Conversions between the library's results and row values: a tagged response and its mention rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.models import AnalysisState, MentionSource
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
        "analysis_state": AnalysisState.DONE,
        "analysis_error": None,
        "analysis_attempts": 0,
    }


def mention_rows(
    response_id: int, result: TextAnalysis, vetoes: set[tuple[int, int]], known: set[int], now: datetime
) -> list[dict[str, Any]]:
    """Automatic mention rows of one result, without vetoed or unknown topics."""
    rows = []
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
                "created_at": now,
            }
        )
    return rows
