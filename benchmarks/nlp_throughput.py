"""Throughput of the Clearloop analyser vs the bare spaCy tokenizer on short SaaS comments.

Prints JSON lines: blank tokenizer texts/s, Analyzer texts/s (phrases only, and with a trained topic
model when --topic-model is given or --train-semeval trains one), the ratio, and peak memory.
Run: .venv/bin/python benchmarks/nlp_throughput.py [--n 20000] [--topic-model DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import spacy

from nlp import Analyzer

FEATURES = [
    "dashboard",
    "reporting",
    "Salesforce integration",
    "Slack alerts",
    "API",
    "webhooks",
    "billing page",
    "invoices",
    "mobile app",
    "SSO login",
    "CSV export",
    "search",
    "onboarding",
    "permissions",
    "notification emails",
    "documentation",
    "pricing",
    "support team",
    "new editor",
    "analytics",
    "HubSpot sync",
    "survey builder",
    "user management",
    "audit log",
    "Zapier connector",
]
PEOPLE = [
    "Anna",
    "Raj",
    "our CSM",
    "the support agent",
    "Tom from billing",
    "Maria",
    "the onboarding specialist",
]
SENTENCES = [
    "The {f} is great and saves us {n} hours a week.",
    "Honestly the {f} keeps crashing since the last update.",
    "{P} was super helpful and fixed our {f} issue in {n} minutes!",
    "We love the {f}, but the {g} is way too slow.",
    "Why does the {f} take forever to load?",
    "The {f} isn't great, it times out on reports over {n} rows.",
    "Please add dark mode and better filters to the {f}.",
    "Pricing went up {n}% this year which is hard to justify.",
    "Support took {n} days to reply to ticket #{t}.",
    "The {f} is intuitive, the {g} is clunky.",
    "Overall a solid product, {f} could be better though.",
    "Not bad, but the {f} still has bugs.",
    "I was charged twice on invoice INV-{t}, still waiting for a refund.",
    "{f} works fine.",
    "Setup was smooth thanks to {P}.",
    "We had {n} outages in {m} — unacceptable for our team.",
    "It would be nice if the {f} could export to Excel.",
    "The {g} is confusing and the docs are outdated.",
    "NPS {n}/10 because the {f} is really good :)",
    "Great tool 👍",
    "meh",
    "ok",
    "Love it!!!",
    "The {f} never works on my iPhone.",
    "Switching from {c} was painless and the {g} is much faster.",
    "Too expensive for what it does compared to {c}.",
    "Our team of {n} uses the {f} every day, no complaints.",
    "Login via Okta fails every {m} morning :(",
    "The {f} broke after the {m} release and {P} never got back to us.",
]
COMPETITORS = ["Qualtrics", "SurveyMonkey", "Medallia", "Typeform", "Delighted", "a spreadsheet"]
MONTHS = ["January", "March", "June", "September", "Monday", "Tuesday", "Q3"]


def comments(n: int, seed: int = 7) -> list[str]:
    """Generate ``n`` varied short SaaS customer comments (1-3 sentences) from templates."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rnd.choice((1, 1, 2, 2, 3))):
            parts.append(
                rnd.choice(SENTENCES).format(
                    f=rnd.choice(FEATURES),
                    g=rnd.choice(FEATURES),
                    P=rnd.choice(PEOPLE),
                    c=rnd.choice(COMPETITORS),
                    m=rnd.choice(MONTHS),
                    n=rnd.randint(2, 500),
                    t=rnd.randint(1000, 99999),
                )
            )
        s = " ".join(parts)
        out.append(s[0].upper() + s[1:])
    return out


def rate(fn, texts: list[str], repeat: int = 3) -> float:
    """Best texts/s of ``repeat`` runs (noise from other processes only slows runs down)."""
    best = 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(texts)
        best = max(best, len(texts) / (time.perf_counter() - t0))
    return best


def main() -> None:
    """Run the benchmark and print JSON lines."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--topic-model", default=None)
    args = ap.parse_args()
    texts = comments(args.n)
    blank = spacy.blank("en")
    tok = rate(lambda ts: list(blank.pipe(ts, batch_size=256)), texts)
    print(json.dumps({"what": "spacy.blank('en') tokenizer", "texts_per_s": round(tok)}))
    an = Analyzer()
    an.analyze(texts[:2000])  # warm the token cache like a long-running worker
    r = rate(an.analyze, texts)
    print(
        json.dumps(
            {
                "what": "Analyzer (phrases, sentiment, keyphrases)",
                "texts_per_s": round(r),
                "ratio_to_tokenizer": round(r / tok, 3),
            }
        )
    )
    if args.topic_model:
        am = Analyzer(topic_model_path=args.topic_model)
        am.analyze(texts[:2000])
        rm = rate(am.analyze, texts)
        print(
            json.dumps(
                {
                    "what": "Analyzer + trained topic model",
                    "texts_per_s": round(rm),
                    "ratio_to_tokenizer": round(rm / tok, 3),
                }
            )
        )
    tracemalloc.start()
    Analyzer().analyze(texts[:5000])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        json.dumps(
            {
                "what": "peak memory",
                "tracemalloc_peak_mb_build_plus_5000_texts": round(peak / 2**20, 1),
                "process_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
