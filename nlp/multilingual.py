"""German, French and Spanish: sentiment, intents and topics of comments guessed to be in these languages.

- **Sentiment**: one multinomial logistic regression per language (negative/neutral/positive) over words
  (negation-marked: ``n=gut`` after "nicht"), Snowball stems, character n-grams, emoji/emoticon valence
  from the English lexicon (emoji are language-independent) and a small hand-written polarity word list
  per language. Trained on the UMSAB tweets' train + val splits, settings by 5-fold cross-validation,
  test read once (``python -m nlp.multilingual_train``); the shipped files
  ``nlp/data/sentiment_{de,fr,es}.npz`` are its output. Analyser 1.7.0: the label is the argmax of a
  **calibrated decision**, softmax(T z + w net (-1, 0, 1)) of the model's logits z and the span's
  negation-aware word-list net (T and w fitted by log-loss on the out-of-fold logits of train + val),
  taken on the whole comment; its valence is floored at the neutral band's edge so the analyser's label
  is that argmax. Each sentence gets its own decision for the explanation: the word list's word on the
  winning side, else the word that contributed most. Rule intents (bug report, complaint, churn) still
  make their sentence negative.
- **Intents**: per-language rules (question, malfunction, request) and churn-risk patterns
  (:mod:`nlp.churn`); praise and complaint from the sentence's sentiment.
- **Topics**: the taxonomy's phrases, stemmed with the language's Snowball stemmer (``pystemmer``), so
  the default taxonomy's German, French and Spanish phrases (and shared words such as "API", "Dashboard")
  match inflected forms. French elisions (``l'export``) are split before stemming.

Tokens come from the analyser's (English) tokenizer; everything here works on its cached token infos.
"""

from __future__ import annotations

import copy
import math
import re
from functools import lru_cache, partial
from importlib import resources
from itertools import chain, repeat
from operator import is_not

import numpy as np
import Stemmer

from nlp.churn import churn_risk, normalise
from nlp.flags import F_ALPHA, F_END, F_EXCL, F_QUEST, F_SPACE, FLAGS, LOWER, SCOPE_STOP, VAL
from nlp.matcher import Match
from nlp.ngrams import GramTable
from nlp.prefilter import needs

_add = np.add.reduce  # what ndarray.sum calls, without its Python wrapper (same result)
LANGS = ("de", "fr", "es")
CLASSES = ("negative", "neutral", "positive")
LENGTH = 7
STEMMERS = {"de": "german", "fr": "french", "es": "spanish"}
# For a model without a calibrated decision (1.6.0's files): valence per (net) word of the hand-written list,
# added to the model's; and whether a several-sentence doc's label comes from the whole doc (as the models
# were trained, on whole tweets) rather than the sum of its sentences'. Chosen per language on UMSAB val with
# models trained on train alone (de: doc-level 0.627 vs sentence sum 0.616 macro-F1). Spanish (its model
# retrained as TF-IDF in 1.4.0): sentence sum with weight 1.5 stayed best on val with a train-only model
# (0.567; doc-level 0.564 at 0.75, 0.556 at 0). A model with a calibrated decision (``combine``, 1.7.0)
# learned its word-list weight and is always read on the whole doc (German CV through the analyser: 0.660
# whole doc vs 0.631 sentence sum).
LEXICON_WEIGHT = {"de": 0.75, "fr": 0.75, "es": 1.5}
DOC_LEVEL = {"de": True, "fr": True, "es": False}
# Analyser 1.8.0: a calibrated decision whose winning class has less than this probability (no majority) is
# unsure, and the comment's hand-written word list, when it has a net polarity, decides its side. The English
# combination's precedence (the rules keep a sentence unless the learned model is sure of the opposite, p >
# 0.5), applied to de/fr/es: on feedback the tweet-trained models are rarely sure ("Die Oberfläche ist
# intuitiv." p = 0.43 / 0.36 / 0.21), and the word list is feedback vocabulary. The whole analyser, 5-fold CV
# on UMSAB train + val (analyser_cv), without -> with: de 0.6602 -> 0.6561, fr 0.6275 -> 0.6256, es 0.5424 ->
# 0.5402; the demo phrase bank (with the unmet-need complaint rules below) 65 -> 75 of 87.
UNSURE = 0.5
SCALE = 3.0  # valence of a sentence the model is sure about (a strong lexicon word is ~3)
NEGATORS = {
    "de": frozenset(
        ["nicht", "kein", "keine", "keinen", "keinem", "keiner", "nie", "niemals", "nichts", "weder", "ohne"]
    ),
    "fr": frozenset(["ne", "pas", "jamais", "plus", "rien", "aucun", "aucune", "ni", "sans", "n'"]),
    "es": frozenset(["no", "nunca", "jamás", "nada", "ningún", "ninguna", "ninguno", "ni", "sin", "tampoco"]),
}
# A small polarity word list per language (stems via the language's stemmer): common feedback vocabulary.
_POLARITY = {
    "de": (
        "gut super toll klasse prima perfekt hervorragend ausgezeichnet zufrieden begeistert schnell einfach "
        "intuitiv zuverlässig stabil hilfreich freundlich kompetent empfehlen empfehlung danke lieben liebe "
        "großartig genial spitze top übersichtlich praktisch angenehm reibungslos problemlos einwandfrei",
        "schlecht langsam teuer umständlich kompliziert enttäuscht enttäuschend enttäuschung fehler "
        "fehlerhaft kaputt absturz abstürze stürzt ärgerlich nervig frustrierend unzufrieden katastrophe "
        "katastrophal "
        "mangelhaft unbrauchbar problem probleme leider schade ewig nie unübersichtlich veraltet chaos "
        "verwirrend schrecklich furchtbar mies lahm",
    ),
    "fr": (
        "bien bon bonne super génial excellent parfait top rapide simple facile intuitif intuitive fiable "
        "stable efficace satisfait satisfaite ravi ravie merci recommande aime adore formidable pratique "
        "agréable clair claire utile réactif réactive impeccable bravo",
        "mauvais mauvaise lent lente cher chère compliqué compliquée déçu déçue décevant décevante bug bugs "
        "erreur erreurs plante planté panne problème problèmes frustrant insatisfait insatisfaite nul nulle "
        "catastrophe inutilisable malheureusement dommage horrible pénible confus confuse difficile cassé",
    ),
    "es": (
        "bien bueno buena excelente genial perfecto perfecta rápido rápida fácil sencillo intuitivo "
        "intuitiva "
        "fiable estable útil satisfecho satisfecha contento contenta gracias recomiendo encanta increíble "
        "maravilloso práctico claro agradable eficiente fantástico",
        "mal malo mala lento lenta caro cara complicado complicada decepcionado decepcionante error errores "
        "fallo fallos falla problema problemas frustrante insatisfecho horrible inútil lamentablemente "
        "pésimo pésima desastre confuso difícil roto cuelga terrible",
    ),
}
_ELISION = re.compile(r"^(?:l|d|j|qu|n|s|c|m|t)['\u2019](?=\w)")
_REPEAT = re.compile(r"(.)\1{2,}")
_SPACES = re.compile(r"\s+")
_MARKS = F_EXCL | F_QUEST
_NOT_NONE = partial(is_not, None)  # j -> j is not None (a feature id may be 0)


def char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Character ``lo``..``hi``-grams of a text across word boundaries (lower-cased, a letter repeated three
    or more times cut to two - "suuuper" = "suuper" -, whitespace runs as one space, padded with a space),
    without the "x=" prefix their feature names carry: emoji, punctuation runs and word pieces."""
    t = _char_text(text)
    return [t[j : j + n] for n in range(lo, hi + 1) for j in range(len(t) - n + 1)]


def _char_text(text: str) -> str:
    """The text :func:`char_ngrams` cuts: lower-cased, runs cut, whitespace runs as one space, padded."""
    return " " + _SPACES.sub(" ", _REPEAT.sub(r"\1\1", text.lower())) + " "


class CharGrams:
    """The ids of a model's character n-gram features (:func:`char_ngrams`) of many texts at once, in each
    text's n-gram order, as ``filter(None, map(ids.get, char_ngrams(text, lo, hi)))`` gives them, without
    a string per n-gram: the n-grams as numbers (:class:`nlp.ngrams.GramTable`), looked up with one
    ``searchsorted`` per length for all the texts."""

    def __init__(self, ids: dict[str, int], lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi
        self.table = GramTable(ids, hi)

    def of(self, texts: list[str]) -> list[list[int]]:
        """Each text's known n-grams' ids, in its n-grams' order, repeats kept ([] for an empty text)."""
        lo, hi, table = self.lo, self.hi, self.table
        padded = [_char_text(t) if t else "" for t in texts]
        joined = "".join(padded)
        if not joined:
            return [[] for _ in texts]
        digits = table.digits(joined)
        total = len(digits)
        code = np.zeros(total, dtype=np.int64)
        found: dict[int, np.ndarray] = {}  # n -> the id (or -1) of the n-gram starting at each position
        for n in range(1, hi + 1):
            code = code[: total - n + 1] | (digits[n - 1 :] << (table.bits * (n - 1)))
            if n >= lo:
                found[n] = table.lookup(code, -1)
        pieces = []
        bounds = [0]  # each text's first and end position in ``flat``
        offset = 0
        for t in padded:
            for n in range(lo, hi + 1):
                pieces.append(found[n][offset : offset + max(0, len(t) - n + 1)])
            bounds.append(bounds[-1] + sum(max(0, len(t) - n + 1) for n in range(lo, hi + 1)))
            offset += len(t)
        flat = np.concatenate(pieces)
        known = flat >= 0
        kept = flat[known].tolist()
        at = np.concatenate([[0], np.cumsum(known)])[bounds].tolist()  # positions in ``kept``
        return [kept[at[k] : at[k + 1]] for k in range(len(padded))]


@lru_cache(maxsize=8)
def stemmer(lang: str) -> Stemmer.Stemmer:
    """The Snowball stemmer of a language (one per process)."""
    return Stemmer.Stemmer(STEMMERS[lang])


def split_elision(lower: str) -> str:
    """``l'export`` -> ``export`` (French elisions; the English tokenizer keeps them on the word)."""
    return _ELISION.sub("", lower)


@lru_cache(maxsize=4)
def polarity_stems(lang: str) -> tuple[frozenset[str], frozenset[str]]:
    """(positive stems, negative stems) of a language's word list."""
    st = stemmer(lang)
    pos, neg = _POLARITY[lang]
    return frozenset(st.stemWords(pos.split())), frozenset(st.stemWords(neg.split()))


def token_features(lang: str, info: tuple, negated: bool) -> list[str]:
    """Features of one token in a language (the same for every occurrence in that negation state)."""
    lower = split_elision(info[LOWER])
    stem = stemmer(lang).stemWord(lower)
    out = [("n=" if negated else "u=") + lower, "k=" + stem]
    if info[FLAGS] & F_ALPHA or lower.isalpha():
        if len(lower) > 3:
            s = f"<{lower}>"
            out += ["c=" + s[i : i + n] for n in (3, 4, 5) for i in range(len(s) - n + 1)]
        pos, neg = polarity_stems(lang)
        if stem in pos:
            out.append("l=neg" if negated else "l=pos")
        elif stem in neg:
            out.append("l=pos" if negated else "l=neg")
    elif info[VAL]:  # emoji and emoticons: valence from the (language-independent) lexicon
        out.append("e=pos" if info[VAL] > 0 else "e=neg")
    return out


def _tokens(lang: str, infos: list[tuple], a: int, b: int) -> list[tuple[int, bool]]:
    negators = NEGATORS[lang]
    out = []
    neg = False
    for i in range(a, b):
        x = infos[i]
        f = x[FLAGS]
        if f & F_SPACE:
            continue
        out.append((i, neg))
        if f & (SCOPE_STOP | F_END):
            neg = False
        elif x[LOWER] in negators:
            neg = True
    return out


def doc_features(lang: str, infos: list[tuple], bigrams: bool = False) -> list[str]:
    """All features of a span's token infos, with repeats (training): "bias", each token's features,
    "p=!"/"p=?" and, with ``bigrams``, word bigrams ("b=<s> nicht", "b=nicht gut", "b=gut </s>")."""
    out = ["bias"]
    prev = "<s>"
    for i, neg in _tokens(lang, infos, 0, len(infos)):
        out += token_features(lang, infos[i], neg)
        f = infos[i][FLAGS]
        if f & F_EXCL:
            out.append("p=!")
        if f & F_QUEST:
            out.append("p=?")
        if bigrams:
            low = split_elision(infos[i][LOWER])
            out.append(f"b={prev} {low}")
            prev = low
    if bigrams and prev != "<s>":
        out.append(f"b={prev} </s>")
    return out


class ForeignSentiment:
    """One language's sentiment model; scores are sums of cached per-token vectors.

    Two feature weightings: raw counts (``idf`` None, the first models) or binary TF-IDF with the
    vector L2-normalised per span (``idf`` given; the weights are stored already multiplied by it), the
    weighting of the TF-IDF baseline, chosen per language by cross-validation in
    :mod:`nlp.multilingual_train`. ``bigrams`` adds word-bigram features; ``chars`` (lo, hi) adds the
    span text's character n-grams across words (:func:`char_ngrams`; TF-IDF models, analyser 1.6.0).
    """

    def __init__(
        self,
        lang: str,
        vocab: dict[str, int],
        weights: np.ndarray,
        idf: np.ndarray | None = None,
        bigrams: bool = False,
        chars: tuple[int, int] | None = None,
        combine: tuple[float, float] | None = None,
    ) -> None:
        self.lang = lang
        self.chars = chars
        # (temperature, word-list weight) of the calibrated decision (analyser 1.7.0): None for the older
        # rule (valence through the neutral band, the word list added on top)
        self.combine = combine
        self.vocab = vocab
        self.idf = None if idf is None else np.asarray(idf, dtype=np.float64)
        self.bigrams = bigrams
        self.weights = weights.astype(np.float64)
        # raw weights as trained; the scorer uses them times idf (a feature's value is idf / norm)
        self._eff = self.weights if self.idf is None else self.weights * self.idf[:, None]
        self._idf2 = None if self.idf is None else self.idf**2
        # (TF-IDF) each feature's three class weights times idf and its idf squared, in one row: a span's
        # logits and L2 norm come from one gather of its ids
        self._eff_idf2 = (
            None if self.idf is None else np.ascontiguousarray(np.hstack([self._eff, self._idf2[:, None]]))
        )
        self._cache: dict[tuple[str, bool], tuple[float, float, float]] = {}
        self._ids: dict[tuple[str, bool], tuple[int, ...]] = {}
        self._lex: dict[tuple[str, bool], float] = {}
        self._bias = tuple(self.weights[self.vocab["bias"]].tolist()) if "bias" in vocab else (0.0, 0.0, 0.0)
        self._excl = self._vec(["p=!"])
        self._quest = self._vec(["p=?"])
        self._excl_id = vocab.get("p=!")
        self._quest_id = vocab.get("p=?")
        # bigram feature ids keyed by their two words (no feature string per token); French elisions split
        # once per token text
        self._bigram_ids: dict[tuple[str, str], int] = {}
        for name, j in vocab.items():
            if name.startswith("b="):
                prev, _, low = name[2:].partition(" ")
                self._bigram_ids[(prev, low)] = j
        self._bigram_ones = {key: (j,) for key, j in self._bigram_ids.items()}  # as 1-tuples (feature_ids)
        self._elided: dict[str, str] = {}
        # the ids "!" and "?" add to a token carrying them, by its flags & _MARKS (feature_ids)
        self._marks = {
            f: tuple(
                j
                for j, bit in ((self._excl_id, F_EXCL), (self._quest_id, F_QUEST))
                if f & bit and j is not None
            )
            for f in (F_EXCL, F_QUEST, F_EXCL | F_QUEST)
        }
        # character n-gram feature ids keyed by the n-gram itself
        self._char_ids = {name[2:]: j for name, j in vocab.items() if name.startswith("x=")}
        self._grams: CharGrams | None = None  # their lookup for many texts at once (char_ids)
        # a word's own character n-gram ("c=") feature ids keyed by the n-gram itself, and the word-list
        # features' ids: a new alphabetic word's ids without building its feature strings (:meth:`_learn`)
        self._gram_ids = {name[2:]: j for name, j in vocab.items() if name.startswith("c=")}
        self._lex_ids = {1.0: vocab.get("l=pos"), -1.0: vocab.get("l=neg")}
        # per alphabetic word (its lower case, elisions split): (the ids of its stem and character n-grams,
        # its word-list polarity), shared by its two negation states
        self._words: dict[str, tuple[tuple[int, ...], float]] = {}

    def fresh(self) -> ForeignSentiment:
        """The same model with empty per-token caches (its arrays shared)."""
        clone = copy.copy(self)
        clone._cache, clone._ids, clone._lex, clone._elided, clone._words = {}, {}, {}, {}, {}
        return clone

    def _vec(self, names: list[str]) -> tuple[float, float, float]:
        return self._rows_sum([j for j in map(self.vocab.get, names) if j is not None])

    def _rows_sum(self, ids) -> tuple[float, float, float]:
        if not ids:
            return (0.0, 0.0, 0.0)
        a, b, c = _add(self._eff.take(ids, axis=0), axis=0).tolist()  # take: the same rows, cheaper
        return (a, b, c)

    def _learn(self, info: tuple, negated: bool) -> None:
        """Compute a token's features once and cache what the scorer reads of them: its feature ids
        (:meth:`token_ids`), its word-list polarity (:meth:`lexicon`) and, for a raw-count model, its
        summed class weights (:meth:`token_vec`; a TF-IDF model sums them when an explanation asks).

        An alphabetic word (after an elision is split) of a TF-IDF model takes a shortcut with the same
        result: its ids are looked up without building its :func:`token_features` strings (its
        character n-grams by the n-gram itself), in the features' order, and its stem's and n-grams' ids
        and word-list polarity are kept for its other negation state. Features of different kinds have
        different names, so only the n-grams can repeat: the distinct ids are the same."""
        lower = info[LOWER]
        key = (lower, negated)
        for cache in (self._cache, self._ids, self._lex, self._words):
            if len(cache) > 100_000:
                cache.clear()
        low = split_elision(lower) if "'" in lower or "\u2019" in lower else lower
        if self.idf is not None and low.isalpha():
            word = self._words.get(low)
            if word is None:
                stem = stemmer(self.lang).stemWord(low)
                head = self.vocab.get("k=" + stem)
                core: tuple[int, ...] = () if head is None else (head,)
                if len(low) > 3:
                    s = f"<{low}>"
                    grams = [s[i : i + n] for n in (3, 4, 5) for i in range(len(s) - n + 1)]
                    core += tuple(dict.fromkeys(filter(_NOT_NONE, map(self._gram_ids.get, grams))))
                pos, neg = polarity_stems(self.lang)
                word = self._words[low] = (core, 1.0 if stem in pos else -1.0 if stem in neg else 0.0)
            core, pol = word
            lex = -pol if negated and pol else pol
            self._lex[key] = lex
            own = self.vocab.get(("n=" if negated else "u=") + low)
            ids = core if own is None else (own, *core)
            j = self._lex_ids[lex] if lex else None
            self._ids[key] = ids if j is None else (*ids, j)
            return
        feats = token_features(self.lang, info, negated)
        self._lex[key] = 1.0 if "l=pos" in feats else -1.0 if "l=neg" in feats else 0.0
        # the distinct known features' ids in their first occurrence's order: one lookup per feature
        ids = tuple(dict.fromkeys(filter(_NOT_NONE, map(self.vocab.get, feats))))
        self._ids[key] = ids
        if self.idf is None:
            self._cache[key] = self._vec(feats)  # raw counts: a repeated feature counts again

    def token_vec(self, info: tuple, negated: bool) -> tuple[float, float, float]:
        """Summed class weights of a token's features (cached; a TF-IDF model's binary features count
        once: the rows of its distinct ids)."""
        key = (info[LOWER], negated)
        v = self._cache.get(key)
        if v is None:
            if self.idf is None:
                self._learn(info, negated)
                v = self._cache[key]
            else:
                v = self._cache[key] = self._rows_sum(self._ids.get(key) or self.token_ids(info, negated))
        return v

    def token_ids(self, info: tuple, negated: bool) -> tuple[int, ...]:
        """Feature ids of a token (cached; TF-IDF models)."""
        key = (info[LOWER], negated)
        v = self._ids.get(key)
        if v is None:
            self._learn(info, negated)
            v = self._ids[key]
        return v

    def lexicon(
        self, infos: list[tuple], a: int, b: int, toks: list[tuple[int, bool]] | None = None
    ) -> tuple[float, int | None]:
        """Net polarity of the hand-written word list in tokens [a, b) (negation flips a word) and the
        token of the last word on the winning side (``toks``: those tokens' :func:`_tokens`, if known)."""
        net = 0.0
        last: dict[int, int] = {}
        for i, neg in _tokens(self.lang, infos, a, b) if toks is None else toks:
            key = (infos[i][LOWER], neg)
            v = self._lex.get(key)
            if v is None:
                self._learn(infos[i], neg)
                v = self._lex[key]
            if v:
                net += v
                last[1 if v > 0 else -1] = i
        return net, last.get(1 if net > 0 else -1) if net else None

    def char_ids(self, texts: list[str]) -> list[list[int]]:
        """The known character n-gram feature ids of each text, in its n-grams' order, repeats kept (a model
        with character n-grams; :class:`CharGrams`, built on first use)."""
        grams = self._grams
        if grams is None:
            grams = self._grams = CharGrams(self._char_ids, *self.chars)
        return grams.of(texts)

    def feature_ids(
        self,
        infos: list[tuple],
        toks: list[tuple[int, bool]],
        text: str | None = None,
        char_ids: list[int] | None = None,
    ) -> set[int]:
        """The distinct feature ids of a span (TF-IDF models): its tokens' (``toks``, from
        :func:`_tokens`), its bigrams', "!"/"?" and, with character n-grams, those of ``text``
        (``char_ids``: their :meth:`char_ids`, if computed with other spans')."""
        ids: set[int] = set()
        if self.chars is not None and text:
            # in the n-grams' order: the same set, built in the same order
            ids.update(self.char_ids([text])[0] if char_ids is None else char_ids)
        if not toks:
            return ids
        # the tokens' cached ids by one map (a call only for a new token), "!"/"?" added to the tokens that
        # carry them and each token's bigram as a 1-tuple (or ()): one update of the set with them all,
        # chained in C in the order the per-token walk added them (the same set, built in the same order)
        rows = [infos[i] for i, _ in toks]
        lowers = [x[LOWER] for x in rows]
        keys = list(zip(lowers, [neg for _, neg in toks], strict=True))
        vals = list(map(self._ids.get, keys))
        if None in vals:
            token_ids = self.token_ids
            vals = [
                v if v is not None else token_ids(x, k[1]) for v, x, k in zip(vals, rows, keys, strict=True)
            ]
        marks = self._marks
        for p, x in enumerate(rows):
            if x[FLAGS] & _MARKS:
                vals[p] += marks[x[FLAGS] & _MARKS]
        if not self.bigrams:
            ids.update(chain.from_iterable(vals))
            return ids
        elided = self._elided
        lows = list(map(elided.get, lowers))
        if None in lows:
            if len(elided) > 100_000:
                elided.clear()
            lows = [
                low if low is not None else elided.setdefault(w, split_elision(w))
                for low, w in zip(lows, lowers, strict=True)
            ]
        pairs = zip(["<s>", *lows], [*lows, "</s>"], strict=True)
        grams = map(self._bigram_ones.get, pairs, repeat(()))
        # zip stops at the tokens' end, before taking the last bigram (the last token's, "</s>") from grams
        ids.update(chain.from_iterable(chain.from_iterable(zip(vals, grams, strict=False))))
        ids.update(next(grams))
        return ids

    def logits_of(self, id_sets: list[set[int]]) -> list[tuple[float, float, float]]:
        """Logits of several spans (TF-IDF models) from their feature ids (:meth:`feature_ids`): one
        gather and one segmented sum for all of them (a batch's sentences), not a few numpy calls each.
        A span's sum is taken in its ids' order, as a per-span sum would add them."""
        bias = self._bias
        out = [bias] * len(id_sets)
        live = [k for k, ids in enumerate(id_sets) if ids]
        if not live:
            return out
        starts = []
        n = 0
        for k in live:
            starts.append(n)
            n += len(id_sets[k])
        flat = np.fromiter(chain.from_iterable(id_sets[k] for k in live), dtype=np.intp, count=n)
        rows = self._eff_idf2.take(flat, axis=0)
        sums = np.add.reduceat(rows, starts, axis=0).tolist()
        z0, z1, z2 = bias
        for k, (s0, s1, s2, q) in zip(live, sums, strict=True):
            norm = math.sqrt(q) or 1.0
            out[k] = (z0 + s0 / norm, z1 + s1 / norm, z2 + s2 / norm)
        return out

    def _logits_tfidf(
        self, infos: list[tuple], toks: list[tuple[int, bool]], text: str | None = None
    ) -> tuple[float, float, float]:
        return self.logits_of([self.feature_ids(infos, toks, text)])[0]

    def scores(
        self,
        infos: list[tuple],
        a: int,
        b: int,
        text: str | None = None,
        pre: tuple[list[tuple[int, bool]], tuple[float, float, float]] | None = None,
        net: float = 0.0,
        explain: bool = True,
        tok: int | None = None,
    ) -> tuple[list[float], int | None]:
        """Class probabilities (negative, neutral, positive) of tokens [a, b) and the token contributing
        most to the winning class over the others (None without tokens). ``text``: the span's text (for a
        model with character n-grams). ``pre``: the span's tokens and logits computed beforehand with a
        batch's (:func:`plan`; TF-IDF models). With a calibrated decision (``combine``), the probabilities
        are the combination's: softmax(T z + w net (-1, 0, 1)) of the model's logits z and the span's net
        word-list polarity ``net`` (see :meth:`lexicon`), whose argmax is the label.

        The explaining token needs every token's summed class weights; a caller that does not show it
        says so: ``explain`` False gives None, and ``tok`` (the word list's token of :meth:`lexicon`)
        is given back as the explanation, without the weights, when the label (the argmax of the
        probabilities) is a polar one on the word list's side, as :func:`analyze` shows it then."""
        z0, z1, z2 = self._bias
        best, best_c = None, -math.inf
        toks = _tokens(self.lang, infos, a, b) if pre is None else pre[0]
        contrib = []
        tfidf = self.idf is not None
        known, token_vec = self._cache.get, self.token_vec  # token_vec's cache first: no call per token
        for i, neg in () if tfidf else toks:  # TF-IDF: the tokens' vectors only for the explanation
            x = infos[i]
            v0, v1, v2 = known((x[LOWER], neg)) or token_vec(x, neg)
            contrib.append((i, v0, v2))
            z0 += v0
            z1 += v1
            z2 += v2
            f = infos[i][FLAGS]
            if f & F_EXCL:
                z0, z1, z2 = z0 + self._excl[0], z1 + self._excl[1], z2 + self._excl[2]
            if f & F_QUEST:
                z0, z1, z2 = z0 + self._quest[0], z1 + self._quest[1], z2 + self._quest[2]
        if tfidf:
            z0, z1, z2 = self._logits_tfidf(infos, toks, text) if pre is None else pre[1]
        if self.combine is not None:
            t, lam = self.combine
            z0, z1, z2 = t * z0 - lam * net, t * z1, t * z2 + lam * net
        m = max(z0, z1, z2)
        e = [math.exp(z0 - m), math.exp(z1 - m), math.exp(z2 - m)]
        t = sum(e)
        p = [x / t for x in e]
        k = p.index(max(p))
        if self.combine is not None and net and p[k] < UNSURE:
            # an unsure decision (no class has the majority) takes the word list's side: its two classes'
            # probabilities are swapped so that the argmax, the label, is that side (analyser 1.8.0)
            side = 2 if net > 0 else 0
            if k != side:
                p[k], p[side] = p[side], p[k]
                k = side
        if not explain:
            return p, None
        if tok is not None and k != 1:
            label = p.index(max(p))  # the label's index, as decided_valence takes it
            if label != 1 and (label == 2) == (net > 0):
                return p, tok
        if k != 1:
            if tfidf:  # a polar label: each token's share in it (its features' summed class weights)
                for i, neg in toks:
                    x = infos[i]
                    v0, _, v2 = known((x[LOWER], neg)) or token_vec(x, neg)
                    contrib.append((i, v0, v2))
            for i, v0, v2 in contrib:
                c = (v2 - v0) if k == 2 else (v0 - v2)
                if infos[i][FLAGS] & F_ALPHA and c > best_c:
                    best, best_c = i, c
            if best is None and contrib:
                best = max(contrib, key=lambda r: (r[2] - r[1]) if k == 2 else (r[1] - r[2]))[0]
        return p, best

    def save(self, path) -> None:
        """Write the model (float16 weights; float32 idf)."""
        names = sorted(self.vocab, key=self.vocab.__getitem__)
        extra = {}
        if self.idf is not None:
            extra = {"idf": self.idf.astype(np.float32), "bigrams": np.array(self.bigrams)}
        if self.chars is not None:
            extra["chars"] = np.array(self.chars)
        if self.combine is not None:
            extra["combine"] = np.array(self.combine, dtype=np.float64)
        np.savez_compressed(path, names=np.array(names), weights=self.weights.astype(np.float16), **extra)

    @classmethod
    def load(cls, lang: str, path) -> ForeignSentiment:
        """Read a model written by :meth:`save`."""
        d = np.load(path, allow_pickle=False)
        idf = d["idf"] if "idf" in d.files else None
        bigrams = bool(d["bigrams"]) if "bigrams" in d.files else False
        chars = (int(d["chars"][0]), int(d["chars"][1])) if "chars" in d.files else None
        combine = (float(d["combine"][0]), float(d["combine"][1])) if "combine" in d.files else None
        return cls(
            lang, {str(n): i for i, n in enumerate(d["names"])}, d["weights"], idf, bigrams, chars, combine
        )


def valence(p: list[float]) -> float:
    """A sentence's valence from class probabilities: 0 when neutral wins, else signed, scaled."""
    k = p.index(max(p))
    if k == 1:
        return 0.0
    return SCALE * (p[2] - p[0])


@lru_cache(maxsize=1)
def polar_floor() -> float:
    """The smallest valence the analyser's neutral band leaves polar (normalize(v) >= band), a hair above."""
    import json

    from nlp.sentiment import ALPHA

    cal = json.loads(resources.files("nlp.data").joinpath("calibration.json").read_text(encoding="utf-8"))
    band = float(cal["neutral_band"])  # the analyser's band (nlp.analyzer.calibration; no import cycle)
    return band * math.sqrt(ALPHA / (1.0 - band * band)) * 1.001


def decided_valence(p: list[float]) -> float:
    """The valence of a calibrated decision: 0 when neutral wins, else signed ``SCALE (p+ - p-)`` but at
    least :func:`polar_floor`, so that the label the analyser derives is the argmax."""
    k = p.index(max(p))
    if k == 1:
        return 0.0
    v = max(SCALE * abs(p[2] - p[0]), polar_floor())
    return v if k == 2 else -v


@lru_cache(maxsize=4)
def sentiment_model(lang: str) -> ForeignSentiment | None:
    """The shipped model of a language (None when absent)."""
    ref = resources.files("nlp.data").joinpath(f"sentiment_{lang}.npz")
    if not ref.is_file():
        return None
    with resources.as_file(ref) as p:
        return ForeignSentiment.load(lang, p)


def _word_info(lower: str) -> tuple:
    """A stand-in token info of a lower-case alphabetic word: all :func:`token_features` reads of it."""
    return (lower, None, None, 0.0, F_ALPHA)


def vocabulary_facts(nb_words: dict[str, dict] | None = None) -> dict[str, tuple[dict, dict, dict]]:
    """Per language, the per-token caches (vectors, feature ids, word-list polarity) of its model's own
    vocabulary, both negation states, computed at the NLP cache's build and kept in it (:func:`adopt_facts`
    puts them in the process's models): the words its features name ("u=", "n=") and, in ``nb_words``,
    the language-ID model's word lists, never customer text. Only lower-case alphabetic words, whose
    features depend on nothing but the word (as a token's key, its lower case, says)."""
    out = {}
    for lang in LANGS:
        model = sentiment_model(lang)
        if model is None:
            continue
        words = {f[2:] for f in model.vocab if f.startswith(("u=", "n="))}
        words.update((nb_words or {}).get(lang, ()))
        clone = model.fresh()
        for w in sorted(words):
            if w.isalpha() and w.lower() == w:
                info = _word_info(w)
                clone.token_vec(info, False)
                clone.token_vec(info, True)  # learns its ids and word-list polarity too
        out[lang] = (clone._cache, clone._ids, clone._lex)
    return out


def adopt_facts(facts: dict[str, tuple[dict, dict, dict]]) -> None:
    """Add :func:`vocabulary_facts` to the process's models' per-token caches (a token seen already keeps
    its entry: the same values)."""
    for lang, caches in facts.items():
        model = sentiment_model(lang)
        if model is not None:
            for mine, known in zip((model._cache, model._ids, model._lex), caches, strict=True):
                if len(mine) + len(known) <= 100_000:
                    mine.update({**known, **mine})


# --- intents --------------------------------------------------------------------------------------------
_RULES = {
    "de": [
        (
            "bug_report",
            0.75,
            r"\b(?:funktionier\w*\s+nicht|geht\s+nicht|klappt\s+nicht|stürzt\s+\w*\s*ab|abst(?:u|ü)rz\w*|fehler\w*|"
            r"bricht\s+\w*\s*ab|hängt\s+sich\s+auf|lädt\s+nicht|nicht\s+(?:mehr\s+)?(?:laden|speichern|"
            r"funktionieren)|werde\s+\w*\s*ausgeloggt|dubletten|kaputt)",
        ),
        (
            "feature_request",
            0.8,
            r"\b(?:wäre\s+(?:schön|toll|super|gut|hilfreich|praktisch)|bitte\s+(?:\w+\s+)?(?:hinzufügen|einbauen|"
            r"ergänzen)|wir\s+(?:wünschen|bräuchten|brauchen)|ich\s+wünsche|es\s+fehlt|fehlt\s+(?:uns|noch|eine?)|"
            r"würden\s+uns\s+\w+\s+wünschen|könntet\s+ihr|könnten\s+sie\s+\w+\s+(?:einbauen|hinzufügen))",
        ),
    ],
    "fr": [
        (
            "bug_report",
            0.75,
            r"\b(?:ne\s+(?:\w+\s+)?(?:fonctionne|marche|charge|s'affiche)\s+pas|plante|bug\w*|erreurs?|"
            r"bloqué\w*|se\s+déconnecte|déconnecté|doublons|cassé\w*|en\s+panne|échou\w*|erron\w*)",
        ),
        (
            "feature_request",
            0.8,
            r"(?:\bce\s+serait\s+(?:bien|super|génial|utile|pratique)|\bil\s+(?:manque|faudrait)|"
            r"\bpourriez-vous|\bpouvez-vous\s+ajouter|\bmerci\s+d'ajouter|\bnous\s+aimerions|\bj'aimerais|"
            r"\bajouter\s+(?:un|une|la|le|des)\b|\bnous\s+avons\s+besoin)",
        ),
    ],
    "es": [
        (
            "bug_report",
            0.75,
            r"\b(?:no\s+(?:\w+\s+)?(?:funciona|carga|guarda|sincroniza|abre)|se\s+cuelga|falla\w*|errore?s?|"
            r"fallo\w*|se\s+bloquea|duplicad\w*|roto|caíd\w*|me\s+(?:desconecta|saca))",
        ),
        (
            "feature_request",
            0.8,
            r"\b(?:sería\s+(?:genial|bueno|útil|ideal|estupendo)|por\s+favor\s+(?:añadan|agreguen|incluyan)|"
            r"nos\s+gustaría|me\s+gustaría|echamos\s+de\s+menos|falta\s+(?:un|una|la|el)|necesitamos|"
            r"(?:podrían|pueden|podéis)\s+(?:añadir|agregar|incluir))",
        ),
    ],
}
_COMPLAINTS = {
    # incorrect results ("die Rechnungen sind falsch"; English's problem cues "wrong", "incorrect") are a
    # complaint unless negated right before (analyser 1.7.0)
    "de": r"\b(?:(?<!nicht )falsch\w*|tagelang|wochenlang|ewig|"
    r"zu\s+(?:teuer|hoch|langsam|viele\s+klicks|kompliziert|umständlich|wenig|un\w{4,})|"
    r"nicht\s+nachvollziehbar|warten\s+\w*\s*(?:tage|wochen)|"
    # analyser 1.8.0, an unmet need said as a wish for more ("könnte schneller sein", "pourrait être plus
    # rapide", "debería ser más sencillo"): a complaint, as English's "could be faster"
    r"(?:könnte|könnten|sollte|sollten|müsste|müssten)\s+(?:\w+\s+){0,2}\w+er\s+sein)",
    "fr": r"(?:(?<!pas )\b(?:faux|fausses?|incorrect\w*)\b|\bmet(?:tent)?\s+des\s+(?:jours|semaines|heures)|"
    r"\btrop\s+(?:cher|chère|élevé|lent|lente|compliqué\w*)|"
    r"\bune\s+éternité|\bcompliqué\w*|\bsans\s+(?:réponse|solution)|\bpas\s+satisfaits?|"
    r"\b(?:pourrait|pourraient|devrait|devraient)\s+être\s+(?:\w+\s+)?(?:plus|mieux)\b|"
    r"\bmanqu(?:e|ent|ait|aient)\s+(?:\w+\s+)?(?:de|d')\s*\w)",
    "es": r"\b(?:(?<!no )(?<!no es )(?<!no son )(?:incorrect[oa]s?|erróne[oa]s?|equivocad[oa]s?)\b|"
    r"tarda(?:n)?\s+(?:días|semanas|muchísimo|una\s+eternidad|mucho)|muy\s+caro|demasiado\s+\w+|"
    r"poco\s+flexibles?|no\s+tiene\s+sentido|cuesta\s+mucho|sin\s+resolver|no\s+estamos\s+contentos|"
    r"(?:podría|podrían|debería|deberían)\s+ser\s+(?:\w+\s+)?(?:más|mejor)\b)",
}
for _lang, _pat in _COMPLAINTS.items():
    _RULES[_lang].append(("complaint", 0.7, _pat))
_COMPILED = {lang: [(lab, s, re.compile(p)) for lab, s, p in rules] for lang, rules in _RULES.items()}
# the words one of which every match of a rule contains (nlp.prefilter): a sentence without skips the regex
_NEEDS = {lang: [needs(p) for _, _, p in rules] for lang, rules in _COMPILED.items()}
_RULE_NEG = {
    "de": re.compile(r"(?:\bkein\w*|\bnie|\bohne)\W+(?:\w+\W+){0,1}$"),
    "fr": re.compile(r"(?:\baucun\w*|\bsans|\bjamais|\bplus\s+de|\bpas\s+de)\W+(?:\w+\W+){0,1}$"),
    "es": re.compile(r"(?:\bningún|\bninguna|\bsin|\bnunca|\bcero)\W+(?:\w+\W+){0,1}$"),
}
_QUESTION_START = {
    "de": re.compile(
        r"^(?:wie|was|wann|wo|warum|wieso|weshalb|gibt\s+es|kann\s+man|können\s+wir|ist\s+es)\b"
    ),
    "fr": re.compile(r"^(?:comment|pourquoi|quand|où|est-ce|y\s+a-t-il|peut-on|quel|quelle)\b"),
    "es": re.compile(r"^(?:¿|cómo|cuándo|dónde|por\s+qué|hay\s+(?:alguna|forma|manera)|se\s+puede|qué)\b"),
}
_SOLVED = {
    "de": re.compile(r"\b(?:behoben|gelöst|repariert|funktioniert\s+(?:jetzt|wieder))\b"),
    "fr": re.compile(r"\b(?:résolu\w*|corrigé\w*|réparé\w*|fonctionne\s+(?:maintenant|à\s+nouveau))\b"),
    "es": re.compile(r"\b(?:resuelto|resuelta|solucionad\w*|arreglad\w*|funciona\s+(?:ya|de\s+nuevo))\b"),
}


def rule_intents(lang: str, sentence: str) -> list[tuple[str, float, int, int]]:
    """(label, score, start, end) of the question, malfunction, request and churn rules in a sentence."""
    low = normalise(sentence).strip()
    out = []
    solved = bool(_SOLVED[lang].search(low))
    for (label, score, pat), words in zip(_COMPILED[lang], _NEEDS[lang], strict=True):
        if words is not None and not any(map(low.__contains__, words)):
            continue  # nlp.prefilter.may_match, inlined
        for m in pat.finditer(low):
            if _RULE_NEG[lang].search(low[: m.start()]) or (label == "bug_report" and solved):
                continue
            out.append((label, score, m.start(), m.end()))
            break
    q = low.rfind("?")
    if q >= 0:
        out.append(("question", 0.9, q, q + 1))
    else:
        m = _QUESTION_START[lang].match(low)
        if m:
            out.append(("question", 0.6, m.start(), m.end()))
    churn = churn_risk(sentence, lang)
    if churn is not None:
        out.append(("churn_risk", *churn))
    return out


def is_solved(lang: str, sentence: str) -> bool:
    """Whether a sentence says its problem was solved."""
    return bool(_SOLVED[lang].search(normalise(sentence)))


# --- topics ---------------------------------------------------------------------------------------------
class StemMatcher:
    """Taxonomy phrases matched on Snowball stems of one language (longest phrase first at each token)."""

    def __init__(self, lang: str, topics: list) -> None:
        st = stemmer(lang)
        self.lang = lang
        self.index: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for k, topic in enumerate(topics):
            for phrase in topic.phrases:
                words = [split_elision(w) for w in re.findall(r"[\w'’-]+", phrase.lower())]
                if not words:
                    continue
                stems = tuple(st.stemWords(words))
                self.index.setdefault(stems[0], []).append((stems, k))
        for entries in self.index.values():
            entries.sort(key=lambda e: (-len(e[0]), -e[1]))  # longest, then the more specific (child) topic
        self._stem_cache: dict[str, str] = {}

    def _stem(self, lower: str) -> str:
        s = self._stem_cache.get(lower)
        if s is None:
            if len(self._stem_cache) > 100_000:
                self._stem_cache.clear()
            s = self._stem_cache[lower] = stemmer(self.lang).stemWord(split_elision(lower))
        return s

    def match(self, infos: list[tuple]) -> list[Match]:
        """Matches over a doc's token infos (one per topic and position, non-overlapping)."""
        toks = [i for i, x in enumerate(infos) if not x[FLAGS] & F_SPACE]
        lowers = [infos[i][LOWER] for i in toks]
        stems = list(map(self._stem_cache.get, lowers))  # the stem cache read inline: no call per token
        if None in stems:
            stems = [self._stem(w) if s is None else s for s, w in zip(stems, lowers, strict=True)]
        out: list[Match] = []
        index = self.index
        j = 0  # the first token a match may start at (after the last match)
        for i in [i for i, s in enumerate(stems) if s in index]:  # the tokens a phrase starts with
            if i < j:
                continue
            for phrase, k in index[stems[i]]:
                n = len(phrase)
                if tuple(stems[i : i + n]) == phrase:
                    out.append(Match(k, toks[i], toks[i + n - 1] + 1, 1.0))
                    j = i + n
                    break
        return out


def sentence_valence(
    model: ForeignSentiment, infos: list[tuple], a: int, b: int, text: str | None = None, pre=None
) -> float:
    """The valence of tokens [a, b) (whose text is ``text``): the calibrated decision's (model and word
    list combined, :func:`decided_valence`), or for an older model the model's plus the word list's
    (negation-aware). ``pre``: as :meth:`ForeignSentiment.scores`."""
    net, tok = model.lexicon(infos, a, b, None if pre is None else pre[0])
    if model.combine is not None:
        return decided_valence(model.scores(infos, a, b, text, pre, net, explain=False)[0])
    p, _ = model.scores(infos, a, b, text, pre, explain=False)
    v = valence(p)
    if tok is not None:
        v = max(-SCALE, min(SCALE, v + LEXICON_WEIGHT[model.lang] * net))
    return v


def doc_valence(model: ForeignSentiment, infos: list[tuple], text: str | None = None, pre=None) -> float:
    """A several-sentence doc's valence from the whole doc, as the model was trained (on whole tweets):
    the sentences' own valences stay on their words for the explanation."""
    return sentence_valence(model, infos, 0, len(infos), text, pre)


def _spans(scored, infos: list[tuple], idx: list[int], text: str, lang: str) -> list[tuple[int, int, str]]:
    """(first token, end token, text) of each sentence the model scores, then of the whole doc when its
    label comes from the whole doc (``DOC_LEVEL`` or a calibrated decision, several sentences)."""
    out = [(a, b, text[idx[a] : idx[b - 1] + infos[b - 1][LENGTH]]) for a, b in scored.sentences]
    model = sentiment_model(lang)
    if (DOC_LEVEL[lang] or (model is not None and model.combine is not None)) and len(out) > 1:
        out.append((0, len(infos), text))
    return out


def plan(docs: list[tuple]) -> list[list | None]:
    """The model inputs of several de/fr/es docs at once: for each doc, given as (scored, infos, idx,
    text, lang), the tokens and logits of each span of :func:`_spans` (``pre`` for :func:`analyze`),
    computed with one gather per language for the whole batch (TF-IDF models; None for a doc whose
    model is not one)."""
    out: list[list | None] = [None] * len(docs)
    by_lang: dict[str, list[int]] = {}
    for k, (_, _, _, _, lang) in enumerate(docs):
        by_lang.setdefault(lang, []).append(k)
    for lang, ks in by_lang.items():
        model = sentiment_model(lang)
        if model is None or model.idf is None:
            continue
        spans = [(k, a, b, t) for k in ks for a, b, t in _spans(*docs[k][:4], lang)]
        # the character n-grams' ids of all the spans' texts at once (models with character n-grams)
        grams = model.char_ids([t for *_, t in spans]) if model.chars is not None else [None] * len(spans)
        toks_of, id_sets, owners = [], [], []
        for (k, a, b, t), g in zip(spans, grams, strict=True):
            infos = docs[k][1]
            toks = _tokens(lang, infos, a, b)
            toks_of.append(toks)
            id_sets.append(model.feature_ids(infos, toks, t, g))
            owners.append(k)
        for k in ks:
            out[k] = []
        for k, toks, z in zip(owners, toks_of, model.logits_of(id_sets), strict=True):
            out[k].append((toks, z))
    return out


def analyze(scored, infos: list[tuple], idx: list[int], text: str, lang: str, pre=None) -> list[tuple]:
    """Replace the English lexicon's weights of a de/fr/es doc by its language model's: each sentence's
    valence on the word that contributed most, the doc's total from the whole doc; return intent rows
    (label, score, sentence, first token, end token, from a rule?). ``pre``: the doc's entry of
    :func:`plan` (computed here when None)."""
    from nlp.intent import make_problems_negative

    model = sentiment_model(lang)
    if pre is None and model is not None and model.idf is not None:
        pre = plan([(scored, infos, idx, text, lang)])[0]
    w = scored.weights
    for i in scored.hits:
        w[i] = 0.0
    scored.hits = []
    scored.emphasis = [0.0] * len(scored.sentences)
    scored.total = 0.0
    rows: list[tuple] = []
    for s, (a, b) in enumerate(scored.sentences):
        p = None
        c0 = idx[a]
        sent = text[c0 : idx[b - 1] + infos[b - 1][LENGTH]]
        ps = None if pre is None or model is None else pre[s]
        if model is not None and model.combine is not None:
            # calibrated decision: the combination's argmax is the label; the explanation shows the word
            # list's word on the winning side if there is one, else the model's strongest word
            net, tok = model.lexicon(infos, a, b, None if ps is None else ps[0])
            p, best = model.scores(infos, a, b, sent, ps, net, tok=tok)
            v = decided_valence(p)
            if v and tok is not None and (v > 0) == (net > 0):
                best = tok
            if v and best is not None:
                w[best] = v
                scored.hits.append(best)
                label = "praise" if v > 0 else "complaint"
                rows.append((label, round(max(p[0], p[2]), 4), s, best, best + 1, False))
        elif model is not None:
            p, best = model.scores(infos, a, b, sent, ps)
            v = valence(p)
            net, tok = model.lexicon(infos, a, b, None if ps is None else ps[0])
            if tok is not None:  # the word list (negation-aware) is added to the tweet-trained model
                v = max(-SCALE, min(SCALE, v + LEXICON_WEIGHT[lang] * net))
                if v and (best is None or (v > 0) == (net > 0)):
                    best = tok if (v > 0) == (net > 0) else best
                p = [0.0, 0.5, 0.5] if v > 0 else [0.5, 0.5, 0.0] if v < 0 else [0.0, 1.0, 0.0]
            if v and best is not None:
                w[best] = v
                scored.hits.append(best)
                label = "praise" if v > 0 else "complaint"
                rows.append((label, round(max(p[0], p[2]), 4), s, best, best + 1, False))
        for label, score, x, y in rule_intents(lang, sent):
            toks = [i for i in range(a, b) if idx[i] < c0 + y and idx[i] + infos[i][LENGTH] > c0 + x]
            if toks:
                rows.append((label, score, s, toks[0], toks[-1] + 1, True))
    scored.total = sum(w)  # the sentences' valences: what the explanation shows
    if model is not None and (DOC_LEVEL[lang] or model.combine is not None) and len(scored.sentences) > 1:
        scored.total = doc_valence(model, infos, text, None if pre is None else pre[-1])
    best_rows: dict[tuple[str, int], tuple] = {}
    for row in rows:  # one row per label and sentence: the rule's or the model's, whichever is surer
        key = (row[0], row[2])
        if key not in best_rows or row[1] > best_rows[key][1]:
            best_rows[key] = row
    rows = sorted(best_rows.values(), key=lambda r: (r[2], r[3]))
    # problem reports make a sentence negative; with a calibrated decision only the rules' (bug report,
    # request for something missing, complaint, churn): the model's own "complaint" rows are its sentiment
    # already, counted in its decision (adding them again pushed neutral several-sentence docs negative)
    problems = rows if model is None or model.combine is None else [r for r in rows if r[5]]
    make_problems_negative(scored, infos, idx, problems, text, solved=lambda low: is_solved(lang, low))
    return rows
