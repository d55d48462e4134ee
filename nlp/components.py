"""The one place where Clearloop's spaCy components and Doc extensions are registered.

Components share one :class:`nlp.tokens.TokenTable` (owned by ``clearloop_features``) so each distinct
token string is analysed once per process. Results live in Doc extensions with plain defaults (no getters:
per-token getters are what makes asent 20x slower).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from spacy.attrs import IDX, ORTH
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch

from nlp import keyphrases as kp
from nlp.language import detect_from_profiles
from nlp.lexicon import Lexicon
from nlp.matcher import Match, TopicMatcher
from nlp.sentiment import F_FOREIGN, F_NONASCII, Scored, score
from nlp.taxonomy import Taxonomy
from nlp.tokens import TokenTable, known_english_words

_ATTRS = [ORTH, IDX]
if not Doc.has_extension("clearloop"):
    Doc.set_extension("clearloop", default=None)


@dataclass(slots=True)
class DocState:
    """Everything the Clearloop components computed for one doc (``doc._.clearloop``)."""

    infos: list[tuple]
    idx: list[int]  # character offset of each token
    language: str
    scored: Scored | None = None
    matches: list[Match] = field(default_factory=list)
    keyphrases: list[str] = field(default_factory=list)
    model_topics: dict[str, float] = field(default_factory=dict)


class AnalysisComponent:
    """Token infos, language, sentiment, taxonomy topics and keyphrases in one pass.

    One component rather than four: every ``doc._`` access builds an Underscore object, and at 20k+
    texts/s those few microseconds per component are a third of the budget.
    """

    def __init__(self, nlp: Language, taxonomy: Taxonomy | None, fuzzy: bool = True) -> None:
        tokenizer = nlp.tokenizer
        self.strings = nlp.vocab.strings
        self.lexicon = Lexicon.load()
        self.matcher = None
        if taxonomy is not None:
            known = known_english_words() if fuzzy else frozenset()
            self.matcher = TopicMatcher(taxonomy, lambda s: [t.text for t in tokenizer(s)], known)
        self.table = TokenTable(self.lexicon, self.matcher)
        self.parsed = "parser" in nlp.pipe_names

    def __call__(self, doc: Doc) -> Doc:
        arr = doc.to_array(_ATTRS)
        infos = self.table.infos(arr[:, 0].tolist(), self.strings)
        anyflag = reduce(or_, [x[4] for x in infos], 0)
        if anyflag & (F_NONASCII | F_FOREIGN):
            # doc.text joins every token: only build it when a non-ASCII token needs a script check.
            text = doc.text if anyflag & F_NONASCII else ""
            language = detect_from_profiles(text, [x[8] for x in infos])
        else:
            language = "en"
        state = DocState(infos, arr[:, 1].tolist(), language)
        if language == "en":
            state.scored = score(infos, self.lexicon)
            if self.matcher is not None:
                state.matches = self.matcher.match(infos)
            state.keyphrases = kp.from_noun_chunks(doc) if self.parsed else kp.extract(infos)
        doc._.clearloop = state
        return doc


class TopicModelComponent:
    """Turn a ``textcat_multilabel`` component's scores into topic guesses above per-label thresholds."""

    def __init__(self, textcat_name: str, thresholds: dict[str, float]) -> None:
        self.textcat_name = textcat_name
        self.thresholds = thresholds
        self.linear = None  # an nlp.linear.LinearTopicModel averaged with the textcat (set by TopicModel)

    def pipe(self, docs, batch_size: int = 256):
        """Batched: the linear model scores a whole batch with one numpy reduction."""
        for batch in minibatch(docs, batch_size):
            if self.linear is None:
                yield from (self(doc) for doc in batch)
                continue
            states = [doc._.clearloop for doc in batch]
            live = [k for k, s in enumerate(states) if s is not None and s.language == "en"]
            scores = self.linear.batch_scores([states[k].infos for k in live]) if live else []
            labels, th = self.linear.labels, self.thresholds
            for k, row in zip(live, scores, strict=True):
                cats = batch[k].cats
                avg = {lab: (cats.get(lab, 0.0) + float(p)) / 2 for lab, p in zip(labels, row, strict=True)}
                states[k].model_topics = {lab: v for lab, v in avg.items() if v >= th.get(lab, 0.5)}
            yield from batch

    def __call__(self, doc: Doc) -> Doc:
        state = doc._.clearloop
        if state is not None and state.language == "en":
            th = self.thresholds
            cats = doc.cats
            if self.linear is not None:
                lin = self.linear.scores(state.infos)
                cats = {
                    k: (cats.get(k, 0.0) + float(p)) / 2 for k, p in zip(self.linear.labels, lin, strict=True)
                }
            state.model_topics = {k: v for k, v in cats.items() if v >= th.get(k, 0.5)}
        return doc


@Language.factory("clearloop_analysis", default_config={"taxonomy_json": "", "fuzzy": True})
def make_analysis(nlp: Language, name: str, taxonomy_json: str, fuzzy: bool) -> AnalysisComponent:
    """Factory: the analysis component (taxonomy given as JSON from Taxonomy.to_dict, "" for none)."""
    taxonomy = Taxonomy.from_dict(json.loads(taxonomy_json)) if taxonomy_json else None
    return AnalysisComponent(nlp, taxonomy, fuzzy)


@Language.factory("clearloop_topic_model", default_config={"textcat": "textcat_multilabel", "thresholds": {}})
def make_topic_model(
    nlp: Language, name: str, textcat: str, thresholds: dict[str, float]
) -> TopicModelComponent:
    """Factory: thresholded topic guesses from a textcat_multilabel component."""
    return TopicModelComponent(textcat, dict(thresholds))
