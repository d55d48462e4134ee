"""The Analyzer: builds the spaCy pipeline once and turns texts into :class:`TextAnalysis` results."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property
from importlib import resources
from itertools import islice
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from nlp.components import state_of
from nlp.lexicon import Lexicon
from nlp.results import Builder, compact_result
from nlp.sentiment import normalize
from nlp.taxonomy import Taxonomy
from nlp.text import MAX_CHARS, clean, truncate
from nlp.types import NEUTRAL, TextAnalysis

log = logging.getLogger(__name__)
CODE_VERSION = "1.9.0"  # bump when analysis rules change, so stored results can be recomputed
# the components that work only on the analyser's own token facts, never on spaCy's lexical attributes
OWN_COMPONENTS = frozenset({"clearloop_analysis", "clearloop_topic_model"})


def calibration() -> dict:
    """The shipped neutral-band calibration (see benchmarks/nlp_calibrate.py for how it was made)."""
    return json.loads(resources.files("nlp.data").joinpath("calibration.json").read_text(encoding="utf-8"))


def build_pipeline(
    taxonomy: Taxonomy | None,
    model: str | None = None,
    fuzzy: bool = True,
    cache_dir: str | Path | None = None,
) -> Language:
    """Return a pipeline: ``spacy.blank("en")`` (or an installed ``model``) plus Clearloop components.
    ``cache_dir``: where the constructed pieces are kept between processes (nlp.cache; None: not kept)."""
    nlp = spacy.load(model, exclude=["ner", "textcat", "textcat_multilabel"]) if model else spacy.blank("en")
    tax_json = json.dumps(taxonomy.to_dict()) if taxonomy is not None else ""
    config = {"taxonomy_json": tax_json, "fuzzy": fuzzy, "cache_dir": str(cache_dir) if cache_dir else ""}
    nlp.add_pipe("clearloop_analysis", config=config)
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


# Varied comments a new analyser runs once (worker start, app/analysis/pipeline.py), so the lazy caches
# (spaCy's tokenizer and vocabulary, the lexicons, the matcher, the typo index) are filled before its
# first job.
WARM_UP_TEXTS = (
    "The dashboard is great and saves us hours every week.",
    "Honestly the reports keep crashing since the last update, please fix it!",
    "We love the Salesforce integration, but the billing page is way too slow.",
    "Support answered in minutes. Onboarding was smooth; the docs could be clearer.",
    "Pricing went up 20% and nobody told us. We are considering other vendors.",
    "SSO login fails for half of our team and the CSV export is missing columns.",
    "Not bad, not great. The mobile app needs work.",
    "Search doesn't find invoices older than a year, which is a real problem for audits.",
    "Would be nice to have permissions per project. Otherwise very happy :)",
    "Das Dashboard ist super, aber der Export ist zu langsam.",
    "Le support est rapide mais la facturation est confuse.",
    "El informe mensual es muy útil, pero la aplicación móvil falla a menudo.",
    "I can't log in!!! Third time this week. Cancel my subscription.",
    "Great product, terrible invoices; the API rate limits hurt our integration.",
)


def warm_up(analyzer: Analyzer) -> None:
    """Run a new analyser once over :data:`WARM_UP_TEXTS` (a failure only leaves it cold, never unusable)."""
    try:
        analyzer.analyze(WARM_UP_TEXTS)
    except Exception:
        log.exception("warming the analyzer failed; jobs will start cold")


def ready_for_jobs(analyzer: Analyzer) -> None:
    """What a worker does with its built analyser before its first job (``preload_analyzer`` in
    app/analysis/services.py; benchmarks/nlp_throughput.py does the same, so its figures are a worker's):
    warm it (:func:`warm_up`), then collect and freeze the heap (``gc.freeze``). The pipeline's tables,
    models and caches - and the app loaded with them - move to the permanent generation: the full
    collections that jobs still trigger (between batches, see :func:`_gc_paused`) no longer walk them
    (~0.15-0.2 s each on this heap, a few % of the analysis and most of a bare tokenizer's turn), and
    forked work horses share those pages instead of copying them when a collection touches every
    object. Frozen objects are never collected: a process that drops this analyser (a rebuild after a
    taxonomy edit) keeps its cyclic parts until ``gc.unfreeze()`` or the worker's memory-growth restart."""
    warm_up(analyzer)
    gc.collect()
    gc.freeze()


def stated_language(code: str | None) -> str:
    """A caller's language code ("de", "de-AT", "fr_CA", None) as a detection default: "de", "fr" or
    "es" for those languages, else "en" (the naive-Bayes detector knows these four)."""
    base = (code or "en").replace("_", "-").split("-", 1)[0].strip().lower()
    return base if base in ("de", "fr", "es") else "en"


def _batches(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


class Analyzer:
    """Topics, sentiment (document, sentence, topic), keyphrases and language of customer comments.

    Build one per worker process (the pipeline is built here, once) and call :meth:`analyze` with batches.
    ``cache_dir``: a folder where the constructed tables and models are kept for the next process
    (``nlp.cache``: keyed by a hash of their inputs, rebuilt when these change); None keeps nothing.
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
        cache_dir: str | Path | None = None,
    ) -> None:
        self.taxonomy = taxonomy if taxonomy is not None else Taxonomy.default()
        self.model = model
        self.max_chars = max_chars
        self.batch_size = batch_size
        self.neutral_band = neutral_band if neutral_band is not None else float(calibration()["neutral_band"])
        self.nlp = build_pipeline(self.taxonomy, model, fuzzy, cache_dir)
        self.topic_model = None
        if topic_model_path is not None:
            from nlp.topic_model import TopicModel  # imported lazily: only workers with a model need it

            self.topic_model = TopicModel.load(topic_model_path)
            self.topic_model.attach(self.nlp)
        if model is None and set(self.nlp.pipe_names) <= OWN_COMPONENTS:
            # Nothing in this pipeline reads spaCy's lexical attributes (the components work on their own
            # token facts, nlp.tokens), so spaCy need not compute shape, norm, like_num, ... for every
            # new word (~40 % of the blank tokenizer's first pass over new text); a base model or a
            # topic model's textcat reads them, and keeps them
            self.nlp.vocab.lex_attr_getters = {}
        self.lexicon: Lexicon = self.nlp.get_pipe("clearloop_analysis").lexicon
        self._names = {t.id: t.name for t in self.taxonomy}
        self._builder = Builder(self.taxonomy.topics, self.topic_model, self._names, self.neutral_band)

    @cached_property
    def version(self) -> str:
        """Changes whenever the code rules, taxonomy, base model or topic model change."""
        base = self.model or "blank"
        if self.model:
            base += "@" + self.nlp.meta.get("version", "?")
        tm = self.topic_model.fingerprint if self.topic_model is not None else "-"
        return f"clearloop-nlp/{CODE_VERSION};tax={self.taxonomy.fingerprint()};base={base};topics={tm}"

    def analyze(
        self, texts: Iterable[str], languages: str | Iterable[str | None] | None = None
    ) -> list[TextAnalysis]:
        """Analyse texts in order (batched through ``nlp.pipe``); never raises on odd text.

        ``languages``: the language each text is stated to be in (the survey's locale, a data set's
        language; one code for all texts, or one per text, None for unknown). A stated German, French
        or Spanish is the default detection must clearly beat (short or mixed texts keep it); without
        one, English is that default.
        """
        return list(self.pipe(texts, languages))

    def analyze_one(self, text: str, language: str | None = None) -> TextAnalysis:
        """Analyse a single text."""
        return self.analyze([text], language)[0]

    def pipe(
        self, texts: Iterable[str], languages: str | Iterable[str | None] | None = None
    ) -> Iterator[TextAnalysis]:
        """Stream analyses for a (possibly long) iterable of texts, one batch at a time."""
        if languages is None:
            items: Iterable = ((t, "en") for t in texts)
        elif isinstance(languages, str):
            items = ((t, stated_language(languages)) for t in texts)
        else:
            items = ((t, stated_language(lang)) for t, lang in zip(texts, languages, strict=True))
        for pairs in _batches(items, self.batch_size):
            batch = [t for t, _ in pairs]
            with _gc_paused():
                prepared = [truncate(clean(t), self.max_chars) for t in batch]
                docs = list(self._docs([p[0] for p in prepared], [lang for _, lang in pairs]))
                if self.topic_model is not None:
                    self.topic_model.prefetch([state_of(d) for d in docs if d is not None], self.taxonomy)
                results = [
                    self._result(text, trunc, doc) for (text, trunc), doc in zip(prepared, docs, strict=True)
                ]
                # the docs and their states are dropped while the collector is still paused: the collection
                # that re-enabling it soon triggers walks only the results, not every doc's lists and tuples
                del docs
            yield from results

    def docs(self, texts: Iterable[str]) -> Iterator[Doc]:
        """Processed spaCy docs (for evaluation and training code that needs token-level detail)."""
        return self._docs([truncate(clean(t), self.max_chars)[0] for t in texts])

    def _docs(self, texts: list[str], languages: list[str] | None = None) -> Iterator[Doc | None]:
        # (text, context) tuples: spaCy hands each component the context as ``doc._context``, so the
        # analysis component reads the text instead of rebuilding it from the tokens (all or none: order
        # is kept); the context is (text, language) when a language other than English is stated
        contexts = (
            texts
            if languages is None
            else [t if lang == "en" else (t, lang) for t, lang in zip(texts, languages, strict=True)]
        )
        try:
            pairs = self.nlp.pipe(
                zip(texts, contexts, strict=True), batch_size=self.batch_size, as_tuples=True
            )
            docs = [d for d, _ in pairs]
        except Exception:  # one bad text must not sink the batch: redo one by one
            log.exception("batch analysis failed; retrying texts one by one")
        else:
            yield from docs
            return
        for text, context in zip(texts, contexts, strict=True):
            try:
                yield self.nlp(self.nlp._ensure_doc_with_context(text, context))
            except Exception:
                log.exception("analysis failed for one text (%d chars)", len(text))
                yield None

    def _result(self, text: str, truncated: bool, doc: Doc | None) -> TextAnalysis:
        state = state_of(doc) if doc is not None else None
        if state is None or state.scored is None:
            lang = state.language if state is not None else "und"
            return TextAnalysis(NEUTRAL, language=lang, truncated=truncated, text=text)
        return compact_result(self._builder, text, truncated, state, normalize(state.scored.total))
