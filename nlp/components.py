"""The one place where Clearloop's spaCy components and Doc extensions are registered.

Components share one :class:`nlp.tokens.TokenTable` (owned by ``clearloop_features``) so each distinct
token string is analysed once per process. Results live in Doc extensions with plain defaults (no getters:
per-token getters are what makes asent 20x slower).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np
from spacy.attrs import IDX, ORTH
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch

from nlp import cache, multilingual, sentiment_model
from nlp import intent as intents_mod
from nlp import keyphrases as kp
from nlp.decide import ARGMAX
from nlp.flags import F_ALPHA, F_FOREIGN, F_FUZZY, F_NONASCII
from nlp.joint import JointLogits
from nlp.language import NaiveBayes, detect_language_nb, naive_bayes, use_naive_bayes
from nlp.lexicon import Lexicon, known_english_words, use_known_english_words
from nlp.matcher import Match, TopicMatcher
from nlp.sentiment import Scored, score
from nlp.taxonomy import Taxonomy
from nlp.tokens import TokenTable

_ATTRS = [ORTH, IDX]
_FLAGS_OF = itemgetter(4)  # of a nlp.tokens info tuple
_PROFILE_OF = itemgetter(8)
if not Doc.has_extension("clearloop"):
    Doc.set_extension("clearloop", default=None)
# Where spaCy keeps the value of ``doc._.clearloop`` (Underscore stores extension values in user_data under
# this key). Reading and writing it directly skips building an Underscore object per access, ~2 us a doc;
# tests/nlp/test_components.py checks that ``doc._.clearloop`` still sees the same object.
STATE_KEY = ("._.", "clearloop", None, None)


def state_of(doc: Doc) -> DocState | None:
    """The Clearloop analysis of a processed doc (same object as ``doc._.clearloop``)."""
    return doc.user_data.get(STATE_KEY)


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
    memo: dict | None = None  # per-doc values shared by several topics (nlp.polarity)
    intents: list[tuple] = field(default_factory=list)  # (label, score, sentence, first token, end token)


def _text(orths: list[int], idx: list[int], strings) -> str:
    """The doc's text up to its last token, from its token strings and offsets (the tokenizer keeps
    every character; the gap between two tokens is at most the one space it records as whitespace):
    several times cheaper than ``doc.text``, which builds a Token object per token."""
    parts = []
    end = 0
    for o, i in zip(orths, idx, strict=True):
        if i > end:
            parts.append(" " * (i - end))
        t = strings[o]
        parts.append(t)
        end = i + len(t)
    return "".join(parts)


@dataclass(slots=True)
class Pieces:
    """What :class:`AnalysisComponent` builds from its inputs alone (kept in the NLP cache, nlp.cache)."""

    lexicon: Lexicon
    known: frozenset[str]
    matcher: TopicMatcher | None
    intent_model: intents_mod.IntentModel | None
    stem_matchers: dict[str, multilingual.StemMatcher]
    naive_bayes: NaiveBayes | None
    sentence_model: sentiment_model.SentenceSentiment | None
    # per-token facts of the analyser's own vocabulary (below), computed at the build: cached with the
    # rest, so a fresh process's first call does not compute them for the most common words again
    token_infos: dict = field(default_factory=dict)
    # the de/fr/es models' per-token caches of their own vocabulary (multilingual.vocabulary_facts)
    foreign_facts: dict = field(default_factory=dict)


def _pieces(taxonomy: Taxonomy | None, fuzzy: bool, tokenize) -> Pieces:
    lexicon = Lexicon.load()
    lexicon.build_typo_index()  # also reads the English word list
    lexicon.mwe_anchors  # noqa: B018 - builds the cached property, so the cache holds it
    known = known_english_words()
    matcher = (
        TopicMatcher(taxonomy, tokenize, known if fuzzy else frozenset()) if taxonomy is not None else None
    )
    stems = (
        {lang: multilingual.StemMatcher(lang, list(taxonomy.topics)) for lang in multilingual.LANGS}
        if taxonomy is not None
        else {}
    )
    return Pieces(
        lexicon,
        known,
        matcher,
        intents_mod.default_model(),
        stems,
        naive_bayes(),
        sentiment_model.default_model(),
    )


def vocabulary(pieces: Pieces) -> list[str]:
    """The analyser's own vocabulary, never customer text: the language model's most frequent words of
    English, German, French and Spanish (as written and capitalised) and the sentiment lexicon's words.
    Their per-token facts are computed when the NLP cache is built and kept in it (~60 % of the word
    types of a varied comment corpus), so a fresh process's first call computes only the rarer ones."""
    words: set[str] = {w for w in pieces.lexicon.valence if w.isascii()}
    nb = pieces.naive_bayes
    if nb is not None:
        for lang in nb.langs:
            words.update(nb.words[lang])
    words.update([w.capitalize() for w in words if w.isalpha()])
    return sorted(words)


class AnalysisComponent:
    """Token infos, language, sentiment, taxonomy topics and keyphrases in one pass.

    One component rather than four: every ``doc._`` access builds an Underscore object, and at 20k+
    texts/s those few microseconds per component are a third of the budget.
    """

    def __init__(
        self, nlp: Language, taxonomy: Taxonomy | None, fuzzy: bool = True, cache_dir: str | None = None
    ) -> None:
        tokenizer = nlp.tokenizer
        self.strings = nlp.vocab.strings
        self.parsed = "parser" in nlp.pipe_names

        def tokenize(s: str) -> list[str]:
            return [t.text for t in tokenizer(s)]

        # the constructed pieces, read back from the NLP cache when their inputs are unchanged
        inputs = cache.inputs_key(
            json.dumps(taxonomy.to_dict(), sort_keys=True) if taxonomy is not None else "-",
            f"fuzzy={fuzzy}",
            f"lang={nlp.lang};model={nlp.meta.get('name')}@{nlp.meta.get('version')}",
        )

        def build() -> Pieces:
            pieces = _pieces(taxonomy, fuzzy, tokenize)
            if cache_dir is not None:  # worth it only when kept for the next processes
                table = TokenTable(pieces.lexicon, pieces.matcher)
                nb = pieces.naive_bayes
                for word in vocabulary(pieces):
                    table.info_for(self.strings.add(word), word)
                    if nb is not None and word.isalpha() and word.islower():
                        nb.word_scores(word)
                pieces.token_infos = table._cache
                pieces.foreign_facts = multilingual.vocabulary_facts(nb.words if nb is not None else None)
            return pieces

        self._adopt(cache.load_or_build("analysis", inputs, build, cache_dir), tokenize)
        # everything loaded lazily elsewhere is loaded now, so a worker's first call pays none of it
        for lang in multilingual.LANGS:
            multilingual.sentiment_model(lang)
            multilingual.polarity_stems(lang)

    def _adopt(self, pieces: Pieces, tokenize) -> None:
        use_known_english_words(pieces.known)
        use_naive_bayes(pieces.naive_bayes)
        multilingual.adopt_facts(pieces.foreign_facts)
        self.naive_bayes = naive_bayes()  # the process's model (the one detect_language_nb uses)
        self.lexicon = pieces.lexicon
        self.matcher = pieces.matcher
        if self.matcher is not None:
            self.matcher.attach_tokenizer(tokenize)
        self.table = TokenTable(self.lexicon, self.matcher, pieces.token_infos)
        self.intent_model = pieces.intent_model
        # the learned English sentence sentiment (None: rules only, as its training script needs)
        self.sentence_model = pieces.sentence_model
        # both models' per-sentence logits in one pass over the tokens (nlp.joint)
        self.joint = (
            JointLogits(self.intent_model, self.sentence_model)
            if self.intent_model is not None and self.sentence_model is not None
            else None
        )
        # de/fr/es: the taxonomy's phrases on Snowball stems, built at construction (no first-call cost)
        self._stem_matchers = pieces.stem_matchers

    def __call__(self, doc: Doc) -> Doc:
        half = self._analyze(doc)
        if half is not None:
            if half[0] == "en":
                self._english_batch([half])
            else:
                self._foreign(half, None)
        return doc

    def pipe(self, docs, batch_size: int = 256):
        """Batched: a batch's new words get their language scores in one go (``NaiveBayes.score_words``),
        its English sentences both learned models' logits from one sum (``JointLogits.batch``) and its
        German, French and Spanish docs their sentiment model's logits from one gather per language
        (``multilingual.plan``) instead of a few numpy calls per sentence."""
        nb = self.naive_bayes
        for batch in minibatch(docs, batch_size):
            facts = list(map(self._facts, batch))
            if nb is not None:
                nb.score_words([w for f in facts for w in f[4] if len(f[4]) > 1 or not w.isascii()])
            english, foreign = [], []
            for half in map(self._analyze, batch, facts):
                if half is not None:
                    (english if half[0] == "en" else foreign).append(half)
            if english:
                self._english_batch(english)
            if foreign:
                pres = multilingual.plan([f[:5] for f in foreign])
                for f, pre in zip(foreign, pres, strict=True):
                    self._foreign(f, pre)
            yield from batch

    def _foreign(self, f: tuple, pre) -> None:
        """The rest of a de/fr/es doc's analysis (``f`` from :meth:`_analyze`)."""
        scored, infos, idx, text, language, state = f
        rows = multilingual.analyze(scored, infos, idx, text, language, pre)
        state.intents = [r[:5] for r in intents_mod.supported(scored, rows)]
        matcher = self._stem_matchers.get(language)
        if matcher is not None:
            state.matches = matcher.match(infos)

    def _facts(self, doc: Doc) -> tuple:
        """(token ids, offsets, token infos, flags, the words language detection reads) of a doc."""
        orths, idx = doc.to_array(_ATTRS).T.tolist() if len(doc) else ([], [])
        infos = self.table.infos(orths, self.strings)
        flags = list(map(_FLAGS_OF, infos))
        words = [x[0] for x, f in zip(infos, flags, strict=True) if f & F_ALPHA]
        return orths, idx, infos, flags, words

    def _analyze(self, doc: Doc, facts: tuple | None = None) -> tuple | None:
        """Analyse a doc (``facts``: its :meth:`_facts`, if computed) up to its language; an English,
        German, French or Spanish one is left half done: ("en", scored, infos, idx, text, state, flags,
        doc) is returned for :meth:`_english_batch`, (scored, infos, idx, text, language, state) for
        :meth:`_foreign`."""
        orths, idx, infos, flags, words = self._facts(doc) if facts is None else facts
        scored = score(infos, self.lexicon, flags)
        check = bool(scored.anyflags & (F_NONASCII | F_FOREIGN))
        # doc.text builds a Token per token: the text comes as the context, else is rebuilt when needed
        given = doc._context  # the text itself when the Analyzer piped (text, text) tuples
        stated = "en"
        if type(given) is tuple:  # (text, stated language): the caller knows the survey's language
            given, stated = given
        text = given if type(given) is str else ""
        if not text and scored.anyflags & F_NONASCII:
            text = _text(orths, idx, self.strings)
        language = detect_language_nb(
            text, list(map(_PROFILE_OF, infos)) if check else [], words, check, stated
        )
        state = DocState(infos, idx, language)
        doc.user_data[STATE_KEY] = state
        if language in multilingual.LANGS:
            state.scored = scored
            return scored, infos, idx, text or _text(orths, idx, self.strings), language, state
        if language == "en":
            state.scored = scored
            if scored.sentences and not text:
                text = _text(orths, idx, self.strings)
            return "en", scored, infos, idx, text, state, flags, doc
        return None

    def _english_batch(self, halves: list[tuple]) -> None:
        """The rest of a batch's English docs' analysis (each from :meth:`_analyze`): both learned models'
        sentence logits of all their sentences at once (``JointLogits.batch``), then per doc."""
        joint = self.joint
        live = [h for h in halves if h[1].sentences]
        pres = iter(joint.batch([(h[2], h[1].sentences) for h in live]) if joint is not None and live else ())
        for _, scored, infos, idx, text, state, flags, doc in halves:
            if scored.sentences:
                sents = scored.sentences
                pre = next(pres) if joint is not None else None
                rows = intents_mod.detect(self.intent_model, infos, idx, sents, text, scored=scored, pre=pre)
                if rows:
                    rows = intents_mod.supported(scored, rows)
                    intents_mod.make_problems_negative(scored, infos, idx, rows, text)
                    state.intents = [r[:5] for r in rows]
                if self.sentence_model is not None:
                    sparse = [p[2] for p in pre] if pre is not None else None
                    self.sentence_model.apply(scored, infos, state.intents, sparse)
            if self.matcher is not None and scored.hooks:
                state.matches = self.matcher.match(infos, scored.hooks, bool(scored.anyflags & F_FUZZY))
            state.keyphrases = kp.from_noun_chunks(doc) if self.parsed else kp.extract(infos, flags)


class TopicModelComponent:
    """Topic guesses above per-label thresholds from the textcat's scores averaged with a linear model's.

    ``mix`` is the textcat's weight in the average and ``fallback`` the label (or ``nlp.decide.ARGMAX``)
    given to a text that passes no threshold; both are set by :class:`nlp.topic_model.TopicModel`.
    """

    def __init__(self, textcat_name: str, thresholds: dict[str, float]) -> None:
        self.textcat_name = textcat_name
        self.thresholds = thresholds
        self.linear = None  # an nlp.linear.LinearTopicModel (set by TopicModel)
        self.labels: list[str] = list(thresholds)
        self.mix = 1.0
        self.fallback: str | None = None

    def pipe(self, docs, batch_size: int = 256):
        """Batched: the linear model scores a whole batch with one numpy reduction."""
        for batch in minibatch(docs, batch_size):
            states = [state_of(doc) for doc in batch]
            live = [k for k, s in enumerate(states) if s is not None and s.language == "en"]
            if live:
                scores = self._scores([batch[k] for k in live], [states[k].infos for k in live])
                th = np.array([self.thresholds.get(lab, 0.5) for lab in self.labels])
                for k, row in zip(live, scores, strict=True):
                    states[k].model_topics = self._decide(row, th)
            yield from batch

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def _scores(self, docs: list[Doc], infos: list[list[tuple]]) -> np.ndarray:
        labels, mix = self.labels, self.mix
        scores = np.zeros((len(docs), len(labels)))
        if mix > 0:
            scores += mix * np.array([[d.cats.get(lab, 0.0) for lab in labels] for d in docs])
        if self.linear is not None and mix < 1:
            scores += (1 - mix) * self.linear.batch_scores(infos)
        return scores

    def _decide(self, row: np.ndarray, th: np.ndarray) -> dict[str, float]:
        labels = self.labels
        hits = np.flatnonzero(row >= th)
        if not len(hits) and self.fallback is not None:
            j = int(np.argmax(row / th)) if self.fallback == ARGMAX else labels.index(self.fallback)
            return {labels[j]: float(row[j])}
        return {labels[j]: float(row[j]) for j in hits}


@Language.factory("clearloop_analysis", default_config={"taxonomy_json": "", "fuzzy": True, "cache_dir": ""})
def make_analysis(
    nlp: Language, name: str, taxonomy_json: str, fuzzy: bool, cache_dir: str
) -> AnalysisComponent:
    """Factory: the analysis component (taxonomy given as JSON from Taxonomy.to_dict, "" for none;
    ``cache_dir`` "" for no NLP cache)."""
    taxonomy = Taxonomy.from_dict(json.loads(taxonomy_json)) if taxonomy_json else None
    return AnalysisComponent(nlp, taxonomy, fuzzy, cache_dir or None)


@Language.factory("clearloop_topic_model", default_config={"textcat": "textcat_multilabel", "thresholds": {}})
def make_topic_model(
    nlp: Language, name: str, textcat: str, thresholds: dict[str, float]
) -> TopicModelComponent:
    """Factory: thresholded topic guesses from a textcat_multilabel component."""
    return TopicModelComponent(textcat, dict(thresholds))
