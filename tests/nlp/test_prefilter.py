"""nlp.prefilter: the literal words in front of the intent and churn regexes never skip a match."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nlp import churn, churn_intl, intent, multilingual
from nlp.churn import normalise
from nlp.prefilter import Gate, clauses, may_match, needs, split_alternatives
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


# --- the one-pass gate (nlp.prefilter.Gate) and the rules split into alternatives: the same results as
# the pattern-by-pattern filters they replaced (reference implementations below, as they were)


def _reference_churn_risk(sentence: str):
    low = normalise(sentence)
    best = None
    for score, group in ((churn.DIRECT, churn._GUARDED["en"][0]), (churn.SOFT, churn._GUARDED["en"][1])):
        for pat, words in group:
            if not may_match(words, low):
                continue
            for m in pat.finditer(low):
                s = churn._judge(low, m, score, "en")
                if s is not None and (best is None or s > best[0]):
                    best = (s, m.start(), m.end())
        if best is not None and best[0] >= churn.DIRECT:
            break
    if best is None or best[0] < churn.DIRECT:
        m = churn._EN_NAMED.search(sentence.replace("\u2019", "'").replace("\u2018", "'"))
        if m is not None:
            before = low[: m.start()]
            cut = max((c.end() for c in churn._CLAUSE.finditer(before)), default=0)
            if churn._EN_PEOPLE.search(before[cut:]):
                s = churn._judge(low, m, churn.DIRECT, "en")
                if s is not None and (best is None or s > best[0]):
                    best = (s, m.start(), m.end())
    return best


def _reference_negated_churn(sentence: str):
    low = normalise(sentence)
    for group in churn._GUARDED["en"]:
        for pat, words in group:
            if not may_match(words, low):
                continue
            for m in pat.finditer(low):
                if churn._HAS_NEG_INSIDE.search(m.group(0)):
                    continue
                before = low[: m.start()]
                cut = max((c.end() for c in churn._CLAUSE.finditer(before)), default=0)
                n = churn._EN_NEG.search(before[cut:])
                if n is not None:
                    return cut + n.start(), m.end()
    return None


def _reference_rule_intents(sentence: str):
    out = []
    for label, score, pat in intent._RULES:
        if not may_match(intent._RULE_NEEDS[label], sentence):
            continue
        for m in pat.finditer(sentence):
            if intent._RULE_NEG.search(sentence[: m.start()]):
                continue
            if label == "bug_report" and intent.is_solved_en(sentence):
                break
            out.append((label, score, m.start(), m.end()))
            break
    return out


def _sentences() -> list[str]:
    """The corpus texts, and each of their sentences (split on end punctuation, roughly)."""
    out = []
    for text in _texts():
        out.append(text)
        out += [s for s in re.split(r"(?<=[.!?])\s+", text) if s and s != text]
    return out


def test_gate_sets_exactly_the_units_whose_literals_are_present():
    units = [[("cancel",), ("plan", "account")], None, [("not going to",)], [("a",), ("xy",)]]
    gate = Gate(units)
    for text, want in [
        ("we'll cancel the plan", 0b0010 | 0b0001),
        ("cancellation of my account.", 0b0011),
        ("cancel it", 0b0010),
        ("we are not going to renew", 0b0110),
        ("not  going to", 0b0010),  # two spaces: not the literal
        ("a xy", 0b1010),
        ("axy", 0b1010),
        ("", 0b0010),
    ]:
        assert gate.mask(text) == want, text
        assert gate.mask(text) == want, text  # from the chunk and mask caches


@pytest.mark.parametrize("name,pat,words", _guarded(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_clause_is_in_every_match(name, pat, words):
    """clauses(): each literal set is necessary (all of them at once), on the same corpus."""
    sets = clauses(pat) or []
    for text in _texts():
        low = normalise(text)
        for s in (low, text):
            for m in pat.finditer(s):
                assert all(may_match(c, low) for c in sets), (name, s, m.group(0))


def test_split_alternatives():
    assert split_alternatives(r"a|b(?:c|d)|[|(]e") == ["a", "b(?:c|d)", "[|(]e"]
    assert split_alternatives(r"\b(?:foo|bar\|x)") == [r"\bfoo", r"\bbar\|x"]
    assert split_alternatives(r"\b(?:foo|bar)s") == [r"\b(?:foo|bar)s"]  # a suffix: one unit
    assert split_alternatives(r"(?:a|b)(?:c|d)") == [r"(?:a|b)(?:c|d)"]
    for _, _, pat in intent._RULES:
        alts = split_alternatives(pat.pattern)
        assert len(alts) > 1
        joined = re.compile("|".join(alts))
        for text in _texts():
            low = normalise(text)
            assert [m.span() for m in joined.finditer(low)] == [m.span() for m in pat.finditer(low)]


def test_gated_rules_and_churn_equal_the_pattern_by_pattern_reference():
    n = 0
    for s in _sentences():
        low = normalise(s)
        mask = intent.gate_mask(low)
        assert intent.rule_intents(low) == intent.rule_intents(low, mask) == _reference_rule_intents(low), s
        want = _reference_churn_risk(s)
        assert churn.churn_risk(s) == churn.churn_risk(s, "en", mask) == want, s
        assert churn.negated_churn(s) == churn.negated_churn(s, "en", mask) == _reference_negated_churn(s), s
        n += want is not None
    assert n > 100  # the corpus holds churn risks: the comparison is not vacuous


def _brute_mask(units, text: str) -> int:
    """The definition of Gate.mask: unit k may match when each of its literal sets has a string in text."""
    return sum(
        1 << k for k, sets in enumerate(units) if not sets or all(any(w in text for w in ws) for ws in sets)
    )


def test_gate_tests_a_new_clause_combination_only_on_the_units_of_its_keys():
    """Gate.units_of: the units are indexed by one clause each (its key); a combination without a unit's
    key never tests that unit, and the result is every unit whose clauses are all present."""
    units = [
        [("cancel",), ("plan", "account")],
        None,
        [("not going to",)],
        [("a",), ("xy",)],
        [("re", "rene")],
    ]
    gate = Gate(units)
    assert sorted(u for us in gate._keyed.values() for _, u in us) == [1, 4, 8, 16]
    # the key of the first unit is its clause with the longest shortest literal: "cancel"
    assert [u for _, u in gate._keyed[min(gate._keyed)]] == [1]
    assert gate.units_of(0) == 0b00010
    for text in ["renew the plan", "cancel my account", "a xy re", "not going to cancel", "rene", "r e"]:
        assert gate.mask(text) == _brute_mask(units, text), text


def test_the_chunk_index_finds_literals_sharing_their_first_characters():
    """Two-character literals and longer ones with the same first two (and three) characters."""
    units = [[("re",)], [("ren",)], [("renew",)], [("rent",)], [("xre",)], [("e",)]]
    gate = Gate(units)
    for text in ["re", "ren", "renew", "rent", "xrenewal", "r", "er", "xr", "rrent", "nothing here"]:
        assert gate.mask(text) == _brute_mask(units, text), text


def test_the_intent_gate_equals_its_definition_on_the_corpus():
    units = list(churn.EN_UNITS)
    for alts in intent._RULE_ALTS:
        units += [clauses(re.compile(a)) for a in alts]
    gate = Gate(units)
    for s in _sentences():
        low = normalise(s)
        assert gate.mask(low) == _brute_mask(units, low) == intent.gate_mask(low), s
