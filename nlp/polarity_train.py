"""Training the topic-polarity model (:class:`nlp.polarity.PolarityModel`) on (text, topic, label) triples.

Pure numpy: full-batch Adam on softmax cross-entropy with L2. The L2 strength and the weight of the second
learner (the spaCy textcat of :mod:`nlp.polarity_textcat`) are chosen by k-fold cross-validation grouped by
text (a text's pairs stay in one fold): out-of-fold predictions of every training pair, so the choices rest
on all the data rather than on a small dev split. A few thousand examples train in about a minute.
"""

from __future__ import annotations

import json
import random
from collections import Counter

import numpy as np

from nlp.polarity import PolarityModel, features, learn_association
from nlp.polarity_textcat import tc_input

L2_GRID = (3e-4, 1e-3, 3e-3)
FOLDS = 5
MIN_CV_TEXTS = 10  # fewer distinct texts: no cross-validation (default L2, no textcat)


def train_polarity(
    examples: list[tuple[str, str, str]],
    *,
    seed: int = 0,
    epochs: int = 300,
    l2: float | None = None,
    min_count: int = 1,
    textcat: bool = True,
    folds: int = FOLDS,
    log=print,
) -> PolarityModel:
    """Train on (text, topic, label) triples; the rule scorer runs on a blank English pipeline.

    With ``l2=None`` the regularisation is chosen from ``L2_GRID`` by ``folds``-fold cross-validation; with
    ``textcat`` a spaCy textcat is trained too and its weight in the average chosen on the same folds.
    """
    from nlp.analyzer import build_pipeline

    nlp = build_pipeline(None)
    texts = list(dict.fromkeys(t for t, _, _ in examples))
    states = {t: doc._.clearloop for t, doc in zip(texts, nlp.pipe(texts, batch_size=256), strict=True)}
    pairs = [(states[t], topic) for t, topic, _ in examples]
    classes = sorted({lab for _, _, lab in examples})
    y = np.array([classes.index(lab) for _, _, lab in examples])
    fold_of = _folds([t for t, _, _ in examples], folds, seed)
    cv = fold_of is not None
    oof: dict[float, np.ndarray] = {}
    if cv and (l2 is None or textcat):
        grid = L2_GRID if l2 is None else (l2,)
        oof = _oof(pairs, y, fold_of, len(classes), grid, min_count, epochs, seed)
        for value in grid:
            acc = float((oof[value].argmax(axis=1) == y).mean())
            log(json.dumps({"polarity_l2": value, "cv_accuracy": round(acc, 4)}))
        if l2 is None:  # the best out-of-fold accuracy; the stronger regularisation on ties
            l2 = max(oof, key=lambda v: ((oof[v].argmax(axis=1) == y).mean(), v))
    l2 = 1e-3 if l2 is None else l2
    assoc, vocab, design = _design(pairs, range(len(pairs)), min_count)
    weights = _fit(*_stack(design), y, len(vocab), len(classes), epochs=epochs, l2=l2, seed=seed)
    model = PolarityModel(classes, vocab, weights, assoc, {topic for _, topic, _ in examples})
    cv_acc = float((oof[l2].argmax(axis=1) == y).mean()) if cv else None
    if textcat and cv:
        inputs = [tc_input(s, topic) for s, topic in pairs]
        cv_acc = _add_textcat(model, oof[l2], y, inputs, fold_of, seed, log)
    info = {
        "examples": len(y),
        "features": len(vocab),
        "classes": classes,
        "l2": l2,
        "mix": model.mix,
        "cv_accuracy": None if cv_acc is None else round(cv_acc, 4),
    }
    log(json.dumps({"polarity_model": info}))
    return model


def _folds(texts: list[str], k: int, seed: int) -> np.ndarray | None:
    """Fold number of every pair, by text (shuffled texts dealt round-robin); None when too few texts."""
    uniq = sorted(set(texts))
    if len(uniq) < max(MIN_CV_TEXTS, k) or k < 2:
        return None
    random.Random(seed).shuffle(uniq)  # noqa: S311  (reproducible folds)
    fold = {t: i % k for i, t in enumerate(uniq)}
    return np.array([fold[t] for t in texts])


def _design(
    pairs: list, fit_idx, min_count: int
) -> tuple[dict, dict[str, int], list[list[tuple[int, float]]]]:
    """Word-topic association and vocabulary learned on the ``fit_idx`` pairs; every pair's sparse row."""
    fit_idx = list(fit_idx)
    assoc = learn_association([pairs[k] for k in fit_idx])
    feats = [features(s, topic, assoc) for s, topic in pairs]
    counts = Counter(name for k in fit_idx for name, _ in feats[k])
    vocab = {n: i for i, n in enumerate(sorted(n for n, c in counts.items() if c >= min_count))}
    return assoc, vocab, [[(vocab[n], v) for n, v in f if n in vocab] for f in feats]


def _oof(pairs, y, fold_of, n_cls, grid, min_count, epochs, seed) -> dict[float, np.ndarray]:
    """Out-of-fold class probabilities of every pair for each L2 in ``grid`` (association and vocabulary
    learned per fold too)."""
    out = {l2: np.zeros((len(y), n_cls)) for l2 in grid}
    for fold in np.unique(fold_of):
        fit_idx = np.flatnonzero(fold_of != fold)
        held = np.flatnonzero(fold_of == fold)
        _, vocab, design = _design(pairs, fit_idx, min_count)
        stacked = _stack([design[k] for k in fit_idx])
        for l2 in grid:
            W = _fit(*stacked, y[fit_idx], len(vocab), n_cls, epochs=epochs, l2=l2, seed=seed)
            out[l2][held] = _softmax(_scores(W, [design[k] for k in held], n_cls))
    return out


def _add_textcat(model, lr_oof, y, inputs, fold_of, seed, log) -> float:
    """Choose the textcat's weight on out-of-fold predictions of both learners, then train it on all.
    Returns the cross-validated accuracy of the chosen average."""
    from nlp import polarity_textcat as ptc

    classes = model.classes
    tc_oof = np.zeros_like(lr_oof)
    for fold in np.unique(fold_of):
        fit_idx = np.flatnonzero(fold_of != fold)
        held = np.flatnonzero(fold_of == fold)
        tc = ptc.train([inputs[k] for k in fit_idx], [classes[i] for i in y[fit_idx]], classes, seed)
        tc_oof[held] = ptc.proba(tc, [inputs[k] for k in held], classes)
    mix, acc = ptc.choose_mix(lr_oof, tc_oof, y)
    log(json.dumps({"polarity_textcat_mix": mix, "cv_accuracy": round(acc, 4)}))
    if mix > 0:
        model.textcat = ptc.train(inputs, [classes[i] for i in y], classes, seed)
        model.mix = mix
    return acc


def _scores(W: np.ndarray, design: list[list[tuple[int, float]]], n_cls: int) -> np.ndarray:
    rows, cols, vals = _stack(design)
    z = np.zeros((len(design), n_cls))
    np.add.at(z, rows, W[cols] * vals[:, None])
    return z


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _stack(design: list[list[tuple[int, float]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [r for r, row in enumerate(design) for _ in row]
    cols = [j for row in design for j, _ in row]
    vals = [v for row in design for _, v in row]
    return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(vals, dtype=np.float64)


def _fit(rows, cols, vals, y, n_feat: int, n_cls: int, *, epochs: int, l2: float, seed: int) -> np.ndarray:
    """Full-batch Adam on softmax cross-entropy with L2 over a sparse design matrix (row-sorted, as
    :func:`_stack` makes it). Sums by ``np.add.reduceat`` over row runs and, for the gradient, over runs
    of a column-sorted copy: several times faster than ``np.add.at``."""
    rng = np.random.default_rng(seed)
    W = rng.normal(0, 0.01, size=(n_feat, n_cls))
    m, v = np.zeros_like(W), np.zeros_like(W)
    n = len(y)
    onehot = np.eye(n_cls)[y]
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    if not len(rows):
        return W
    row_starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    row_ids = rows[row_starts]
    order = np.argsort(cols, kind="stable")
    sorted_cols = cols[order]
    col_starts = np.flatnonzero(np.r_[True, sorted_cols[1:] != sorted_cols[:-1]])
    col_ids = sorted_cols[col_starts]
    rows_by_col, vals_by_col = rows[order], vals[order][:, None]
    vals = vals[:, None]
    for t in range(1, epochs + 1):
        z = np.zeros((n, n_cls))
        z[row_ids] = np.add.reduceat(W[cols] * vals, row_starts, axis=0)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        d = (p - onehot) / n
        g = l2 * W
        g[col_ids] += np.add.reduceat(d[rows_by_col] * vals_by_col, col_starts, axis=0)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        W -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return W
