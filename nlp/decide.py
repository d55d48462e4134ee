"""Turning per-label scores into a label set: thresholds, the textcat/linear mix and a fallback label.

All three are chosen on held-out data (a dev split of the training data), by micro-F1 of the label sets.
The fallback applies only when every training example has at least one label (as in SemEval-2014, where
"anecdotes/miscellaneous" is what a sentence is about when it is about nothing specific): then a text whose
scores pass no threshold gets either the most frequent catch-all label or its best-scoring label
(relative to that label's threshold), whichever did better on dev, or nothing if that did best.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

GRID = [round(0.025 * i, 3) for i in range(2, 37)]  # 0.05 .. 0.9
MIX_GRID = (0.0, 0.25, 0.4, 0.5, 0.6, 0.75, 1.0)  # weight of the spaCy textcat in the average
ARGMAX = "<argmax>"


def decide(
    scores: np.ndarray, labels: list[str], thresholds: np.ndarray, fallback: str | None
) -> list[set[str]]:
    """Label sets from a (texts x labels) score matrix."""
    passed = scores >= thresholds
    out: list[set[str]] = []
    for k, row in enumerate(passed):
        s = {labels[j] for j in np.flatnonzero(row)}
        if not s and fallback is not None:
            s = {labels[int(np.argmax(scores[k] / thresholds))] if fallback == ARGMAX else fallback}
        out.append(s)
    return out


def _predicted(scores: np.ndarray, th: np.ndarray, fallback_col: int | None, argmax: bool) -> np.ndarray:
    pred = scores >= th
    if argmax or fallback_col is not None:
        empty = ~pred.any(axis=1)
        if empty.any():
            cols = np.argmax(scores[empty] / th, axis=1) if argmax else fallback_col
            pred[np.flatnonzero(empty), cols] = True
    return pred


def _f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = float(np.logical_and(pred, gold).sum())
    return 2 * tp / (pred.sum() + gold.sum()) if tp else 0.0


def choose_thresholds(
    scores: np.ndarray, gold: Sequence[set[str]], labels: list[str], fallback: str | None = None
) -> tuple[np.ndarray, float]:
    """Per-label thresholds by coordinate ascent on micro-F1 (two sweeps); return them and the F1."""
    g = np.array([[lab in s for lab in labels] for s in gold], dtype=bool).reshape(len(gold), len(labels))
    col = labels.index(fallback) if fallback in labels else None
    argmax = fallback == ARGMAX
    th = np.full(len(labels), 0.5)
    best_f = _f1(_predicted(scores, th, col, argmax), g)
    for _ in range(2):
        for j in range(len(labels)):
            for t in GRID:
                trial = th.copy()
                trial[j] = t
                f = _f1(_predicted(scores, trial, col, argmax), g)
                if f > best_f + 1e-9:
                    best_f, th = f, trial
    return th, best_f


def fallback_options(train_topics: Sequence[Sequence[str]]) -> list[str | None]:
    """No fallback, and, when every training text has a label, the catch-all label and the arg-max."""
    if not train_topics or not all(train_topics):
        return [None]
    common = Counter(t for ts in train_topics for t in ts).most_common(1)[0][0]
    return [None, common, ARGMAX]


def choose(
    textcat: np.ndarray | None,
    linear: np.ndarray | None,
    gold: Sequence[set[str]],
    labels: list[str],
    options: list[str | None],
) -> dict:
    """Pick the mix weight, fallback and thresholds with the best dev micro-F1."""
    mixes = MIX_GRID if textcat is not None and linear is not None else (1.0 if linear is None else 0.0,)
    best: dict = {"f1": -1.0}
    for mix in mixes:
        if textcat is None:
            scores = linear
        elif linear is None:
            scores = textcat
        else:
            scores = mix * textcat + (1 - mix) * linear
        for fb in options:
            th, f1 = choose_thresholds(scores, gold, labels, fb)
            if f1 > best["f1"] + 1e-9:
                best = {"f1": f1, "mix": mix, "fallback": fb, "thresholds": th}
    return best
