"""The Analyzer: builds the spaCy pipeline once and turns texts into :class:`TextAnalysis` results."""

from __future__ import annotations

import gc
import json
import logging
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property
from importlib import resources
from itertools import islice
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from nlp.components import DocState, state_of
from nlp.lexicon import Lexicon
from nlp.sentiment import mention_score, normalize
from nlp.taxonomy import Taxonomy
from nlp.text import MAX_CHARS, clean, truncate
from nlp.types import (
    NEUTRAL,
    Evidence,
    Mention,
    SentenceAnalysis,
    Sentiment,
    TextAnalysis,
    label_for,
)

log = logging.getLogger(__name__)
CODE_VERSION = "1.0.0"  # bump when analysis rules change, so stored results can be recomputed
MAX_EXPLANATION = 20


def calibration() -> dict:
    """The shipped neutral-band calibration (see benchmarks/nlp_calibrate.py for how it was made)."""
    return json.loads(resources.files("nlp.data").joinpath("calibration.json").read_text(encoding="utf-8"))


def build_pipeline(taxonomy: Taxonomy | None, model: str | None = None, fuzzy: bool = True) -> Language:
    """Return a pipeline: ``spacy.blank("en")`` (or an installed ``model``) plus Clearloop components."""
    nlp = spacy.load(model, exclude=["ner", "textcat", "textcat_multilabel"]) if model else spacy.blank("en")
    tax_json = json.dumps(taxonomy.to_dict()) if taxonomy is not None else ""
    nlp.add_pipe("clearloop_analysis", config={"taxonomy_json": tax_json, "fuzzy": fuzzy})
    return nlp


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC during one batch: analysis allocates many small acyclic objects, and letting
    the collector walk a worker's heap every few hundred of them costs ~20% of throughput."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _batches(items: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


class Analyzer:
    """Topics, sentiment (document, sentence, topic), keyphrases and language of customer comments.

    Build one per worker process (the pipeline is built here, once) and call :meth:`analyze` with batches.
    """

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        model: str | None = None,
        topic_model_path: str | Path | None = None,
        *,
        max_chars: int = MAX_CHARS,
        batch_size: int = 256,
        neutral_band: float | None = None,
        fuzzy: bool = True,
    ) -> None:
        self.taxonomy = taxonomy if taxonomy is not None else Taxonomy.default()
        self.model = model
        self.max_chars = max_chars
        self.batch_size = batch_size
        self.neutral_band = neutral_band if neutral_band is not None else float(calibration()["neutral_band"])
        self.nlp = build_pipeline(self.taxonomy, model, fuzzy)
        self.topic_model = None
        if topic_model_path is not None:
            from nlp.topic_model import TopicModel  # imported lazily: only workers with a model need it

            self.topic_model = TopicModel.load(topic_model_path)
            self.topic_model.attach(self.nlp)
        self.lexicon: Lexicon = self.nlp.get_pipe("clearloop_analysis").lexicon
        self._names = {t.id: t.name for t in self.taxonomy}

    @cached_property
    def version(self) -> str:
        """Changes whenever the code rules, taxonomy, base model or topic model change."""
        base = self.model or "blank"
        if self.model:
            base += "@" + self.nlp.meta.get("version", "?")
        tm = self.topic_model.fingerprint if self.topic_model is not None else "-"
        return f"clearloop-nlp/{CODE_VERSION};tax={self.taxonomy.fingerprint()};base={base};topics={tm}"

    def analyze(self, texts: Iterable[str]) -> list[TextAnalysis]:
        """Analyse texts in order (batched through ``nlp.pipe``); never raises on odd text."""
        return list(self.pipe(texts))

    def analyze_one(self, text: str) -> TextAnalysis:
        """Analyse a single text."""
        return self.analyze([text])[0]

    def pipe(self, texts: Iterable[str]) -> Iterator[TextAnalysis]:
        """Stream analyses for a (possibly long) iterable of texts, one batch at a time."""
        for batch in _batches(texts, self.batch_size):
            with _gc_paused():
                prepared = [truncate(clean(t), self.max_chars) for t in batch]
                docs = self._docs([p[0] for p in prepared])
                results = [
                    self._result(text, trunc, doc) for (text, trunc), doc in zip(prepared, docs, strict=True)
                ]
            yield from results

    def docs(self, texts: Iterable[str]) -> Iterator[Doc]:
        """Processed spaCy docs (for evaluation and training code that needs token-level detail)."""
        return self._docs([truncate(clean(t), self.max_chars)[0] for t in texts])

    def _docs(self, texts: list[str]) -> Iterator[Doc | None]:
        try:
            yield from self.nlp.pipe(texts, batch_size=self.batch_size)
            return
        except Exception:  # one bad text must not sink the batch: redo one by one
            log.exception("batch analysis failed; retrying texts one by one")
        for text in texts:
            try:
                yield self.nlp(text)
            except Exception:
                log.exception("analysis failed for one text (%d chars)", len(text))
                yield None

    def _result(self, text: str, truncated: bool, doc: Doc | None) -> TextAnalysis:
        state = state_of(doc) if doc is not None else None
        if state is None or state.scored is None:
            lang = state.language if state is not None else "und"
            return TextAnalysis(NEUTRAL, language=lang, truncated=truncated, text=text)
        sc = state.scored
        band = self.neutral_band
        total = normalize(sc.total)
        idx, infos, w = state.idx, state.infos, sc.weights
        sentences = []
        for (a, b), e in zip(sc.sentences, sc.emphasis, strict=True):
            s = normalize(sum(w[a:b]) + e) if sc.hits else 0.0
            sentences.append(SentenceAnalysis(idx[a], idx[b - 1] + infos[b - 1][7], _sentiment(s, band)))
        return TextAnalysis(
            sentiment=_sentiment(total, band),
            mentions=self._mentions(state, text) if state.matches or state.model_topics else [],
            sentences=sentences,
            keyphrases=state.keyphrases,
            language="en",
            explanation=_explain(text, state) if sc.hits else [],
            truncated=truncated,
            text=text,
        )

    def _mentions(self, state: DocState, text: str) -> list[Mention]:
        sc = state.scored
        out: list[Mention] = []
        seen: set[tuple[int, int]] = set()
        topics = self.taxonomy.topics
        idx, infos = state.idx, state.infos
        for m in state.matches:
            key = (m.topic, sc.clause_of(m.start))
            if key in seen:
                continue
            seen.add(key)
            topic = topics[m.topic]
            end = idx[m.end - 1] + infos[m.end - 1][7]
            sent = self._mention_sentiment(state, topic.id, m.start, m.end)
            out.append(Mention(topic.id, topic.name, sent, idx[m.start], end, "phrase", m.confidence))
        if self.topic_model is not None:
            out.extend(self.topic_model.mentions(state, text, out, self._names, self.neutral_band))
        return out

    def _mention_sentiment(self, state: DocState, topic_id: str, start: int, end: int) -> Sentiment:
        """The learned polarity model when it was trained on this topic, else the mention's own clause."""
        tm = self.topic_model
        if tm is not None and tm.polarity is not None and topic_id in tm.polarity.topics:
            return tm.topic_sentiment(state, topic_id, self.neutral_band)
        return _sentiment(mention_score(state.scored, start, end), self.neutral_band)


def _r4(x: float) -> float:
    """``round(x, 4)`` for the hot path (round() on floats is a slow correctly-rounded decimal routine)."""
    return math.floor(x * 10000.0 + 0.5) / 10000.0


def _sentiment(score: float, band: float) -> Sentiment:
    if not score and band > 0:
        return NEUTRAL
    return Sentiment(label_for(score, band), _r4(score))


def _explain(text: str, state: DocState) -> list[Evidence]:
    """The words that carried the sentiment, with their final weights (at most MAX_EXPLANATION)."""
    sc = state.scored
    w, idx, infos = sc.weights, state.idx, state.infos
    hits = sc.hits
    if len(hits) > MAX_EXPLANATION:
        hits = sorted(sorted(hits, key=lambda i: -abs(w[i]))[:MAX_EXPLANATION])
    out = []
    for i in hits:
        a = idx[i]
        b = a + infos[i][7]
        out.append(Evidence(text[a:b], a, b, math.floor(w[i] * 1000.0 + 0.5) / 1000.0))
    return out
