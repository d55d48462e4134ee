"""Conversions between the library's results and row values: a tagged response and its mention rows.

Everything is read from ``TextAnalysis.to_dict()``, once per result (the writer passes it as ``data``): the
analyser's compact results build those dicts straight from their rows, where reading ``result.mentions``,
``.sentences``, ``.intents`` or ``.explanation`` builds a frozen dataclass per item on every access (the
larger part of a tagging batch's row building, which holds the GIL the next batch's analysis needs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.models import INTENTS, AnalysisState, MentionSource
from nlp import TextAnalysis


def done_values(
    response_id: int, result: TextAnalysis, data: dict[str, Any], version: str, now: datetime
) -> dict[str, Any]:
    """Column values of a tagged response (``data``: its ``result.to_dict()``)."""
    return {
        "id": response_id,
        "sentiment_label": result.sentiment.label,
        "sentiment_score": float(result.sentiment.score),
        "language": (result.language or "und")[:8],
        "analyzer_version": version[:64],
        "analysis": {
            "sentences": data["sentences"],
            "keyphrases": data["keyphrases"],
            "explanation": data["explanation"],
            "truncated": bool(result.truncated),
        },
        "analyzed_at": now,
        "updated_at": now,  # written explicitly: the batch's update statements bypass the ORM's onupdate
        "analysis_state": AnalysisState.DONE,
        "analysis_error": None,
        "analysis_attempts": 0,
    }


def intent_rows(response_id: int, data: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """``response_intents`` rows of one result (``data``: its ``to_dict()``): each sentence's intents with
    their evidence."""
    return [
        {
            "response_id": response_id,
            "label": i["label"],
            "score": min(1.0, max(0.0, float(i["score"]))),
            "sentence_index": i["sentence"],
            "start": i["start"],
            "end": i["end"],
            "created_at": now,
        }
        for i in data["intents"]
        if i["label"] in INTENTS
    ]


def sentence_intents(data: dict[str, Any]) -> dict[int, str]:
    """The strongest intent of each sentence (by sentence index) of a result's ``to_dict()``."""
    best: dict[int, tuple[float, str]] = {}
    for i in data["intents"]:
        label, score, sentence = i["label"], i["score"], i["sentence"]
        if label in INTENTS and (sentence not in best or score > best[sentence][0]):
            best[sentence] = (score, label)
    return {s: label for s, (_, label) in best.items()}


def _sentence_of(spans: list[tuple[int, int]], start: int) -> int | None:
    for k, (begin, end) in enumerate(spans):
        if begin <= start < end:
            return k
    return None


def mention_rows(
    response_id: int, data: dict[str, Any], vetoes: set[tuple[int, int]], known: set[int], now: datetime
) -> list[dict[str, Any]]:
    """Automatic mention rows of one result (``data``: its ``to_dict()``), without vetoed or unknown
    topics; each carries the strongest intent of its sentence."""
    rows = []
    by_sentence = sentence_intents(data) if data["intents"] else {}
    spans = [(s["start"], s["end"]) for s in data["sentences"]] if by_sentence else []
    for m in data["mentions"]:
        try:
            topic_id = int(m["topic_id"])
        except (TypeError, ValueError):
            continue
        if topic_id not in known or (response_id, topic_id) in vetoes:
            continue
        sentiment = m["sentiment"]
        rows.append(
            {
                "response_id": response_id,
                "topic_id": topic_id,
                "source": MentionSource.MODEL if m["source"] == "model" else MentionSource.PHRASE,
                "rejected": False,
                "sentiment_label": sentiment["label"],
                "sentiment_score": float(sentiment["score"]),
                "start": m["start"],
                "end": m["end"],
                "confidence": min(1.0, max(0.0, float(m["confidence"]))),
                "intent": by_sentence.get(_sentence_of(spans, m["start"])) if by_sentence else None,
                "created_at": now,
            }
        )
    return rows
