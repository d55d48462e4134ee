"""Calibrate the neutral band of the document sentiment label on SemEval-2014 restaurant TRAIN sentences.

The band (|score| below it is "neutral") is the only fitted number of the lexicon scorer. It is chosen on a
source that is NOT used to report sentiment quality (the VADER human-rated sets are only evaluated), so the
VADER-set figures stay honest. Sentences whose aspect categories share one polarity are used.
Run: .venv/bin/python benchmarks/nlp_calibrate.py [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlp import Analyzer
from nlp.datasets import read_semeval
from nlp.metrics import macro_f1
from nlp.types import label_for

TRAIN = "/work/shared/datasets/semeval2014-restaurants/Restaurants_Train.xml"
LABELS = ("positive", "neutral", "negative")


def main() -> None:
    """Print macro-F1 per candidate band and optionally write nlp/data/calibration.json."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default=TRAIN)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    examples = [e for e in read_semeval(args.train) if e.sentiment]
    scores = [r.sentiment.score for r in Analyzer().analyze([e.text for e in examples])]
    gold = [e.sentiment for e in examples]
    grid = [round(0.01 * i, 2) for i in range(1, 61)]
    results = {b: macro_f1(gold, [label_for(s, b) for s in scores], LABELS) for b in grid}
    top = max(results.values())
    # The curve is flat near its top: take the middle of the plateau within 0.005 of the best macro-F1,
    # which is more robust on new data than the arg-max at the plateau's edge.
    plateau = [b for b in grid if results[b] >= top - 0.005]
    best = plateau[len(plateau) // 2]
    for b in grid[::5]:
        print(json.dumps({"band": b, "macro_f1": round(results[b], 4)}))
    print(
        json.dumps(
            {
                "plateau": [plateau[0], plateau[-1]],
                "chosen_band": best,
                "macro_f1": round(results[best], 4),
                "n": len(gold),
            }
        )
    )
    if args.write:
        out = Path(__file__).resolve().parents[1] / "nlp" / "data" / "calibration.json"
        out.write_text(
            json.dumps(
                {
                    "neutral_band": best,
                    "source": "benchmarks/nlp_calibrate.py: middle of the macro-F1 plateau on "
                    f"{len(gold)} SemEval-2014 restaurant TRAIN "
                    "sentences whose categories share one polarity; not fitted on any evaluation set",
                    "macro_f1_on_source": round(results[best], 4),
                },
                indent=1,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
