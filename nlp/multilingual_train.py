"""Train the German, French and Spanish sentiment models (:mod:`nlp.multilingual`) on UMSAB tweets.

    python -m nlp.multilingual_train [--datasets /work/shared/datasets] [-o nlp/data] [--languages de,fr]

Per language: the feature weighting (counts, or binary TF-IDF normalised per text), word bigrams and the
L2 strength chosen by 5-fold cross-validated macro-F1 on *train + val* (val alone, 324 tweets, was too
noisy to choose by); the chosen setting refitted on train + val; the *test* split scored once and printed
next to the TF-IDF + logistic-regression baseline measured on it (issue 16: de 0.650, fr 0.603, es 0.542). The
shipped ``nlp/data/sentiment_{de,fr,es}.npz`` are the output of this command with its defaults (float16
weights, a few hundred kB each; cross-validation chose TF-IDF + bigrams, L2 1e-4 for de (0.642 vs 0.622 for
counts) and 3e-5 for fr (0.625 vs 0.612); TF-IDF without bigrams, L2 1e-4 for es (0.539 vs 0.526 for
counts, 0.534 with bigrams); the Spanish model alone scores 0.560 on test).

Analyser 1.6.0 (German and French, which were below the baseline through the analyser): the text's
character 2-5-grams across words (emoji, punctuation runs, word pieces and word pairs: what the baseline's
char n-grams see) join the word, stem, bigram and word-list features, and the fit is L-BFGS (from zeros,
deterministic) on the summed log-loss with ||W||^2 / 2C and an unpenalised bias. In a first 5-fold CV on
train + val with the same folds (German; a scratch script, not this module): the 1.3.0 features alone
0.648 at C=3 (0.643 at 10), with the character n-grams 0.659 at C=3 and 0.660 at C=1. This module with
``--c 1,3``: German C=1 0.6604, C=3 0.6589 (70,242 features, 0.7 MB); French C=1 0.6128, C=3 0.6176, below
the 1.3.0 model's 0.625. It also simulates the analyser's doc label on the out-of-fold predictions
(``analyser_labels``: the model's valence, an optional floor so that a polar argmax clears the neutral
band, plus the word list): German 0.661 with a floor of 0.4 and no word list, 0.650 with the word list
deciding only model-neutral texts, 0.600 with 1.3.0's rule (no floor, word list at 0.75 on top). Test split,
read after those choices: the German model alone 0.669 (baseline 0.650), through the analyser 0.653 with
floor and no word list - but then "Die Rechnungen sind jeden Monat falsch, sehr ärgerlich." is neutral (the
tweet-trained model misses feedback vocabulary) - and 0.644 with the word list on neutral texts, no better
than 1.3.0's 0.644; the French model alone 0.608. **Not shipped**: the German and French files stay 1.3.0's
(the defaults reproduce them); the issue's de/fr baselines are still not met through the analyser.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import optimize, sparse

from nlp.metrics import macro_f1
from nlp.multilingual import CLASSES, LANGS, ForeignSentiment, char_ngrams, doc_features
from nlp.polarity_train import _fit, _stack

BASELINES = {"de": 0.650, "fr": 0.603, "es": 0.542}
FOLDS = 5
CHARS = (2, 5)
# (TF-IDF weighting?, word bigrams?, character n-grams (lo, hi) or None, L2 or L-BFGS C): with character
# n-grams the number is the L-BFGS C (analyser 1.6.0), else the L2 of the Adam fit (the 1.3.0 / 1.4.0 grid:
# the first models' count features, and the baseline's weighting)
GRIDS = {
    # German: the character n-grams win the CV (C=1 0.6604, C=3 0.6589 vs 0.642 for 1.3.0's setting) but not
    # through the analyser (see the module docstring), so 1.3.0's setting stays; --c 1,3 reruns them
    "de": [(True, True, None, 1e-4)],
    # French: the character n-grams did not help in the same CV (C=1 0.613, C=3 0.618, vs 0.625 for the
    # 1.3.0 setting), so 1.3.0's setting stays (the grid above minus the character n-grams)
    "fr": [(True, True, None, 3e-5)],
    "es": [(True, False, None, 1e-4)],  # 1.4.0's choice from (counts 1e-3, TF-IDF 1e-4, +bigrams 3e-5/1e-4)
}
EPOCHS = 200
MIN_COUNT = 2
LEXICON_GRID = (0.0, 0.25, 0.75, 1.5)


def load(root: str | Path) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """(text, label) per language and split."""
    out: dict[str, dict[str, list[tuple[str, str]]]] = {lang: {} for lang in LANGS}
    path = Path(root) / "umsab-tweet-sentiment-de-fr-es" / "data.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            out[r["language"]].setdefault(r["split"], []).append((r["text"], r["label"]))
    return out


def featurize(lang: str, texts: list[str], with_nets: bool = False):
    """Features of each text (with bigrams and character n-grams) through the analyser's tokenizer and
    token table; with ``with_nets`` also each text's net word-list polarity (as the analyser adds it)."""
    from nlp.analyzer import build_pipeline
    from nlp.components import state_of

    nlp = build_pipeline(None)
    infos = [state_of(d).infos for d in nlp.pipe(texts, batch_size=256)]
    feats = [
        doc_features(lang, x, True) + ["x=" + g for g in char_ngrams(t, *CHARS)]
        for x, t in zip(infos, texts, strict=True)
    ]
    if not with_nets:
        return feats
    lex = ForeignSentiment(lang, {"bias": 0}, np.zeros((1, 3)))
    nets = [lex.lexicon(x, 0, len(x)) for x in infos]
    return feats, [net if tok is not None else 0.0 for net, tok in nets]


def _vocab(feats: list[list[str]]) -> dict[str, int]:
    counts = Counter(f for fs in feats for f in set(fs))
    return {n: i for i, n in enumerate(sorted(n for n, c in counts.items() if c >= MIN_COUNT))}


def _idf(feats: list[list[str]], vocab: dict[str, int]) -> np.ndarray:
    """Smoothed idf of each vocabulary feature over the training texts: ln((1 + n) / (1 + df)) + 1."""
    df = Counter(f for fs in feats for f in set(fs) if f in vocab)
    out = np.ones(len(vocab))
    for f, j in vocab.items():
        out[j] = math.log((1 + len(feats)) / (1 + df[f])) + 1
    return out


def _design(feats: list[list[str]], vocab: dict[str, int], idf: np.ndarray | None):
    """Rows of (feature id, value): counts (``idf`` None), or binary TF-IDF L2-normalised per text with
    the bias kept at 1 (what :class:`ForeignSentiment` computes at analysis time)."""
    out = []
    bias = vocab["bias"]
    for fs in feats:
        if idf is None:
            out.append([(vocab[f], 1.0) for f in fs if f in vocab])
            continue
        ids = list(dict.fromkeys(vocab[f] for f in fs if f in vocab and f != "bias"))
        norm = math.sqrt(sum(idf[j] ** 2 for j in ids)) or 1.0
        out.append([(bias, 1.0)] + [(j, idf[j] / norm) for j in ids])
    return out


def _logits(w: np.ndarray, design) -> np.ndarray:
    rows, cols, vals = _stack(design)
    z = np.zeros((len(design), len(CLASSES)))
    np.add.at(z, rows, w[cols] * vals[:, None])
    return z


def _predict(w: np.ndarray, design) -> list[str]:
    return [CLASSES[k] for k in _logits(w, design).argmax(axis=1)]


def _select(feats: list[list[str]], bigrams: bool, chars) -> list[list[str]]:
    drop = ("b=",) * (not bigrams) + ("x=",) * (chars is None)
    return feats if not drop else [[f for f in fs if not f.startswith(drop)] for fs in feats]


def _fit_lbfgs(design, y: np.ndarray, n_feat: int, c: float, bias: int) -> np.ndarray:
    """Multinomial logistic regression by L-BFGS from zeros: summed log-loss + ||W||^2 / (2C), the bias
    row unpenalised (deterministic)."""
    rows, cols, vals = _stack(design)
    x = sparse.csr_matrix((vals, (rows, cols)), shape=(len(design), n_feat))
    xt = x.T.tocsr()
    onehot = np.eye(len(CLASSES))[y]
    pen = np.full((n_feat, 1), 1.0 / c)
    pen[bias] = 0.0

    def loss(flat: np.ndarray):
        w = flat.reshape(n_feat, len(CLASSES))
        z = x @ w
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        val = -float(np.sum(onehot * np.log(p + 1e-12))) + 0.5 * float(np.sum(pen * w * w))
        return val, (xt @ (p - onehot) + pen * w).ravel()

    res = optimize.minimize(
        loss, np.zeros(n_feat * len(CLASSES)), jac=True, method="L-BFGS-B", options={"maxiter": 500}
    )
    return res.x.reshape(n_feat, len(CLASSES))


def fit(feats: list[list[str]], y: np.ndarray, config: tuple) -> tuple:
    """Fit one configuration (tfidf, bigrams, chars, l2 or C); return (vocab, idf or None, weights)."""
    tfidf, bigrams, chars, reg = config
    feats = _select(feats, bigrams, chars)
    vocab = _vocab(feats)
    idf = _idf(feats, vocab) if tfidf else None
    design = _design(feats, vocab, idf)
    if chars is not None:
        w = _fit_lbfgs(design, y, len(vocab), reg, vocab["bias"])
    else:
        w = _fit(*_stack(design), y, len(vocab), 3, epochs=EPOCHS, l2=reg, seed=0)
    return vocab, idf, w


def cross_validate(
    feats: list[list[str]], gold: list[str], config, folds: int = FOLDS
) -> tuple[float, np.ndarray]:
    """Mean macro-F1 of a configuration over ``folds`` folds (fixed shuffle) of the given texts, and the
    out-of-fold logits of every text."""
    order = np.random.default_rng(0).permutation(len(feats))
    y = np.array([CLASSES.index(g) for g in gold])
    f1s = []
    oof = np.zeros((len(feats), len(CLASSES)))
    for k in range(folds):
        test = set(order[k::folds].tolist())
        tr = [i for i in range(len(feats)) if i not in test]
        te = sorted(test)
        vocab, idf, w = fit([feats[i] for i in tr], y[tr], config)
        z = _logits(w, _design(_select([feats[i] for i in te], config[1], config[2]), vocab, idf))
        oof[te] = z
        f1s.append(macro_f1([gold[i] for i in te], [CLASSES[j] for j in z.argmax(axis=1)], CLASSES))
    return float(np.mean(f1s)), oof


def analyser_labels(
    logits: np.ndarray, nets: list[float], weight: float, band: float, floor: float = 0.0
) -> list[str]:
    """The labels the analyser gives whole texts with these model logits and word-list nets: the model's
    valence (0 when neutral wins, else 3 (p+ - p-)) plus ``weight`` x net, clipped, through the band."""
    from nlp.multilingual import SCALE, valence
    from nlp.sentiment import normalize
    from nlp.types import label_for

    out = []
    for z, net in zip(logits, nets, strict=True):
        e = np.exp(z - z.max())
        p = (e / e.sum()).tolist()
        k = p.index(max(p))
        v = 0.0 if k == 1 else math.copysign(max(abs(valence(p)), floor), 1.0 if k == 2 else -1.0)
        if net:
            v = max(-SCALE, min(SCALE, v + weight * net))
        out.append(label_for(normalize(v), band))
    return out


def train_language(
    lang: str, splits: dict[str, list[tuple[str, str]]], log=print
) -> tuple[ForeignSentiment, dict]:
    """Choose the weighting, bigrams and L2 by 5-fold cross-validation on train + val, refit on train +
    val, score test once; return the model and its figures."""
    from nlp.analyzer import calibration

    dev = splits["train"] + splits["val"]
    feats, nets = featurize(lang, [t for t, _ in dev], with_nets=True)
    gold = [lab for _, lab in dev]
    best = (-1.0, None, None)
    for config in GRIDS[lang]:
        f1, oof = cross_validate(feats, gold, config)
        log(json.dumps({"language": lang, "config": _config_dict(config), "cv_macro_f1": round(f1, 4)}))
        if f1 > best[0]:
            best = (f1, config, oof)
    config, oof = best[1], best[2]
    band = float(calibration()["neutral_band"])
    lexicon = {
        f"floor={fl},weight={wt}": round(macro_f1(gold, analyser_labels(oof, nets, wt, band, fl), CLASSES), 4)
        for fl in (0.0, 0.4)
        for wt in LEXICON_GRID
    }
    log(json.dumps({"language": lang, "cv_analyser_macro_f1_by_valence_floor_and_word_list_weight": lexicon}))
    vocab, idf, w = fit(feats, np.array([CLASSES.index(g) for g in gold]), config)
    test_feats = _select(featurize(lang, [t for t, _ in splits["test"]]), config[1], config[2])
    test_f1 = macro_f1(
        [lab for _, lab in splits["test"]], _predict(w, _design(test_feats, vocab, idf)), CLASSES
    )
    row = {
        "language": lang,
        "umsab_test_macro_f1_model_alone": round(test_f1, 4),
        "baseline_tfidf_lr": BASELINES[lang],
        "config": _config_dict(config),
        "cv_macro_f1": round(best[0], 4),
        "valence_floor_and_word_list_weight_by_cv": max(lexicon, key=lexicon.__getitem__),
        "features": len(vocab),
    }
    log(json.dumps(row))
    return ForeignSentiment(lang, vocab, w, idf, config[1], config[2]), row


def _config_dict(config: tuple) -> dict:
    tfidf, bigrams, chars, reg = config
    return {"tfidf": tfidf, "bigrams": bigrams, "chars": chars, ("C" if chars else "l2"): reg}


def main() -> None:
    """Train all three languages, print the figures and save the models."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="/work/shared/datasets")
    ap.add_argument("-o", "--output", default=str(Path(__file__).with_name("data")))
    ap.add_argument("--languages", default="de,fr")
    ap.add_argument("--c", help="comma-separated L-BFGS C values to try instead of the grid's (de/fr)")
    args = ap.parse_args()
    if args.c:
        for lang in ("de", "fr"):
            GRIDS[lang] = [(True, True, CHARS, float(c)) for c in args.c.split(",")]
    data = load(args.datasets)
    for lang in args.languages.split(","):
        model, _ = train_language(lang, data[lang])
        model.save(Path(args.output) / f"sentiment_{lang}.npz")


if __name__ == "__main__":
    main()
