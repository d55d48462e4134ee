"""Training the topic-polarity model (:class:`nlp.polarity.PolarityModel`) on (text, topic, label) triples.

Pure numpy: full-batch Adam on softmax cross-entropy with L2, the L2 strength chosen on a dev split of the
training texts. A few thousand examples train in seconds.
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np

from nlp.polarity import PolarityModel, features, learn_association
from nlp.polarity_textcat import tc_input

L2_GRID = (1e-4, 3e-4, 1e-3, 3e-3)


def train_polarity(
    examples: list[tuple[str, str, str]],
    *,
    seed: int = 0,
    epochs: int = 300,
    l2: float | None = None,
    min_count: int = 2,
    textcat: bool = True,
    log=print,
) -> PolarityModel:
    """Train on (text, topic, label) triples; the rule scorer runs on a blank English pipeline.

    With ``l2=None`` the regularisation is chosen from ``L2_GRID`` on a dev split of the training texts; with
    ``textcat`` a spaCy textcat is trained too and its weight in the average chosen on the same split.
    """
    from nlp.analyzer import build_pipeline

    nlp = build_pipeline(None)
    texts = list(dict.fromkeys(t for t, _, _ in examples))
    states = {t: doc._.clearloop for t, doc in zip(texts, nlp.pipe(texts, batch_size=256), strict=True)}
    pairs = [(states[t], topic) for t, topic, _ in examples]
    assoc = learn_association(pairs)
    feats = [features(s, topic, assoc) for s, topic in pairs]
    counts = Counter(name for f in feats for name, _ in f)
    vocab = {n: i for i, n in enumerate(sorted(n for n, c in counts.items() if c >= min_count))}
    classes = sorted({lab for _, _, lab in examples})
    y = np.array([classes.index(lab) for _, _, lab in examples])
    design = [[(vocab[n], v) for n, v in f if n in vocab] for f in feats]
    texts_of = [t for t, _, _ in examples]
    tr, dv = _split(texts_of, seed)
    if l2 is None:
        l2 = _choose_l2(design, y, tr, dv, len(vocab), len(classes), epochs, seed, log)
    weights = _fit(*_stack(design), y, len(vocab), len(classes), epochs=epochs, l2=l2, seed=seed)
    model = PolarityModel(classes, vocab, weights, assoc, {topic for _, topic, _ in examples})
    if textcat and len(tr) >= 10 and dv:
        inputs = [tc_input(s, topic) for s, topic in pairs]
        _add_textcat(model, design, y, inputs, tr, dv, l2, epochs, seed, log)
    info = {"examples": len(y), "features": len(vocab), "classes": classes, "l2": l2, "mix": model.mix}
    log(json.dumps({"polarity_model": info}))
    return model


def _add_textcat(model, design, y, inputs, tr, dv, l2, epochs, seed, log) -> None:
    """Train the textcat on the dev split's train side, choose its weight on dev, then refit on all."""
    from nlp import polarity_textcat as ptc

    classes = model.classes
    W = _fit(
        *_stack([design[k] for k in tr]),
        y[tr],
        len(model.vocab),
        len(classes),
        epochs=epochs,
        l2=l2,
        seed=seed,
    )
    lr = _softmax(_scores(W, [design[k] for k in dv], len(classes)))
    tc = ptc.train([inputs[k] for k in tr], [classes[i] for i in y[tr]], classes, seed)
    mix, acc = ptc.choose_mix(lr, ptc.proba(tc, [inputs[k] for k in dv], classes), y[dv])
    log(json.dumps({"polarity_textcat_mix": mix, "dev_accuracy": round(acc, 4)}))
    if mix > 0:
        model.textcat = ptc.train(inputs, [classes[i] for i in y], classes, seed)
        model.mix = mix


def _scores(W: np.ndarray, design: list[list[tuple[int, float]]], n_cls: int) -> np.ndarray:
    rows, cols, vals = _stack(design)
    z = np.zeros((len(design), n_cls))
    np.add.at(z, rows, W[cols] * vals[:, None])
    return z


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _split(texts: list[str], seed: int) -> tuple[list[int], list[int]]:
    """Indices of a 85/15 split by text (a text's pairs stay on one side)."""
    import random

    uniq = sorted(set(texts))
    random.Random(seed).shuffle(uniq)  # noqa: S311  (reproducible split)
    dev_texts = set(uniq[: max(1, len(uniq) * 15 // 100)])
    return [k for k, t in enumerate(texts) if t not in dev_texts], [
        k for k, t in enumerate(texts) if t in dev_texts
    ]


def _stack(design: list[list[tuple[int, float]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [r for r, row in enumerate(design) for _ in row]
    cols = [j for row in design for j, _ in row]
    vals = [v for row in design for _, v in row]
    return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(vals, dtype=np.float64)


def _choose_l2(design, y, tr, dv, n_feat, n_cls, epochs, seed, log) -> float:
    """Pick L2 by accuracy on the dev split (15% of the texts)."""
    if len(tr) < 10 or not dv:
        return 1e-3
    best, best_acc = 1e-3, -1.0
    for l2 in L2_GRID:
        W = _fit(*_stack([design[k] for k in tr]), y[tr], n_feat, n_cls, epochs=epochs, l2=l2, seed=seed)
        acc = float((_scores(W, [design[k] for k in dv], n_cls).argmax(axis=1) == y[dv]).mean())
        log(json.dumps({"polarity_l2": l2, "dev_accuracy": round(acc, 4)}))
        if acc > best_acc:
            best, best_acc = l2, acc
    return best


def _fit(rows, cols, vals, y, n_feat: int, n_cls: int, *, epochs: int, l2: float, seed: int) -> np.ndarray:
    """Full-batch Adam on softmax cross-entropy with L2 over a sparse design matrix."""
    rng = np.random.default_rng(seed)
    W = rng.normal(0, 0.01, size=(n_feat, n_cls))
    m, v = np.zeros_like(W), np.zeros_like(W)
    n = len(y)
    onehot = np.eye(n_cls)[y]
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    for t in range(1, epochs + 1):
        z = np.zeros((n, n_cls))
        np.add.at(z, rows, W[cols] * vals[:, None])
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        d = (p - onehot) / n
        g = np.zeros_like(W)
        np.add.at(g, cols, d[rows] * vals[:, None])
        g += l2 * W
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        W -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return W
