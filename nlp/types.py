"""Plain result types returned by the library (frozen dataclasses, JSON-serialisable)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

LABELS = ("positive", "neutral", "negative")


@dataclass(frozen=True, slots=True)
class Sentiment:
    """A polarity label and a score in [-1, 1]."""

    label: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return {"label": self.label, "score": self.score}


NEUTRAL = Sentiment("neutral", 0.0)


@dataclass(frozen=True, slots=True)
class TopicMention:
    """A topic found in a text: its evidence span (character offsets in the original text) and sentiment."""

    topic_id: str
    topic_name: str
    sentiment: Sentiment
    start: int
    end: int
    source: str  # "phrase" (taxonomy rule) or "model" (learned topic model)
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict (the same as ``dataclasses.asdict``, written out: asdict deep-copies
        recursively and costs more than the whole analysis of a comment)."""
        return {
            "topic_id": self.topic_id,
            "topic_name": self.topic_name,
            "sentiment": {"label": self.sentiment.label, "score": self.sentiment.score},
            "start": self.start,
            "end": self.end,
            "source": self.source,
            "confidence": self.confidence,
        }


@dataclass(frozen=True, slots=True)
class SentenceAnalysis:
    """One sentence's character span and sentiment."""

    start: int
    end: int
    sentiment: Sentiment

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return {
            "start": self.start,
            "end": self.end,
            "sentiment": {"label": self.sentiment.label, "score": self.sentiment.score},
        }


@dataclass(frozen=True, slots=True)
class Evidence:
    """A word that carried sentiment: its text, span and final weight after negation/boosting/contrast."""

    text: str
    start: int
    end: int
    weight: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return {"text": self.text, "start": self.start, "end": self.end, "weight": self.weight}


@dataclass(frozen=True, slots=True)
class Intent:
    """What a sentence is doing: a label from :data:`LABELS`, its calibrated score, the sentence's index
    and the evidence span (character offsets in the analysed text)."""

    label: str
    score: float
    sentence: int
    start: int
    end: int

    def to_dict(self) -> dict:
        """Return a JSON-able dict."""
        return {
            "label": self.label,
            "score": self.score,
            "sentence": self.sentence,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    """Everything the analyser says about one text."""

    sentiment: Sentiment
    mentions: list[TopicMention] = field(default_factory=list)
    sentences: list[SentenceAnalysis] = field(default_factory=list)
    keyphrases: list[str] = field(default_factory=list)
    language: str = "en"
    explanation: list[Evidence] = field(default_factory=list)
    truncated: bool = False
    text: str = ""  # the analysed text (already truncated); kept for suggest_topics examples
    intents: list[Intent] = field(default_factory=list)  # per sentence, in sentence order

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict (without the text itself, which the caller already has)."""
        return {
            "sentiment": {"label": self.sentiment.label, "score": self.sentiment.score},
            "mentions": [m.to_dict() for m in self.mentions],
            "sentences": [s.to_dict() for s in self.sentences],
            "keyphrases": list(self.keyphrases),
            "language": self.language,
            "explanation": [e.to_dict() for e in self.explanation],
            "truncated": self.truncated,
            "intents": [i.to_dict() for i in self.intents],
        }

    @property
    def intent_labels(self) -> list[str]:
        """The comment's intents: distinct labels, strongest first."""
        ranked = sorted(self.intents, key=lambda i: -i.score)
        return list(dict.fromkeys(i.label for i in ranked))

    @property
    def topic_ids(self) -> list[str]:
        """Distinct topic ids mentioned, in order of first mention."""
        return list(dict.fromkeys(m.topic_id for m in self.mentions))


@dataclass(frozen=True, slots=True)
class TopicSuggestion:
    """A cluster of keyphrases from untagged comments: a candidate new topic."""

    label: str
    phrases: list[str]
    count: int
    examples: list[str]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return asdict(self)


def label_for(score: float, band: float) -> str:
    """Map a score in [-1, 1] to a label given the half-width of the neutral band."""
    if score >= band:
        return "positive"
    if score <= -band:
        return "negative"
    return "neutral"
