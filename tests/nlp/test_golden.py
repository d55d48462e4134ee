"""The analyser's output on a fixed corpus of ~800 varied texts is exactly the stored golden file.

Speed work (batched intent scoring, result rows, caches, construction) must not change a single result.
The golden file ``nlp/tests/golden_analyses.jsonl.gz`` holds each text and its ``to_dict()`` (plus the
language and every read-back field), made by the analyser version named in its first line. When an
analysis rule or model changes *deliberately*, regenerate it and say so in the commit:

    .venv/bin/python -m tests.nlp.test_golden --write

The texts are frozen in the file (demo comments in four languages, the throughput benchmark's templates,
the churn test set, the feedback and language test sets, and edge cases), so the corpus does not drift
with the demo generator.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest

from nlp import Analyzer
from nlp.analyzer import CODE_VERSION

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "nlp" / "tests" / "golden_analyses.jsonl.gz"

EDGE = [
    "",
    " ",
    "\n\n",
    "ok",
    "meh",
    "👍",
    "Great tool 👍👍👍",
    "!!!",
    "???",
    "10/10",
    "N/A",
    "THE EXPORT IS BROKEN AGAIN!!! FIX IT",
    "the export is broken again. fix it",
    "Not bad at all, not great either.",
    "I don't hate it but I wouldn't recommend it.",
    "Would be great if the dashboard loaded faster; also, SSO please?",
    "Visit https://example.com/help?x=1 or mail support@example.com — nobody answers.",
    "Das Dashboard ist super, aber der Export ist langsam.",
    "Le support est très réactif, merci !",
    "El informe no carga y el soporte no responde.",
    "Это ужасно медленно",
    "这个产品很好用",
    "Great product. " * 40,
    "Dashbord is sloww and the integraton with salesforse keeps failing",
    "We are cancelling. Not renewing. Switching to Qualtrics next quarter.",
    "If it doesn't get fixed we might look at alternatives, but for now we're staying.",
    "Support fixed the sync bug the same day, great job.",
    "Why can't I export to CSV? Is there an API for that?",
    "I love love LOVE the new editor :) :D <3",
    "too expensive… way too expensive for what it does",
    "The app crashes\twhen I upload a file\nand the spinner never stops",
    "nope",
    "x" * 300,
    "A-B testing, e-mail follow-ups, and re-tagging are all half-baked.",
]


def corpus() -> list[str]:
    """The golden corpus as first generated (only used by --write when the file does not exist yet)."""
    import datetime

    from app.demo.comments import CommentWriter
    from benchmarks.nlp_throughput import comments

    texts = list(EDGE)
    for name in ("feedback_dev.tsv", "language_test.tsv"):
        for line in (ROOT / "tests" / "nlp" / "data" / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                texts.append(line.split("\t", 1)[1])
    for line in (ROOT / "nlp" / "tests" / "churn_test.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            texts.append(line.split("\t", 1)[1])
    texts += comments(120, seed=11)
    rng = random.Random(5)
    w = CommentWriter(rng, datetime.date(2026, 1, 1))
    weights = dict.fromkeys(("performance", "support", "integrations", "reporting", "pricing"), 1.0)
    for k in range(240):
        tone = ("positive", "mixed", "negative")[k % 3]
        texts.append(w.nps(tone, weights, weights, 100 + k, ("en", "de", "fr", "es")[k % 4], None, k % 11))
    return texts


def record(r) -> dict:
    """Everything a result exposes: its dict and the fields read back as objects."""
    d = r.to_dict()
    d["read_back"] = {
        "mentions": [
            [
                m.topic_id,
                m.topic_name,
                m.sentiment.label,
                m.sentiment.score,
                m.start,
                m.end,
                m.source,
                m.confidence,
            ]
            for m in r.mentions
        ],
        "sentences": [[s.start, s.end, s.sentiment.label, s.sentiment.score] for s in r.sentences],
        "explanation": [[e.text, e.start, e.end, e.weight] for e in r.explanation],
        "intents": [[i.label, i.score, i.sentence, i.start, i.end] for i in r.intents],
        "topic_ids": r.topic_ids,
        "text": r.text,
    }
    return d


def load() -> tuple[dict, list[dict]]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        lines = [json.loads(x) for x in fh]
    return lines[0], lines[1:]


@pytest.fixture(scope="module")
def golden():
    return load()


def _compare(results, rows) -> None:
    bad = [
        (row["text"], row["analysis"], record(r))
        for r, row in zip(results, rows, strict=True)
        if record(r) != row["analysis"]
    ]
    assert not bad, (
        f"{len(bad)} of {len(rows)} analyses differ from the golden file; first: {bad[0]!r}. "
        "If the change is deliberate, regenerate: python -m tests.nlp.test_golden --write"
    )


def test_golden_whole_batch(golden):
    _head, rows = golden
    an = Analyzer()
    _compare(an.analyze([row["text"] for row in rows]), rows)


def test_golden_one_by_one_and_in_odd_batches(golden):
    """Same results whatever the batching and whatever the caches saw before (a fresh analyser, texts
    one at a time in reverse order, then in batches of 7 with a small pipe batch size)."""
    _head, rows = golden
    an = Analyzer(batch_size=5)
    rev = [an.analyze_one(row["text"]) for row in reversed(rows)]
    _compare(rev[::-1], rows)
    texts = [row["text"] for row in rows]
    out = []
    for k in range(0, len(texts), 7):
        out += an.analyze(texts[k : k + 7])
    _compare(out, rows)


def test_golden_file_is_current(golden):
    head, rows = golden
    assert head["version"] == CODE_VERSION, "the analyser version changed: regenerate the golden file"
    assert len(rows) >= 300


def write() -> None:
    if GOLDEN.exists():
        _, rows = load()
        texts = [row["text"] for row in rows]
    else:
        texts = corpus()
    an = Analyzer()
    results = an.analyze(texts)
    with gzip.GzipFile(GOLDEN, "wb", mtime=0) as raw:
        raw.write((json.dumps({"version": CODE_VERSION, "texts": len(texts)}) + "\n").encode())
        for t, r in zip(texts, results, strict=True):
            raw.write((json.dumps({"text": t, "analysis": record(r)}, ensure_ascii=False) + "\n").encode())
    print(f"wrote {len(texts)} analyses to {GOLDEN}")


if __name__ == "__main__":
    import sys

    if "--write" in sys.argv:
        write()
