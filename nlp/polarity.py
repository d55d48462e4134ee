"""Topic-level (aspect) polarity: a small multinomial logistic regression trained on (text, topic, label).

Features combine the rule scorer with what the data teaches: how strongly each clause is associated with the
topic (learned word-topic association), the sentiment of the most topic-associated clause, document and
clause extremes (both strong praise and strong complaint suggest "conflict"), and words conjoined with the
topic, negation-marked. Pure numpy; trains on a few thousand examples in seconds.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nlp.flags import F_CONTENT, F_END, F_NEG, F_NO, F_SPACE, FLAGS, LOWER, SCOPE_STOP
from nlp.sentiment import normalize

if TYPE_CHECKING:
    from nlp.components import DocState

KEY = 5
TEXTCAT_DIR = "polarity_textcat"  # beside polarity.npz (nlp.polarity_textcat)


def _doc_parts(state: DocState) -> tuple:
    """Topic-independent parts of the features, computed once per doc: clauses, their scores and match
    keys, the negation-marked n-grams."""
    memo = state.memo
    if memo is None:
        memo = state.memo = {}
    parts = memo.get("polarity")
    if parts is None:
        infos, w = state.infos, state.scored.rule_view()[0]
        clauses = state.scored.clause_spans()
        cscores = [normalize(sum(w[x:y])) for x, y in clauses]
        keys = [x[KEY] for x in infos]
        ckeys = [set(keys[x:y]) for x, y in clauses]
        parts = memo["polarity"] = (clauses, cscores, ckeys, negation_ngrams(infos))
    return parts


DENSE = ("doc", "topical", "evid", "maxpos", "minneg", "conflict", "evid_abs", "no_sent")


def features(state: DocState, topic: str, assoc: dict[str, dict[str, float]]) -> list[tuple[str, float]]:
    """Named feature values for one (doc, topic) pair."""
    values = dense_values(state, topic, assoc)
    if values is None:
        return [("bias", 1.0), (f"t={topic}", 1.0)]
    out = list(zip(dense_names(topic), values, strict=True))
    grams = _doc_parts(state)[3]
    out += [(g, 1.0) for g in grams]
    out += [(f"t={topic}|{g}", 1.0) for g in grams if g.startswith("w=")]
    best = topical_clause(state, topic, assoc)
    if best is not None:
        out += [(g, 1.0) for g in clause_words(state, best)]
    return out


def dense_names(topic: str) -> list[str]:
    """Names of :func:`dense_values`: bias, topic, and each lexicon score alone and conjoined with the topic
    (the conjoined words, "t=food|w=cold", say that "cold" is bad for food, fine for ambience: NRC-Canada)."""
    return ["bias", f"t={topic}"] + [n for name in DENSE for n in (name, f"t={topic}|{name}")]


def dense_values(state: DocState, topic: str, assoc: dict[str, dict[str, float]]) -> list[float] | None:
    """Values of the dense features (None for a doc without scores: then only bias and topic apply)."""
    infos, sc = state.infos, state.scored
    if sc is None or not infos:
        return None
    clauses, cscores, _, _ = _doc_parts(state)
    cweights = _clause_weights(state, topic, assoc)
    tot = sum(cweights)
    _, total, hits = sc.rule_view()  # the rules' weights: the learned sentence model's are not read here
    doc = normalize(total)
    topical = sum(cw * s for cw, s in zip(cweights, cscores, strict=True)) / tot if tot else doc
    best = max(range(len(clauses)), key=cweights.__getitem__) if clauses else 0
    evid = cscores[best] if clauses and tot else 0.0
    pos = max([s for s in cscores if s > 0], default=0.0)
    neg = min([s for s in cscores if s < 0], default=0.0)
    vals = (doc, topical, evid, pos, neg, min(pos, -neg), abs(evid), 0.0 if hits else 1.0)
    return [1.0, 1.0] + [v for v in vals for _ in (0, 1)]


def _clause_weights(state: DocState, topic: str, assoc: dict[str, dict[str, float]]) -> list[float]:
    """Each clause's association with the topic: its most topic-associated word's PMI (0 for none);
    computed once per doc and topic."""
    ckeys = _doc_parts(state)[2]
    key = ("polarity_cw", topic, id(assoc))
    cweights = state.memo.get(key)
    if cweights is None:
        a = assoc.get(topic, {})
        cweights = state.memo[key] = [max([a[k] for k in keys & a.keys()], default=0.0) for keys in ckeys]
    return cweights


def topical_clause(state: DocState, topic: str, assoc: dict[str, dict[str, float]]) -> int | None:
    """Index of the clause most associated with the topic (None without scores or without any
    associated word: then the whole-doc n-grams stand alone)."""
    if state.scored is None or not state.infos:
        return None
    cweights = _clause_weights(state, topic, assoc)
    if not any(cweights):
        return None
    return max(range(len(cweights)), key=cweights.__getitem__)


def clause_words(state: DocState, clause: int) -> list[str]:
    """The negation-marked words of one clause as features ("cw=cold"): the words next to the topic's
    own words carry its sentiment in sentences about several topics (the local context of NRC-Canada's
    aspect-term features). Computed once per clause and doc."""
    memo = state.memo
    key = ("polarity_clause", clause)
    words = memo.get(key)
    if words is None:
        x, y = _doc_parts(state)[0][clause]
        grams = negation_ngrams(state.infos[x:y])
        words = memo[key] = sorted("c" + g for g in grams if g.startswith("w="))
    return words


def negation_ngrams(infos: list[tuple]) -> set[str]:
    """Unigrams and bigrams, with "_NEG" on words after a negator until punctuation (Pang & Lee; as in
    NRC-Canada's SemEval-2014 system): "not good" gives w=good_NEG, which learns its own weight."""
    out: set[str] = set()
    neg = False
    prev = "<s>"
    for x in infos:
        f = x[FLAGS]
        if f & F_SPACE:
            continue
        if f & (SCOPE_STOP | F_END):
            neg, prev = False, "<p>"
            continue
        w = x[LOWER]
        if f & (F_NEG | F_NO):
            neg = True
        elif neg:
            w += "_NEG"
        out.add("w=" + w)
        out.add(f"b={prev}_{w}")
        prev = w
    return out


def learn_association(pairs: list[tuple[DocState, str]]) -> dict[str, dict[str, float]]:
    """Positive PMI of (match key, topic) from training pairs: which words signal which topic."""
    key_topic: dict[str, Counter] = defaultdict(Counter)
    key_n: Counter = Counter()
    topic_n: Counter = Counter()
    for state, topic in pairs:
        keys = {x[KEY] for x in state.infos if x[FLAGS] & F_CONTENT}
        topic_n[topic] += 1
        for k in keys:
            key_topic[k][topic] += 1
            key_n[k] += 1
    total = max(1, len(pairs))
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for k, counter in key_topic.items():
        if key_n[k] < 2:
            continue
        for t, c in counter.items():
            pmi = math.log((c + 0.5) / (key_n[k] + 1.0) / (topic_n[t] / total))
            if pmi > 0:
                out[t][k] = round(pmi, 4)
    return dict(out)


class PolarityModel:
    """Multinomial logistic regression over :func:`features`."""

    def __init__(
        self,
        classes: list[str],
        vocab: dict[str, int],
        weights: np.ndarray,
        assoc: dict[str, dict[str, float]],
        topics: set[str],
    ) -> None:
        self.classes = classes
        self.vocab = vocab
        self.weights = weights
        self.assoc = assoc
        self.topics = topics
        self._dense: dict[str, list[int]] = {}
        self.textcat = None  # an optional spaCy textcat averaged in (nlp.polarity_textcat)
        self.mix = 0.0  # its weight
        # (topic, "w=word") -> id of "t=topic|w=word": no string building per word at inference
        self._conj = {
            (t, name[len(t) + 3 :]): j
            for t in topics
            for name, j in vocab.items()
            if name.startswith(f"t={t}|w=")
        }

    def _dense_ids(self, topic: str) -> list[int]:
        ids = self._dense.get(topic)
        if ids is None:
            ids = self._dense[topic] = [self.vocab.get(n, -1) for n in dense_names(topic)]
        return ids

    def proba(self, state: DocState, topic: str) -> dict[str, float]:
        """Class probabilities for a topic in a doc (prefetched for a batch by the analyser)."""
        key = ("polarity_p", id(self), topic)
        if state.memo is None or key not in state.memo:
            self.prefetch([(state, topic)])
        p = state.memo[key]
        return {c: float(p[i]) for i, c in enumerate(self.classes)}

    def prefetch(self, pairs: list[tuple[DocState, str]]) -> None:
        """Probabilities of many (doc, topic) pairs at once: one gather and reduction for the logistic
        regression, one ``nlp.pipe`` for the textcat; they wait in each doc state's memo."""
        if not pairs:
            return
        p = self._lr_probs(pairs)
        if self.textcat is not None and self.mix > 0:
            from nlp.polarity_textcat import proba, tc_input

            tc = proba(self.textcat, [tc_input(s, t) for s, t in pairs], self.classes)
            p = (1 - self.mix) * p + self.mix * tc
        for (state, topic), row in zip(pairs, p, strict=True):
            if state.memo is None:
                state.memo = {}
            state.memo[("polarity_p", id(self), topic)] = row

    def _lr_probs(self, pairs: list[tuple[DocState, str]]) -> np.ndarray:
        idx: list[int] = []
        vals: list[float] = []
        starts: list[int] = []
        for state, topic in pairs:
            starts.append(len(idx))
            ids, values = self._sparse(state, topic)
            idx += ids
            vals += values
        z = np.zeros((len(pairs), len(self.classes)))
        nonempty = [
            k for k in range(len(pairs)) if (starts[k + 1] if k + 1 < len(starts) else len(idx)) > starts[k]
        ]
        if nonempty:
            rows = self.weights[idx] * np.asarray(vals)[:, None]
            z[nonempty] = np.add.reduceat(rows, [starts[k] for k in nonempty], axis=0)
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def _sparse(self, state: DocState, topic: str) -> tuple[list[int], list[float]]:
        """Feature ids and values of a (doc, topic) pair (the same features as :func:`features`)."""
        ids = self._dense_ids(topic)
        values = dense_values(state, topic, self.assoc)
        if values is None:
            keep = [j for j in ids[:2] if j >= 0]
            return keep, [1.0] * len(keep)
        cols = [j for j in ids if j >= 0]
        vals = [v for j, v in zip(ids, values, strict=True) if j >= 0]
        grams = _doc_parts(state)[3]
        key = ("polarity_ids", id(self))
        gram_ids = state.memo.get(key)
        if gram_ids is None:  # the topic-independent n-grams: looked up once per doc
            gram_ids = state.memo[key] = [j for j in map(self.vocab.get, grams) if j is not None]
        conj = self._conj
        extra = [j for j in (conj.get((topic, g)) for g in grams) if j is not None]
        best = topical_clause(state, topic, self.assoc)
        if best is not None:
            key = ("polarity_clause_ids", id(self), best)
            cids = state.memo.get(key)
            if cids is None:
                cids = state.memo[key] = [
                    j for j in map(self.vocab.get, clause_words(state, best)) if j is not None
                ]
            extra += cids
        return cols + gram_ids + extra, vals + [1.0] * (len(gram_ids) + len(extra))

    def predict(self, state: DocState, topic: str) -> str:
        """Most likely class (may be "conflict" when trained with it)."""
        p = self.proba(state, topic)
        return max(p, key=p.__getitem__)

    def predict_sentiment(self, state: DocState, topic: str) -> tuple[str, float]:
        """(label in positive/neutral/negative, score p(pos) - p(neg)); "conflict" is reported as neutral."""
        p = self.proba(state, topic)
        label = max(p, key=p.__getitem__)
        return ("neutral" if label == "conflict" else label), p.get("positive", 0.0) - p.get("negative", 0.0)

    def save(self, path: str | Path) -> None:
        """Save as a compressed .npz (weights, vocabulary, association, topics)."""

        names = sorted(self.vocab, key=self.vocab.__getitem__)
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float32),
            classes=np.array(self.classes),
            names=np.array(names),
            assoc=np.array(json.dumps(self.assoc)),
            topics=np.array(sorted(self.topics)),
            mix=np.array(self.mix),
        )
        if self.textcat is not None and self.mix > 0:
            self.textcat.to_disk(Path(path).with_name(TEXTCAT_DIR))

    @classmethod
    def load(cls, path: str | Path) -> PolarityModel:
        """Load a model written by :meth:`save`."""

        d = np.load(path, allow_pickle=False)
        names = [str(x) for x in d["names"]]
        model = cls(
            [str(c) for c in d["classes"]],
            {n: i for i, n in enumerate(names)},
            d["weights"].astype(np.float64),
            json.loads(str(d["assoc"])),
            {str(t) for t in d["topics"]},
        )
        tc_dir = Path(path).with_name(TEXTCAT_DIR)
        if "mix" in d and float(d["mix"]) > 0 and tc_dir.is_dir():
            import spacy

            model.textcat, model.mix = spacy.load(tc_dir), float(d["mix"])
        return model
