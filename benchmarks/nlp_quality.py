"""Reproduce the nlp quality figures as JSON lines (data sets read from /work/shared/datasets).

Run: .venv/bin/python benchmarks/nlp_quality.py [--datasets /work/shared/datasets] [--arch ensemble]
Equivalent to `python -m nlp.evaluate tests/nlp/data/feedback_dev.tsv --json`, then the same for the
VADER directory and the SemEval test file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.demo.phrases_intl import LANGS
from nlp.evaluate import (
    CHURN_SETS,
    evaluate_churn,
    evaluate_intents,
    evaluate_languages,
    evaluate_phrase_bank,
    evaluate_semeval,
    evaluate_sentences,
    evaluate_tsv,
    evaluate_umsab,
    evaluate_vader,
)

DEV_SET = Path(__file__).resolve().parents[1] / "tests" / "nlp" / "data" / "feedback_dev.tsv"
LANG_SET = Path(__file__).resolve().parents[1] / "tests" / "nlp" / "data" / "language_test.tsv"


def main() -> None:
    """Print VADER-set sentiment (ours vs VADER) and SemEval-2014 category/polarity figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="/work/shared/datasets")
    ap.add_argument("--arch", default="ensemble", choices=["bow", "ensemble"])
    args = ap.parse_args()
    root = Path(args.datasets)
    print(json.dumps({"machine": {"cores": os.cpu_count(), "load_average": os.getloadavg()}}))
    print(json.dumps(evaluate_tsv(str(DEV_SET))))  # the hand-written development set, ours vs VADER
    # intents: 5-fold CV F1 next to the TF-IDF word+char n-gram LR baselines; churn on our own test set
    for line in evaluate_intents(str(root)):
        print(json.dumps(line), flush=True)
    for name in CHURN_SETS:  # English test, dev and blind sets; de/fr/es test and dev sets, side by side
        print(json.dumps(evaluate_churn(name)), flush=True)
    # German, French, Spanish: language ID on short comments (goal 0.97), UMSAB test macro-F1 vs baseline
    print(json.dumps(evaluate_languages(str(LANG_SET))))
    # the demo's de/fr/es phrase bank: each positive/negative clause and short answer as a comment
    print(json.dumps(evaluate_phrase_bank(LANGS)), flush=True)
    for line in evaluate_umsab(str(root)):
        print(json.dumps(line), flush=True)
    print(json.dumps(evaluate_vader(str(root / "vader-groundtruth"))))
    # English sentence sentiment: rules alone vs with the learned model, VADER side by side, on the held-out
    # parts of the model's training sets, the feedback dev set and out-of-domain app reviews (AR-Miner)
    for line in evaluate_sentences(str(root)):
        print(json.dumps(line), flush=True)
    t0 = time.perf_counter()
    sem = evaluate_semeval(
        str(root / "semeval2014-restaurants" / "Restaurants_Test_Gold.xml"), None, None, args.arch
    )
    sem["wall_seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(sem))


if __name__ == "__main__":
    main()
