"""What the learned English sentence-sentiment model costs: the analyser with it vs rules only (and the bare
tokenizer), side by side in one process on the throughput benchmark's varied corpus; CPU time per turn,
medians of alternating turns (``analyze`` + ``to_dict``, as the tagging job does).

Run: .venv/bin/python benchmarks/nlp_sentence_model_cost.py [--n 4000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import spacy
from machine import machine
from nlp_throughput import varied

from nlp import Analyzer


def main() -> None:
    """Print the machine, then one JSON line with the medians and ratios."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--datasets", default="/work/shared/datasets")
    args = ap.parse_args()
    print(json.dumps({"machine": machine()}))
    texts = varied(args.n, args.datasets)
    learned = Analyzer()
    rules = Analyzer()
    rules.nlp.get_pipe("clearloop_analysis").sentence_model = None
    tok = spacy.blank("en")
    cases = {
        "tokenizer": lambda: list(tok.pipe(texts, batch_size=256)),
        "rules_only": lambda: [r.to_dict() for r in rules.analyze(texts)],
        "learned": lambda: [r.to_dict() for r in learned.analyze(texts)],
    }
    for f in cases.values():
        f()  # warm caches
    rates: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.repeat):
        for k, f in cases.items():
            t = time.process_time()
            f()
            rates[k].append(len(texts) / (time.process_time() - t))
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(
        json.dumps(
            {
                "n": len(texts),
                "repeat": args.repeat,
                "texts_per_cpu_s_median": {k: round(v) for k, v in med.items()},
                "ratio_to_tokenizer": {
                    k: round(med[k] / med["tokenizer"], 4) for k in ("rules_only", "learned")
                },
                "learned_vs_rules_only": round(med["learned"] / med["rules_only"], 4),
                "turns": {k: [round(x) for x in v] for k, v in rates.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
