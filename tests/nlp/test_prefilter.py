"""nlp.prefilter: the literal words in front of the intent and churn regexes never skip a match."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nlp import churn, churn_intl, intent, multilingual
from nlp.churn import normalise
from nlp.prefilter import may_match, needs
from tests.nlp.test_golden import load
from tests.nlp.test_intents import RULE_EXAMPLES


def test_needs_of_simple_patterns():
    assert needs(re.compile(r"\bcancel(?:l?ing|l?ed)?\s+plan")) == ("cancel",)
    assert set(needs(re.compile(r"\b(?:foo|bar)s?\b"))) == {"foo", "bar"}
    assert needs(re.compile(r"(?:foo|\w+)")) is None  # a branch without a literal: unknown
    assert needs(re.compile(r"\w+\s+\d+")) is None
    assert needs(re.compile(r"foo", re.IGNORECASE)) is None
    assert needs(re.compile(r"(?:ab){2,}x?")) == ("ab",)
    assert needs(re.compile(r"(?:ab)?cd")) == ("cd",)  # an optional group is no requirement
    assert may_match(None, "anything") and not may_match(("x",), "abc") and may_match(("b",), "abc")


def _guarded() -> list[tuple[str, re.Pattern, tuple | None]]:
    out = [(f"en {lab}", p, intent._RULE_NEEDS[lab]) for lab, _, p in intent._RULES]
    for lang, groups in churn._GUARDED.items():
        out += [(f"{lang} churn", p, w) for group in groups for p, w in group]
    for lang, spec in churn_intl.LANGS.items():  # words of an anchor (a part every match contains)
        out += [(f"{lang} churn {kind} anchored", p, w) for p, w, _, kind in spec.patterns]
    for lang, rules in multilingual._COMPILED.items():
        out += [
            (f"{lang} {lab}", p, w) for (lab, _, p), w in zip(rules, multilingual._NEEDS[lang], strict=True)
        ]
    return out


def _texts() -> list[str]:
    _, rows = load()
    texts = [row["text"] for row in rows]
    texts += [s for group in RULE_EXAMPLES.values() for s in group]
    sets = Path(__file__).resolve().parents[2] / "nlp" / "tests"
    for path in [sets / "churn_test.tsv", *sorted(sets.glob("churn_*_[def][eurs].tsv"))]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                texts.append(line.split("\t", 1)[1])
    return texts


@pytest.mark.parametrize("name,pat,words", _guarded(), ids=lambda v: v if isinstance(v, str) else "")
def test_filter_never_skips_a_match(name, pat, words):
    """Every text of the golden corpus, the churn sets and the rule examples that a guarded pattern matches
    passes its filter (and the filter's words are what the pattern needs now, not stale); de/fr/es churn
    patterns are gated on their anchors' words, and the whole language on all of them."""
    if "anchored" not in name:
        assert words == needs(pat)
    for text in _texts():
        low = normalise(text)
        for s in (low, low.strip(), text):  # the text itself: de/fr/es named products match on case
            if pat.search(s):
                assert may_match(words, low), (name, s)
                if "anchored" in name:
                    assert churn_intl.LANGS[name[:2]].gate.search(low), (name, s)
