"""A learned English sentence-sentiment model combined with the lexicon rules (analyser 1.4.0).

The rules (:mod:`nlp.sentiment`, plus the problem-aware step of :mod:`nlp.intent`) give each sentence a
valence carried by its words. This model reads the same sentence again: its (negation-marked) words and
word bigrams, and the rules' own verdict as a few dense features (the sentence's normalised rule score,
whether it is past the neutral band either way, the strongest problem intent and praise scores, a question
mark). It is a multinomial logistic regression (negative / neutral / positive) trained by
``python -m nlp.sentiment_train`` on the train splits of the VADER rated sets, SemEval-2014, Dabrowski's
app-review sentences and the complaint tweets, temperature-calibrated on out-of-fold logits.

Combination, per sentence: the rules keep a sentence they decided (past the neutral band, by its words or
a problem intent) unless the model's calibrated probability of the opposite polarity is above one half;
a sentence the rules leave neutral takes the model's polarity when positive or negative is its most
likely class. The model never neutralises a rule decision: on the feedback development set, where the
rules are precise, letting it do so cost 0.09 macro-F1 ("The app keeps crashing." became neutral, as
VADER's raters call many movie and editorial snippets with sentiment words neutral). A changed sentence's
valence is ``p(pos) - p(neg)`` as a compound score. The rules' words keep explaining it: when they point
the model's way they are rescaled to its valence; otherwise the difference goes on the strongest word on
the model's side, else on the problem intent's evidence (which intent made it negative), else on the word
the model weighs most, and the other words keep their weights (a mixed sentence's clauses keep their sign).
So an explanation always names words of the sentence, and topic sentiment
follows through the same weights. This combination rule was set after a first evaluation on the
development sets (``python -m nlp.evaluate sentences``), so those sets are not blind to it.

Speed: as in :mod:`nlp.intent`, a token's feature vector is looked up once per (token text, negation
state) and cached; a doc costs one pass over its tokens plus a bigram lookup per token.
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import numpy as np

from nlp.flags import F_ALPHA, F_END, F_NEG, F_NO, F_QUEST, F_SPACE, FLAGS, LOWER, SCOPE_STOP, VAL

CLASSES = ("negative", "neutral", "positive")
MODEL_FILE = "sentence_sentiment.npz"
ALPHA = 15.0  # nlp.sentiment.normalize's constant
PROBLEM = frozenset({"bug_report", "complaint", "churn_risk"})
DENSE = ("r", "r_pos", "r_neg", "problem", "praise", "question")
MIN_COMPOUND = 0.1  # a sentence the model calls positive/negative scores at least this (band 0.07)
FLIP = 0.5  # the calibrated probability of the opposite class that overrules the rules' verdict


def token_features(info: tuple, negated: bool) -> list[str]:
    """Features of one token in one negation state (the same for each occurrence)."""
    lower = info[LOWER]
    out = [("n=" if negated else "u=") + lower]
    v = info[VAL]
    if v:
        out.append(("nv=" if negated else "v=") + ("pos" if v > 0 else "neg"))
    return out


def tokens(infos: list[tuple], a: int, b: int) -> list[tuple[int, bool]]:
    """(index, negated) of the non-space tokens in [a, b); negation lasts to the end of its clause."""
    out = []
    neg = False
    for i in range(a, b):
        f = infos[i][FLAGS]
        if f & F_SPACE:
            continue
        out.append((i, neg))
        if f & (SCOPE_STOP | F_END):
            neg = False
        elif f & (F_NEG | F_NO):
            neg = True
    return out


def span_features(infos: list[tuple], a: int, b: int) -> list[str]:
    """Sparse features of tokens [a, b) with repeats (training): bias, token features, word bigrams."""
    out = ["bias"]
    prev = "<s>"
    for i, neg in tokens(infos, a, b):
        out += token_features(infos[i], neg)
        low = infos[i][LOWER]
        out.append(f"b={prev} {low}")
        prev = low
    return out


def dense_features(rule: float, band: float, problem: float, praise: float, question: bool) -> list[float]:
    """The rules' verdict on a span: normalised score, past the band either way, intents, "?"."""
    return [rule, float(rule > band), float(rule < -band), problem, praise, float(question)]


def compound_to_valence(c: float) -> float:
    """The inverse of :func:`nlp.sentiment.normalize` (a valence sum with that normalised score)."""
    c = max(-0.995, min(0.995, c))
    return c * math.sqrt(ALPHA) / math.sqrt(1.0 - c * c)


class SentenceSentiment:
    """The learned model: sparse weights (features x 3), dense weights (6 x 3), a temperature."""

    def __init__(
        self,
        vocab: dict[str, int],
        weights: np.ndarray,
        dense: np.ndarray,
        temperature: float,
        band: float = 0.07,
    ) -> None:
        self.band = float(band)  # the neutral band the rule features were computed with
        self.vocab = vocab
        self.weights = np.asarray(weights, dtype=np.float64)
        self.dense = np.asarray(dense, dtype=np.float64)
        self.temperature = float(temperature)
        self._rows = [tuple(r) for r in self.weights.tolist()]
        self._dense = [tuple(r) for r in self.dense.tolist()]
        self._zero = (0.0, 0.0, 0.0)
        self._bias = self._rows[vocab["bias"]] if "bias" in vocab else self._zero
        self._tok: dict[tuple[str, bool], tuple[float, float, float]] = {}
        self._plain: dict[str, tuple[float, float, float]] = {}  # the same, per negation state, by word
        self._negated: dict[str, tuple[float, float, float]] = {}
        # bigram rows keyed by the word pair (no key string per token at analysis time)
        self._bigrams = {
            tuple(n[2:].split(" ", 1)): self._rows[j]
            for n, j in vocab.items()
            if n.startswith("b=") and n.count(" ") == 1
        }

    def token_vec(self, info: tuple, negated: bool) -> tuple[float, float, float]:
        """Summed weights of a token's features (cached per token text and negation state)."""
        key = (info[LOWER], negated)
        v = self._tok.get(key)
        if v is None:
            if len(self._tok) > 200_000:
                self._tok.clear()
            ids = [j for j in map(self.vocab.get, token_features(info, negated)) if j is not None]
            if len(ids) == 1:
                v = self._rows[ids[0]]
            elif len(ids) == 2:  # a word and its polarity: numpy's sum of two rows is their one addition
                r, s = self._rows[ids[0]], self._rows[ids[1]]
                v = (r[0] + s[0], r[1] + s[1], r[2] + s[2])
            elif ids:
                a, b, c = self.weights.take(ids, axis=0).sum(axis=0).tolist()  # take: the same rows, cheaper
                v = (a, b, c)
            else:
                v = self._zero
            self._tok[key] = v
        return v

    def _logits(self, infos: list[tuple], a: int, b: int) -> tuple[float, float, float]:
        """The sparse part of the logits of tokens [a, b) (the hot path: no contributions kept)."""
        z0, z1, z2 = self._bias
        plain, negated, big = self._plain, self._negated, self._bigrams
        neg = False
        prev = "<s>"
        for i in range(a, b):
            x = infos[i]
            f = x[FLAGS]
            if f & F_SPACE:
                continue
            low = x[LOWER]
            v = (negated if neg else plain).get(low)
            if v is None:
                cache = negated if neg else plain
                if len(cache) > 200_000:
                    cache.clear()  # bounded memory on adversarial vocabularies
                v = cache[low] = self.token_vec(x, neg)
            z0 += v[0]
            z1 += v[1]
            z2 += v[2]
            r = big.get((prev, low))
            if r is not None:
                z0 += r[0]
                z1 += r[1]
                z2 += r[2]
            prev = low
            if f & (SCOPE_STOP | F_END):
                neg = False
            elif f & (F_NEG | F_NO):
                neg = True
        return z0, z1, z2

    def logits(self, infos: list[tuple], a: int, b: int, dense: list[float]) -> tuple[list[float], list]:
        """Raw logits of tokens [a, b) with their dense features, and (token, vector) contributions."""
        z0, z1, z2 = self._bias
        cache, vocab, rows = self._tok, self.vocab, self._rows
        contrib = []
        prev = "<s>"
        for i, neg in tokens(infos, a, b):
            x = infos[i]
            low = x[LOWER]
            v = cache.get((low, neg)) or self.token_vec(x, neg)
            j = vocab.get("b=" + prev + " " + low)
            if j is not None:
                r = rows[j]
                v = (v[0] + r[0], v[1] + r[1], v[2] + r[2])
            contrib.append((i, v))
            z0 += v[0]
            z1 += v[1]
            z2 += v[2]
            prev = low
        for x, r in zip(dense, self._dense, strict=True):
            if x:
                z0 += x * r[0]
                z1 += x * r[1]
                z2 += x * r[2]
        return [z0, z1, z2], contrib

    def probabilities(self, z: list[float]) -> list[float]:
        """Calibrated class probabilities of raw logits."""
        t = self.temperature
        m = max(z)
        e = [math.exp((x - m) / t) for x in z]
        s = sum(e)
        return [x / s for x in e]

    def apply(self, scored, infos: list[tuple], intents: list[tuple], sparse: list | None = None) -> None:
        """Set each sentence's valence from the model, keeping the rules' words as its explanation (see
        the module docstring). ``intents``: the doc's (label, score, sentence, first, end) rows;
        ``sparse``: each sentence's :meth:`_logits` computed beforehand (:mod:`nlp.joint`)."""
        band = self.band
        w = scored.weights
        problem: dict[int, tuple] = {}
        praise: dict[int, float] = {}
        for label, p, s, x, y in intents:
            if label in PROBLEM and (s not in problem or p > problem[s][0]):
                problem[s] = (p, x, y)
            elif label == "praise" and p > praise.get(s, 0.0):
                praise[s] = p
        hits = None
        quest = scored.anyflags & F_QUEST  # "?" is a boundary token: no sentence has one without it
        for s, (a, b) in enumerate(scored.sentences):
            e = scored.emphasis[s]
            cur = sum(w[a:b]) + e
            rule = cur / math.sqrt(cur * cur + ALPHA) if cur else 0.0
            pr = problem.get(s)
            question = bool(quest) and any(infos[i][FLAGS] & F_QUEST for i in range(a, b))
            dense = dense_features(rule, band, pr[0] if pr else 0.0, praise.get(s, 0.0), question)
            z0, z1, z2 = self._logits(infos, a, b) if sparse is None else sparse[s]
            for x, r in zip(dense, self._dense, strict=True):
                if x:
                    z0 += x * r[0]
                    z1 += x * r[1]
                    z2 += x * r[2]
            p = self.probabilities([z0, z1, z2])
            if abs(rule) > band:
                # the rules decided (their words or a problem intent): the model only overrules them
                # when it is more likely than not that the sentence says the opposite
                k = 0 if rule > 0 else 2
                if p[k] <= FLIP:
                    continue
            else:
                k = p.index(max(p))
                if k == 1 or not any(infos[i][FLAGS] & F_ALPHA for i in range(a, b)):
                    continue  # no polarity seen, or no word to carry one ("!!!")
            if k == 0 and s in scored.loyal and rule >= -band:
                continue  # "nobody on the team wants to leave": the rules' verdict stays (nlp.churn)
            c = p[2] - p[0]
            c = math.copysign(max(abs(c), MIN_COMPOUND), 1.0 if k == 2 else -1.0)
            target = compound_to_valence(c)
            if hits is None:
                hits = set(scored.hits)
                scored.rules = (list(w), scored.total, list(scored.hits))  # for nlp.polarity
            if cur and (cur > 0) == (target > 0):
                f = target / cur
                for i in range(a, b):
                    if w[i]:
                        w[i] *= f
                scored.emphasis[s] = e * f
                continue
            # the rules point the other way (or nowhere): the difference goes on the strongest word on
            # the model's side, else on the problem intent's evidence, else on the word the model weighs
            # most; the other words keep their weights (a mixed sentence's clauses keep their own sign,
            # so "the docs are excellent" stays positive for its topic)
            sign = 1.0 if target > 0 else -1.0
            side = [i for i in range(a, b) if w[i] * sign > 0]
            if side:
                tok = max(side, key=lambda i: abs(w[i]))
            elif pr is not None and target < 0:
                x, y = pr[1], pr[2]
                tok = max(range(x, y), key=lambda i: (infos[i][FLAGS] & F_ALPHA != 0, i))
            else:
                col = 2 if target > 0 else 0
                contrib = self.logits(infos, a, b, dense)[1]
                if not contrib:
                    continue
                tok = max(
                    contrib, key=lambda c: (infos[c[0]][FLAGS] & F_ALPHA != 0, c[1][col] - c[1][2 - col])
                )[0]
            w[tok] += target - cur
            hits.add(tok)
        if hits is not None:  # something changed
            scored.hits = sorted(i for i in hits if w[i])
            scored.total = sum(w) + sum(scored.emphasis)

    def save(self, path) -> None:
        """Write the model (float16 sparse weights)."""
        names = sorted(self.vocab, key=self.vocab.__getitem__)
        np.savez_compressed(
            path,
            names=np.array(names),
            weights=self.weights.astype(np.float16),
            dense=self.dense.astype(np.float32),
            temperature=np.array(self.temperature),
            band=np.array(self.band),
        )

    @classmethod
    def load(cls, path) -> SentenceSentiment:
        """Read a model written by :meth:`save`."""
        d = np.load(path, allow_pickle=False)
        vocab = {str(n): i for i, n in enumerate(d["names"])}
        return cls(vocab, d["weights"], d["dense"], float(d["temperature"]), float(d["band"]))


@lru_cache(maxsize=1)
def default_model() -> SentenceSentiment | None:
    """The shipped model (``nlp/data/sentence_sentiment.npz``), loaded once per process; None if absent."""
    ref = resources.files("nlp.data").joinpath(MODEL_FILE)
    if not ref.is_file():
        return None
    with resources.as_file(ref) as p:
        return SentenceSentiment.load(p)
