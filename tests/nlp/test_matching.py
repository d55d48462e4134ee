"""Taxonomy matching: tolerant to case, plurals, inflection, typos, possessives; no lookalikes."""

from __future__ import annotations

import pytest

from nlp import Analyzer, Taxonomy, TopicSpec


@pytest.mark.parametrize(
    "text",
    [
        "The invoice was late",
        "Invoices are wrong",
        "INVOICING is broken",
        "they invoiced us twice",
        "The invoce is wrong",
        "the invoices' totals",
        "Can't find my receipt",
    ],
)
def test_invoices_match_tolerantly(topics_of, text):
    assert "billing.invoices" in topics_of(text)


@pytest.mark.parametrize(
    "text",
    [
        "billing's a nightmare",
        "Billing is confusing",
        "we got billed twice",
        "BILLS are high",
        "our bill doubled",
    ],
)
def test_billing_matches_case_possessive_inflection(topics_of, text):
    assert "billing" in topics_of(text)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("The dashbaord is empty", "reporting.dashboards"),  # transposition
        ("intergration with salesforce", "integrations"),  # insertion
        ("Salesforce sync keeps failing", "integrations"),
        ("webhooks fire twice", "integrations.api"),
        ("we were up and running in a day", "onboarding"),
        ("The app is slow to load", "performance.speed"),
        ("It doesn't work anymore", "reliability.bugs"),
        ("Support took 3 days to reply", "support.response_time"),
        ("please add a dark mode", "feature_requests"),
        ("log-in fails", "security.sso"),
        ("login fails", "security.sso"),
        ("single sign-on would help", "security.sso"),
        ("The iOS app crashes", "reliability.crashes"),
        ("they charged us twice", "billing"),
    ],
)
def test_phrases_and_patterns(topics_of, text, topic):
    assert topic in topics_of(text)


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("I was willing to wait", "billing"),  # willing is a word, never a typo of billing
        ("Data from the form", "data"),  # "form"/"from" are short words: no fuzzy matching
        ("of course it does", "training"),  # "course" is not a training phrase
        ("She is in charge of the project", "billing"),  # charge only with a billing-like object
        ("We saw the news today", "notifications"),
        ("Please scale it on a scale of 1 to 10", "performance"),
    ],
)
def test_false_positive_guards(topics_of, text, absent):
    topics = topics_of(text)
    assert all(not t.startswith(absent) for t in topics), topics


def test_child_topic_wins_and_parent_is_not_duplicated(analyzer):
    r = analyzer.analyze_one("Our invoices are wrong")
    assert [m.topic_id for m in r.mentions] == ["billing.invoices"]
    assert r.mentions[0].topic_name == "Invoices"


def test_longest_phrase_wins(topics_of):
    assert topics_of("slow response from the team") == ["support.response_time"]


def test_mention_offsets_point_into_the_original_text(analyzer):
    text = "  \u200fUI is clunky.\x00 The Invoices  are late!"
    r = analyzer.analyze_one(text)
    spans = {m.topic_id: text[m.start : m.end] for m in r.mentions}
    assert spans["billing.invoices"] == "Invoices"
    assert spans["usability"] in ("UI", "clunky")


def test_custom_taxonomy_with_string_ids_and_patterns():
    tax = Taxonomy(
        [
            TopicSpec(id="3", name="Billing", phrases=["billing"]),
            TopicSpec(
                id="12",
                name="Invoices",
                parent_id="3",
                phrases=["invoice", "receipt"],
                patterns=["(pdf|copy) ... invoice*"],
            ),
            TopicSpec(id="20", name="Speed", phrases=["slow"], patterns=["take* (ages|forever)"]),
        ]
    )
    an = Analyzer(taxonomy=tax)
    assert an.analyze_one("I need a PDF of the invoice").topic_ids == ["12"]
    assert an.analyze_one("it takes forever").topic_ids == ["20"]
    assert an.analyze_one("nothing here").topic_ids == []


def test_mentions_are_reported_once_per_topic_and_clause(analyzer):
    r = analyzer.analyze_one("invoices, invoices, invoices are wrong")
    assert [m.topic_id for m in r.mentions] == ["billing.invoices"]


def test_phrase_confidence_is_lower_for_fuzzy_matches(mention):
    assert mention("the invoice is late", "billing.invoices").confidence == 1.0
    assert mention("the invoce is late", "billing.invoices").confidence < 1.0
    assert mention("the invoce is late", "billing.invoices").source == "phrase"


def test_indexed_pattern_starts_and_requirements_equal_the_brute_force_check(analyzer):
    """The per-token-type pattern facts built from indexes (starts, requirement bits) are exactly what
    checking every pattern and requirement group gives."""
    from nlp.lemmatize import match_key
    from nlp.patterns import can_start, satisfied

    m = analyzer.nlp.get_pipe("clearloop_analysis").matcher
    words = {w for elems, _ in m.patterns for e in elems for w in ([e[1]] if e[0] in ("w", "p") else [])}
    words |= {"slow", "slowly", "loading", "takes", "took", "days", "the", "is", "respond", "replies", "x"}
    for lower in sorted(w for w in words if isinstance(w, str)):
        key = match_key(lower)
        brute = tuple(pid for pid, (elems, _) in enumerate(m.patterns) if can_start(elems, lower, key))
        assert m.starts(lower, key) == brute, lower
        mask = sum(1 << b for b, g in enumerate(m._groups) if satisfied(g, {key}, [lower]))
        assert m.reqs(lower, key) == mask, lower
