"""Train the learned English sentence-sentiment model (:mod:`nlp.sentiment_model`).

    python -m nlp.sentiment_train [--datasets /work/shared/datasets] [-o nlp/data/sentence_sentiment.npz]

Training data (train splits only; the held-out parts are what ``python -m nlp.evaluate sentences`` reports):
- VADER's human-rated sets (tweets, movie-review snippets, NYT editorial snippets): no official split, so
  one is fixed here: a text is held out when crc32("file:id") % 5 == 0 (20 %); mean > 0.5 positive,
  < -0.5 negative, else neutral (the sets' suggested labels).
- SemEval-2014 restaurants: *train* sentences whose categories share one polarity (conflict left out).
- Dabrowski app-review sentences with a feature polarity (positive / neutral / negative; "neutral" is a
  neutral mention of a feature); held out when crc32(review id) % 5 == 0 (a review's sentences together).
- Complaint tweets: a complaint is negative; a non-complaint is "not negative" (neutral or positive, a
  partial label: its loss is -log(p(neutral) + p(positive))); held out when crc32(tweet id) % 5 == 0.

Each set weighs the same in the loss (a set's examples share its weight). The L2 strength is chosen by
3-fold cross-validation on the train splits (the mean over the four sets of out-of-fold macro-F1, or for
the complaint tweets the F1 of "negative" as "complaint"); the temperature is fitted on the out-of-fold
logits of that choice (calibration); the model is refitted on all train splits. Deterministic (fixed
folds, L-BFGS from zeros). The features of each text come from the analyser itself with the model
switched off: the lexicon rules' verdict on the whole text and its intents (see the model's module).
"""

from __future__ import annotations

import argparse
import csv
import json
import time
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import optimize, sparse

from nlp.datasets import read_semeval, vader_files, vader_label
from nlp.metrics import macro_f1
from nlp.sentiment_model import CLASSES, DENSE, PROBLEM, SentenceSentiment, dense_features, span_features

FOLDS = 3
L2_GRID = (1e-4, 3e-4, 1e-3)
MAX_ITER = 150
MIN_COUNT = 2
MASKS = {
    "negative": (1.0, 0.0, 0.0),
    "neutral": (0.0, 1.0, 0.0),
    "positive": (0.0, 0.0, 1.0),
    "not_negative": (0.0, 1.0, 1.0),
}


def held_out(key: str) -> bool:
    """The fixed 20 % hold-out of sets without an official split."""
    return zlib.crc32(key.encode("utf-8")) % 5 == 0


def load(root: str | Path) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """{set name: {"train"|"test": [(text, label)]}}; labels are CLASSES or "not_negative"."""
    root = Path(root)
    out: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for f in vader_files(root / "vader-groundtruth"):
        d = out.setdefault("vader_" + f.name.split("_")[0], {"train": [], "test": []})
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split("\t", 2)
            try:
                label = vader_label(float(parts[1]))
            except (IndexError, ValueError):
                continue
            d["test" if held_out(f"{f.name}:{parts[0]}") else "train"].append((parts[2], label))
    sem = root / "semeval2014-restaurants"
    out["semeval"] = {
        split: [(e.text, e.sentiment) for e in read_semeval(sem / name) if e.sentiment]
        for split, name in (("train", "Restaurants_Train.xml"), ("test", "Restaurants_Test_Gold.xml"))
    }
    d = out["dabrowski"] = {"train": [], "test": []}
    with (root / "dabrowski2023-app-review-feature-opinions" / "data.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["feature_polarity"] in ("positive", "neutral", "negative"):
                d["test" if held_out(r["review_id"]) else "train"].append((r["text"], r["feature_polarity"]))
    d = out["complaints"] = {"train": [], "test": []}
    with (root / "complaints-twitter-preotiuc2019" / "data.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            label = "negative" if r["label"] == "complaint" else "not_negative"
            d["test" if held_out(r["tweet_id"]) else "train"].append((r["text"], label))
    return out


def analyse(texts: list[str]) -> list[tuple[list[str], list[float]] | None]:
    """(sparse features, dense features) of each text from the analyser with the model off (None for a
    text not analysed as English)."""
    from nlp.analyzer import build_pipeline
    from nlp.components import state_of
    from nlp.sentiment import normalize

    nlp = build_pipeline(None)
    comp = nlp.get_pipe("clearloop_analysis")
    comp.sentence_model = None
    from nlp.analyzer import calibration

    band = float(calibration()["neutral_band"])
    out = []
    for doc in nlp.pipe(texts, batch_size=256):
        st = state_of(doc)
        if st is None or st.language != "en" or st.scored is None:
            out.append(None)
            continue
        sc = st.scored
        problem = max((p for lab, p, *_ in st.intents if lab in PROBLEM), default=0.0)
        praise = max((p for lab, p, *_ in st.intents if lab == "praise"), default=0.0)
        question = "?" in doc.text
        dense = dense_features(normalize(sc.total), band, problem, praise, question)
        out.append((span_features(st.infos, 0, len(st.infos)), dense))
    return out


def design(feats: list[list[str]], dense: np.ndarray, vocab: dict[str, int]) -> sparse.csr_matrix:
    """Counts of the vocabulary's features, then the dense columns."""
    rows, cols = [], []
    for r, fs in enumerate(feats):
        for f in fs:
            j = vocab.get(f)
            if j is not None:
                rows.append(r)
                cols.append(j)
    x = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(feats), len(vocab)), dtype=np.float64
    )
    x.sum_duplicates()
    return sparse.hstack([x, sparse.csr_matrix(dense)], format="csr")


def _loss(w_flat, x, xt, masks, weights, l2, n_cls=3):
    w = w_flat.reshape(x.shape[1], n_cls)
    z = x @ w
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    allowed = (p * masks).sum(axis=1)
    loss = -(weights * np.log(np.maximum(allowed, 1e-300))).sum() + 0.5 * l2 * (w * w).sum()
    # d(-log sum_{c in A} p_c)/dz_k = p_k - 1[k in A] p_k / P(A)
    d = p - masks * p / np.maximum(allowed, 1e-300)[:, None]
    g = xt @ (d * weights[:, None]) + l2 * w
    return loss, np.asarray(g).ravel()


def fit(x: sparse.csr_matrix, masks: np.ndarray, weights: np.ndarray, l2: float) -> np.ndarray:
    """Weighted softmax regression with partial labels and L2 (L-BFGS from zeros: deterministic)."""
    w0 = np.zeros(x.shape[1] * 3)
    xt = x.T.tocsr()
    res = optimize.minimize(
        _loss,
        w0,
        args=(x, xt, masks, weights, l2),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": MAX_ITER},
    )
    return res.x.reshape(x.shape[1], 3)


def set_score(gold: list[str], pred: list[str]) -> float:
    """Macro-F1 over the three classes; for partial labels (complaints) F1 of negative as complaint."""
    if any(g == "not_negative" for g in gold):
        tp = sum(g == "negative" and p == "negative" for g, p in zip(gold, pred, strict=True))
        fp = sum(g != "negative" and p == "negative" for g, p in zip(gold, pred, strict=True))
        fn = sum(g == "negative" and p != "negative" for g, p in zip(gold, pred, strict=True))
        return 2 * tp / max(1, 2 * tp + fp + fn)
    return macro_f1(gold, pred, CLASSES)


def _temperature(z: np.ndarray, masks: np.ndarray, weights: np.ndarray) -> float:
    def nll(t):
        s = z / t
        s = s - s.max(axis=1, keepdims=True)
        p = np.exp(s)
        p /= p.sum(axis=1, keepdims=True)
        return -(weights * np.log(np.maximum((p * masks).sum(axis=1), 1e-300))).sum()

    return float(optimize.minimize_scalar(nll, bounds=(0.25, 4.0), method="bounded").x)


def train(root: str, log=print) -> tuple[SentenceSentiment, list[dict]]:
    """Choose L2 by CV, fit the temperature on out-of-fold logits, refit; return the model and figures."""
    from nlp.analyzer import calibration

    data = load(root)
    texts, labels, sets = [], [], []
    for name, splits in data.items():
        for t, lab in splits["train"]:
            texts.append(t)
            labels.append(lab)
            sets.append(name)
    t0 = time.perf_counter()
    analysed = analyse(texts)
    log(json.dumps({"analysed": len(texts), "seconds": round(time.perf_counter() - t0, 1)}))
    keep = [k for k, a in enumerate(analysed) if a is not None]
    feats = [analysed[k][0] for k in keep]
    dense = np.array([analysed[k][1] for k in keep])
    labels = [labels[k] for k in keep]
    sets = [sets[k] for k in keep]
    masks = np.array([MASKS[lab] for lab in labels])
    size = Counter(sets)
    mean = len(sets) / len(size)
    weights = np.array([mean / size[s] for s in sets])
    weights *= len(weights) / weights.sum()
    order = np.random.default_rng(0).permutation(len(feats))
    folds = [np.sort(order[k::FOLDS]) for k in range(FOLDS)]
    figures = []
    best = (-1.0, None, None)
    for l2 in L2_GRID:
        oof = np.zeros((len(feats), 3))
        for te in folds:
            tr = np.setdiff1d(np.arange(len(feats)), te)
            vocab = _vocab([feats[i] for i in tr])
            xtr = design([feats[i] for i in tr], dense[tr], vocab)
            t0 = time.perf_counter()
            w = fit(xtr, masks[tr], weights[tr], l2 * len(tr))
            log(
                json.dumps(
                    {"l2": l2, "fit_seconds": round(time.perf_counter() - t0, 1), "features": len(vocab)}
                )
            )
            oof[te] = design([feats[i] for i in te], dense[te], vocab) @ w
        per = {}
        for name in size:
            idx = [k for k, s in enumerate(sets) if s == name]
            per[name] = round(
                set_score([labels[k] for k in idx], [CLASSES[int(oof[k].argmax())] for k in idx]), 4
            )
        mean_f1 = float(np.mean(list(per.values())))
        row = {"l2": l2, "cv_mean": round(mean_f1, 4), **{f"cv_{k}": v for k, v in per.items()}}
        figures.append(row)
        log(json.dumps(row))
        if mean_f1 > best[0]:
            best = (mean_f1, l2, oof)
    _, l2, oof = best
    temperature = _temperature(oof, masks, weights)
    vocab = _vocab(feats)
    w = fit(design(feats, dense, vocab), masks, weights, l2 * len(feats))
    n = len(vocab)
    model = SentenceSentiment(vocab, w[:n], w[n:], temperature, float(calibration()["neutral_band"]))
    summary = {"chosen_l2": l2, "temperature": round(temperature, 4), "features": n, "examples": len(feats)}
    figures.append(summary)
    log(json.dumps(summary))
    return model, figures


def _vocab(feats: list[list[str]]) -> dict[str, int]:
    counts = Counter(f for fs in feats for f in set(fs))
    return {n: i for i, n in enumerate(sorted(n for n, c in counts.items() if c >= MIN_COUNT))}


def main() -> None:
    """Train and save the shipped model."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="/work/shared/datasets")
    ap.add_argument(
        "-o", "--output", default=str(Path(__file__).with_name("data") / "sentence_sentiment.npz")
    )
    args = ap.parse_args()
    model, _ = train(args.datasets)
    model.save(args.output)
    print(json.dumps({"saved": args.output, "bytes": Path(args.output).stat().st_size}))


assert len(DENSE) == 6
if __name__ == "__main__":
    main()
