"""Result assembly: from a doc's computed state to :class:`nlp.types.TextAnalysis`.

A :class:`CompactAnalysis` is a ``TextAnalysis`` (same fields, frozen, equal to the plain one) that keeps
its mentions, sentences and explanation as rows (tuples of str/int/float), computed when the doc is
analysed. ``to_dict()`` turns the rows straight into dicts, so the app's path (analyze, then store
``to_dict()``) never builds intermediate dataclass objects; reading ``r.mentions`` builds them from the
rows. Keeping tuples rather than the doc state also matters for speed: tuples of plain values are dropped
from the cyclic GC's lists, so a batch of results costs the collector almost nothing to walk.
"""

from __future__ import annotations

import dataclasses
import math
from bisect import bisect_right
from typing import TYPE_CHECKING, Any

from nlp.sentiment import normalize
from nlp.types import Evidence, Intent, SentenceAnalysis, Sentiment, TextAnalysis, TopicMention, label_for

if TYPE_CHECKING:
    from nlp.components import DocState

MAX_EXPLANATION = 20
LENGTH = 7  # position of the token length in nlp.tokens info tuples


def r4(x: float) -> float:
    """``round(x, 4)`` for the hot path (round() on floats is a slow correctly-rounded decimal routine)."""
    return math.floor(x * 10000.0 + 0.5) / 10000.0


class CompactAnalysis(TextAnalysis):
    """A TextAnalysis whose mentions, sentences and explanation are stored as rows (see module doc)."""

    __slots__ = ("_rows",)

    @property
    def mentions(self) -> list[TopicMention]:  # type: ignore[override]
        """Topic mentions (built from the rows on each access)."""
        rows = self._get(0)
        return [TopicMention(t, n, Sentiment(lab, s), a, b, src, c) for t, n, lab, s, a, b, src, c in rows]

    @property
    def sentences(self) -> list[SentenceAnalysis]:  # type: ignore[override]
        """Sentences with their own sentiment."""
        return [SentenceAnalysis(a, b, Sentiment(lab, s)) for a, b, lab, s in self._get(1)]

    @property
    def explanation(self) -> list[Evidence]:  # type: ignore[override]
        """The words that carried the sentiment."""
        return [Evidence(*row) for row in self._get(2)]

    @property
    def intents(self) -> list[Intent]:  # type: ignore[override]
        """What each sentence is doing (bug report, question, churn risk, ...)."""
        return [Intent(*row) for row in self._get(3)]

    def _get(self, k: int) -> tuple:
        return self._rows[k]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict (without the text itself, which the caller already has)."""
        return {
            "sentiment": {"label": self.sentiment.label, "score": self.sentiment.score},
            "mentions": [
                {
                    "topic_id": t,
                    "topic_name": n,
                    "sentiment": {"label": lab, "score": s},
                    "start": a,
                    "end": b,
                    "source": src,
                    "confidence": c,
                }
                for t, n, lab, s, a, b, src, c in self._get(0)
            ],
            "sentences": [
                {"start": a, "end": b, "sentiment": {"label": lab, "score": s}}
                for a, b, lab, s in self._get(1)
            ],
            "keyphrases": list(self.keyphrases),
            "language": self.language,
            "explanation": [{"text": x, "start": a, "end": b, "weight": w} for x, a, b, w in self._get(2)],
            "truncated": self.truncated,
            "intents": [
                {"label": lab, "score": p, "sentence": s, "start": a, "end": b}
                for lab, p, s, a, b in self._get(3)
            ],
        }

    def __eq__(self, other: object) -> bool:
        """Equal to any TextAnalysis (lazy or not) with the same field values."""
        if not isinstance(other, TextAnalysis):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in dataclasses.fields(TextAnalysis))

    __hash__ = None  # type: ignore[assignment]  # as the parent's: its lists are unhashable anyway

    def __reduce__(self):
        """Pickle as a plain TextAnalysis (the doc state is not needed once the rows exist)."""
        fields = (self.sentiment, self.mentions, self.sentences, self.keyphrases)
        rest = (self.language, self.explanation, self.truncated, self.text, self.intents)
        return (TextAnalysis, (*fields, *rest))


def compact_result(
    builder: Builder, text: str, truncated: bool, state: DocState, total: float
) -> CompactAnalysis:
    """The result of an analysed doc (``total``: its normalised score)."""
    r = object.__new__(CompactAnalysis)
    put = object.__setattr__
    put(r, "sentiment", builder.sentiment(total))
    put(r, "keyphrases", state.keyphrases)
    put(r, "language", state.language)
    put(r, "truncated", truncated)
    put(r, "text", text)
    put(r, "_rows", builder.rows(text, state))
    return r


class Builder:
    """Computes result rows for one Analyzer (its taxonomy, topic model and neutral band)."""

    def __init__(self, topics: list, topic_model, names: dict[str, str], band: float) -> None:
        self.topics = topics
        self.topic_model = topic_model
        self.names = names
        self.band = band
        self._neutral = Sentiment("neutral", 0.0)

    def sentiment(self, score: float) -> Sentiment:
        """A Sentiment for a normalised score (the shared neutral one for 0)."""
        if not score and self.band > 0:
            return self._neutral
        return Sentiment(label_for(score, self.band), r4(score))

    def rows(self, text: str, state: DocState) -> tuple[tuple, tuple, tuple, tuple]:
        """(mention rows, sentence rows, evidence rows, intent rows) of a doc, as tuples."""
        mentions = tuple(self.mention_rows(state, text)) if state.matches or state.model_topics else ()
        explanation = tuple(_evidence_rows(text, state)) if state.scored.hits else ()
        return mentions, tuple(self.sentence_rows(state)), explanation, intent_rows(state)

    def sentence_rows(self, state: DocState) -> list[tuple]:
        """(start, end, label, score) of each sentence."""
        sc, idx, infos, band = state.scored, state.idx, state.infos, self.band
        w = sc.weights
        out = []
        for (a, b), e in zip(sc.sentences, sc.emphasis, strict=True):
            s = normalize(sum(w[a:b]) + e) if sc.hits else 0.0
            lab = label_for(s, band) if s or band <= 0 else "neutral"
            out.append((idx[a], idx[b - 1] + infos[b - 1][LENGTH], lab, r4(s)))
        return out

    def mention_rows(self, state: DocState, text: str) -> list[tuple]:
        """(topic id, name, label, score, start, end, source, confidence) per mention; one per topic and
        clause; the topic model's guesses for topics no phrase found come last."""
        sc, idx, infos = state.scored, state.idx, state.infos
        tm = self.topic_model
        pol = (
            tm.polarity.topics
            if tm is not None and tm.polarity is not None and state.language == "en"
            else ()
        )
        out: list[tuple] = []
        seen: set[tuple[int, int]] = set()
        cstarts = sc.clause_starts
        for topic_idx, start, end, conf in state.matches:
            key = (topic_idx, bisect_right(cstarts, start))
            if key in seen:
                continue
            seen.add(key)
            topic = self.topics[topic_idx]
            if topic.id in pol:
                sent = tm.topic_sentiment(state, topic.id, self.band)
                lab, s = sent.label, sent.score
            else:
                s = _mention_score(sc, start, end)
                lab = label_for(s, self.band) if s or self.band <= 0 else "neutral"
                s = r4(s)
            b = idx[end - 1] + infos[end - 1][LENGTH]
            out.append((topic.id, topic.name, lab, s, idx[start], b, "phrase", conf))
        if tm is not None:
            out.extend(tm.mention_rows(state, text, {r[0] for r in out}, self.names, self.band))
        return out


def _mention_score(sc, start: int, end: int) -> float:
    """The mention's segment score, else its clause's, else its sentence's (see nlp.sentiment)."""
    if not sc.hits:
        return 0.0
    w = sc.weights
    n = len(w)
    for starts in (sc.seg_starts, sc.clause_starts):
        a = starts[bisect_right(starts, start) - 1]
        k = bisect_right(starts, end - 1)
        total = sum(w[a : starts[k] if k < len(starts) else n])
        if total:
            return normalize(total)
    for a, b in sc.sentences:
        if a <= start < b:
            return normalize(sum(w[a:b]))
    return 0.0


def _evidence_rows(text: str, state: DocState) -> list[tuple]:
    """(text, start, end, weight) of the words that carried the sentiment (at most MAX_EXPLANATION)."""
    sc = state.scored
    w, idx, infos = sc.weights, state.idx, state.infos
    hits = sc.hits
    if len(hits) > MAX_EXPLANATION:
        hits = sorted(sorted(hits, key=lambda i: -abs(w[i]))[:MAX_EXPLANATION])
    out = []
    for i in hits:
        a = idx[i]
        b = a + infos[i][LENGTH]
        out.append((text[a:b], a, b, math.floor(w[i] * 1000.0 + 0.5) / 1000.0))
    return out


def intent_rows(state: DocState) -> tuple:
    """(label, score, sentence, start, end) of each intent, with character offsets."""
    if not state.intents:
        return ()
    idx, infos = state.idx, state.infos
    return tuple((lab, p, s, idx[a], idx[b - 1] + infos[b - 1][LENGTH]) for lab, p, s, a, b in state.intents)
