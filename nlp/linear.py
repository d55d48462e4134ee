"""A sparse multi-label logistic regression over n-gram and stem features (numpy only).

It is averaged with the spaCy textcat in :mod:`nlp.topic_model`: two different learners (a hashed
bag-of-words network and an L2-regularised linear model over lower-cased words, match keys and bigrams)
make different mistakes, and their mean is more accurate than either on SemEval-2014.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import numpy as np

from nlp.sentiment import F_SPACE, FLAGS, LOWER

KEY = 5


def ngram_features(infos: list[tuple]) -> set[str]:
    """Lower-cased unigrams, match keys (stems) and bigrams of a doc's token infos."""
    toks = [x for x in infos if not x[FLAGS] & F_SPACE]
    low = [x[LOWER] for x in toks]
    f = {"bias"}
    f.update("u=" + w for w in low)
    f.update("k=" + x[KEY] for x in toks)
    f.update(f"b={a}_{b}" for a, b in itertools.pairwise(low))
    return f


class LinearTopicModel:
    """Per-label sigmoid scores from :func:`ngram_features`."""

    def __init__(self, labels: list[str], vocab: dict[str, int], weights: np.ndarray) -> None:
        self.labels = labels
        self.vocab = vocab
        self.weights = weights

    def scores(self, infos: list[tuple]) -> np.ndarray:
        """Probability of each label (in ``labels`` order)."""
        vocab = self.vocab
        idx = [vocab[f] for f in ngram_features(infos) if f in vocab]
        z = self.weights[idx].sum(axis=0)
        return 1.0 / (1.0 + np.exp(-z))

    def batch_scores(self, infos_list: list[list[tuple]]) -> np.ndarray:
        """Probabilities for many docs at once (one numpy reduction per batch, not per doc)."""
        vocab = self.vocab
        idx: list[int] = []
        starts: list[int] = []
        for infos in infos_list:
            starts.append(len(idx))
            idx.extend(vocab[f] for f in ngram_features(infos) if f in vocab)
        if not idx or len(idx) == starts[-1]:  # an empty last row would break reduceat: score one by one
            return np.array([self.scores(i) for i in infos_list]).reshape(len(infos_list), len(self.labels))
        z = np.add.reduceat(self.weights[idx], starts, axis=0)
        empty = [
            k for k in range(len(starts)) if (starts[k + 1] if k + 1 < len(starts) else len(idx)) == starts[k]
        ]
        z[empty] = 0.0
        return 1.0 / (1.0 + np.exp(-z))

    def save(self, path: str | Path) -> None:
        """Save as a compressed .npz."""
        names = sorted(self.vocab, key=self.vocab.__getitem__)
        np.savez_compressed(
            path, weights=self.weights.astype(np.float32), labels=np.array(self.labels), names=np.array(names)
        )

    @classmethod
    def load(cls, path: str | Path) -> LinearTopicModel:
        """Load a model written by :meth:`save`."""
        d = np.load(path, allow_pickle=False)
        names = [str(x) for x in d["names"]]
        return cls(
            [str(x) for x in d["labels"]],
            {n: i for i, n in enumerate(names)},
            d["weights"].astype(np.float64),
        )

    @classmethod
    def fit(
        cls,
        infos_list: list[list[tuple]],
        topics: list[list[str]],
        labels: list[str],
        *,
        l2: float = 3e-4,
        epochs: int = 200,
        min_count: int = 2,
    ) -> LinearTopicModel:
        """Train with full-batch Adam on the summed binary cross-entropy (+ L2)."""
        feats = [ngram_features(i) for i in infos_list]
        counts = Counter(f for fs in feats for f in fs)
        vocab = {n: i for i, n in enumerate(sorted(n for n, c in counts.items() if c >= min_count))}
        rows, cols = [], []
        for r, fs in enumerate(feats):
            for f in fs:
                j = vocab.get(f)
                if j is not None:
                    rows.append(r)
                    cols.append(j)
        y = np.array([[float(lab in ts) for lab in labels] for ts in topics])
        return cls(
            labels,
            vocab,
            _fit(np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), y, len(vocab), l2, epochs),
        )


def _fit(
    rows: np.ndarray, cols: np.ndarray, y: np.ndarray, n_feat: int, l2: float, epochs: int
) -> np.ndarray:
    n, n_lab = y.shape
    W = np.zeros((n_feat, n_lab))
    m, v = np.zeros_like(W), np.zeros_like(W)
    lr, b1, b2 = 0.05, 0.9, 0.999
    for t in range(1, epochs + 1):
        z = np.zeros((n, n_lab))
        np.add.at(z, rows, W[cols])
        d = (1.0 / (1.0 + np.exp(-z)) - y) / n
        g = np.zeros_like(W)
        np.add.at(g, cols, d[rows])
        g += l2 * W
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        W -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + 1e-8)
    return W
