"""Per-sentence cost of the churn-risk patterns on German, French and Spanish text (analyser 1.9.0).

Every sentence of the UMSAB de/fr/es tweets (all splits; mostly not churn, as real comments) through
``nlp.churn.churn_risk``, CPU microseconds per sentence, median of ``--turns`` turns; with ``--before ROOT``
the ``nlp/churn.py`` of an older checkout runs in the same turns, alternating: before/after side by side.
Also how many sentences each finds churn in.
Run: .venv/bin/python benchmarks/churn_cost.py [--before /path/to/old/checkout] [--turns 5]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlp.churn import churn_risk


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="/work/shared/datasets")
    ap.add_argument("--before", help="an older checkout whose nlp/churn.py to time alongside")
    ap.add_argument("--turns", type=int, default=5)
    args = ap.parse_args()
    print(json.dumps({"machine": {"cores": os.cpu_count(), "load_average_at_start": os.getloadavg()}}))
    path = Path(args.datasets) / "umsab-tweet-sentiment-de-fr-es" / "data.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["language"] in ("de", "fr", "es")]
    sents = [(s, r["language"]) for r in rows for s in re.split(r"(?<=[.!?])\s+", r["text"]) if s]
    cases = {"after": churn_risk}
    if args.before:
        spec = importlib.util.spec_from_file_location("churn_before", Path(args.before) / "nlp" / "churn.py")
        old = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(old)
        cases = {"before": old.churn_risk, **cases}
    times: dict[str, list[float]] = {k: [] for k in cases}
    found = {k: sum(f(s, lang) is not None for s, lang in sents) for k, f in cases.items()}
    for _ in range(args.turns):
        for name, f in cases.items():
            t = time.process_time()
            for s, lang in sents:
                f(s, lang)
            times[name].append((time.process_time() - t) / len(sents) * 1e6)
    out = {
        "sentences": len(sents),
        "cpu_us_per_sentence_median": {k: round(statistics.median(v), 2) for k, v in times.items()},
        "sentences_with_churn": found,
    }
    if "before" in times:
        out["after_over_before"] = round(
            statistics.median(times["after"]) / statistics.median(times["before"]), 2
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
