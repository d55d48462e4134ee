"""Conversions between the library's results and row values: a tagged response, its mentions and intents.

Everything is read from ``TextAnalysis.to_dict()``, once per result (``prepare_rows`` passes it as
``data``): the analyser's compact results build those dicts straight from their rows, where reading
``result.mentions``, ``.sentences``, ``.intents`` or ``.explanation`` builds a frozen dataclass per item on
every access. The rows are tuples of stored values, built by the analysing thread (``prepare_rows``)."""

from __future__ import annotations

from typing import Any

from app.models import INTENTS, MentionSource
from nlp import TextAnalysis


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


# Compact rows (issue 18 §3): built by the analysing thread straight after a batch's analysis, so the
# writer thread holds the GIL only to filter them and hand each table to the driver in one parameter.
# Values are plain ints, floats, strings and None in the stored form (enums as their values); what every
# row of a batch shares (time, state, version) is added by the writer's statements.
DONE_COLUMNS = ("id", "sentiment_label", "sentiment_score", "language", "analysis")
MENTION_COLUMNS = (
    "response_id",
    "topic_id",
    "source",
    "sentiment_label",
    "sentiment_score",
    "start",
    "end",
    "confidence",
    "intent",
)
INTENT_COLUMNS = ("response_id", "label", "score", "sentence_index", "start", "end")


def done_row(response_id: int, result: TextAnalysis, data: dict[str, Any]) -> tuple:
    """A tagged response's own column values (``DONE_COLUMNS``), the analysis as a dict; the writer adds
    what the batch shares (version, time, state)."""
    return (
        response_id,
        result.sentiment.label,
        float(result.sentiment.score),
        (result.language or "und")[:8],
        {
            "sentences": data["sentences"],
            "keyphrases": data["keyphrases"],
            "explanation": data["explanation"],
            "truncated": bool(result.truncated),
        },
    )


def intent_tuples(response_id: int, data: dict[str, Any]) -> list[tuple]:
    """``response_intents`` rows of one result (``INTENT_COLUMNS``): each sentence's intents with their
    evidence."""
    return [
        (response_id, i["label"], min(1.0, max(0.0, float(i["score"]))), i["sentence"], i["start"], i["end"])
        for i in data["intents"]
        if i["label"] in INTENTS
    ]


def mention_tuples(response_id: int, data: dict[str, Any]) -> list[tuple]:
    """Automatic mention rows of one result (``MENTION_COLUMNS``), each with the strongest intent of its
    sentence; the writer drops those of vetoed or unknown topics (read in its transaction), rows whose
    topic id is not an integer are dropped here."""
    rows = []
    by_sentence = sentence_intents(data) if data["intents"] else {}
    spans = [(s["start"], s["end"]) for s in data["sentences"]] if by_sentence else []
    for m in data["mentions"]:
        try:
            topic_id = int(m["topic_id"])
        except (TypeError, ValueError):
            continue
        sentiment = m["sentiment"]
        rows.append(
            (
                response_id,
                topic_id,
                MentionSource.MODEL.value if m["source"] == "model" else MentionSource.PHRASE.value,
                sentiment["label"],
                float(sentiment["score"]),
                m["start"],
                m["end"],
                min(1.0, max(0.0, float(m["confidence"]))),
                by_sentence.get(_sentence_of(spans, m["start"])) if by_sentence else None,
            )
        )
    return rows
