"""Build the character/word naive-Bayes profiles of English, German, French and Spanish (:mod:`nlp.language`).

    python -m nlp.langid_train [--datasets /work/shared/datasets] [-o nlp/data/langid.json.gz]

Text: English from the SemEval-2014 restaurant *train* sentences, the Tizard forum sentences and the
Dabrowski app-review sentences; German, French and Spanish from the UMSAB tweets' *train* split (handles
and links removed). Counts of words and of character 1-4-grams of each word (with boundary marks) per
language; the most frequent of each are kept with add-one log probabilities. The margin that a non-English
guess must clear is chosen on the UMSAB *val* tweets and the feedback development set
(``tests/nlp/data/feedback_dev.tsv``), never on the language test set. The shipped file is this command's
output.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import re
from collections import Counter
from pathlib import Path

from nlp.datasets import read_semeval

LANGS = ("en", "de", "fr", "es")
TOP_WORDS = 4000
TOP_GRAMS = 6000
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_NOISE = re.compile(r"@\w+|https?\S*|\bhttp\b|#\w+")


def words(text: str) -> list[str]:
    """Lower-case words of a text (no handles, links, hashtags or digits)."""
    return WORD.findall(_NOISE.sub(" ", text).lower())


def grams(word: str) -> list[str]:
    """Character 1-4-grams of a word with boundary marks."""
    s = f"<{word}>"
    return [s[i : i + n] for n in (1, 2, 3, 4) for i in range(len(s) - n + 1)]


def _csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def corpora(root: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(training texts, development texts) per language."""
    train: dict[str, list[str]] = {lang: [] for lang in LANGS}
    dev: dict[str, list[str]] = {lang: [] for lang in LANGS}
    train["en"] += [e.text for e in read_semeval(root / "semeval2014-restaurants" / "Restaurants_Train.xml")]
    train["en"] += [r["text"] for r in _csv(root / "tizard2019-forum-feedback-sentences" / "data.csv")]
    train["en"] += [r["text"] for r in _csv(root / "dabrowski2023-app-review-feature-opinions" / "data.csv")]
    for r in _csv(root / "umsab-tweet-sentiment-de-fr-es" / "data.csv"):
        if r["split"] == "train":
            train[r["language"]].append(r["text"])
        elif r["split"] == "val":
            dev[r["language"]].append(r["text"])
    fb = Path(__file__).resolve().parents[1] / "tests" / "nlp" / "data" / "feedback_dev.tsv"
    if fb.is_file():
        dev["en"] += [
            line.split("\t", 1)[1] for line in fb.read_text(encoding="utf-8").splitlines() if "\t" in line
        ]
    return train, dev


def build(train: dict[str, list[str]]) -> dict:
    """Log-probability tables per language."""
    out: dict = {"languages": list(LANGS), "words": {}, "grams": {}, "unseen_word": {}, "unseen_gram": {}}
    for lang in LANGS:
        wc: Counter = Counter()
        gc: Counter = Counter()
        for text in train[lang]:
            for w in words(text):
                wc[w] += 1
                gc.update(grams(w))
        wt, gt = sum(wc.values()), sum(gc.values())
        vw, vg = len(wc) + 1, len(gc) + 1
        out["words"][lang] = {
            w: round(math.log((c + 1) / (wt + vw)), 3) for w, c in wc.most_common(TOP_WORDS)
        }
        out["grams"][lang] = {
            g: round(math.log((c + 1) / (gt + vg)), 3) for g, c in gc.most_common(TOP_GRAMS)
        }
        out["unseen_word"][lang] = round(math.log(1 / (wt + vw)), 3)
        out["unseen_gram"][lang] = round(math.log(1 / (gt + vg)), 3)
    return out


def choose_margin(tables: dict, dev: dict[str, list[str]]) -> float:
    """The margin (nats per word) with the best accuracy on the development texts."""
    from nlp.language import NaiveBayes

    nb = NaiveBayes(tables)
    best = (-1.0, 0.0)
    for margin in (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0):
        nb.margin = margin
        ok = n = 0
        for lang, texts in dev.items():
            for t in texts:
                n += 1
                ok += nb.guess(words(t)) == lang
        acc = ok / n
        print(json.dumps({"margin": margin, "dev_accuracy": round(acc, 4)}))
        if acc > best[0] + 1e-9:
            best = (acc, margin)
    return best[1]


def main() -> None:
    """Build the tables, choose the margin on development text, write the file."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="/work/shared/datasets")
    ap.add_argument("-o", "--output", default=str(Path(__file__).with_name("data") / "langid.json.gz"))
    args = ap.parse_args()
    train, dev = corpora(Path(args.datasets))
    tables = build(train)
    tables["margin"] = choose_margin(tables, dev)
    with gzip.open(args.output, "wt", encoding="utf-8") as fh:
        json.dump(tables, fh, ensure_ascii=False, separators=(",", ":"))
    print(json.dumps({"saved": args.output, "margin": tables["margin"]}))


if __name__ == "__main__":
    main()
