"""Known-answer tests for the lexicon sentiment rules and topic-level sentiment."""

from __future__ import annotations

import pytest


def label(analyzer, text: str) -> str:
    return analyzer.analyze_one(text).sentiment.label


def score(analyzer, text: str) -> float:
    return analyzer.analyze_one(text).sentiment.score


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not bad", "positive"),
        ("The app never works", "negative"),
        ("The new editor isn't great", "negative"),
        ("no issues at all", "positive"),
        ("It doesn't load", "negative"),
        ("I don't hate it", "positive"),
        ("works like a charm", "positive"),
        ("could be better", "negative"),
        ("takes forever to load", "negative"),
        ("laggy and buggy", "negative"),
        ("seamless and intuitive", "positive"),
        ("so much downtime", "negative"),
        ("Great tool 👍", "positive"),
        ("👎", "negative"),
        ("meh :(", "negative"),
        ("love it <3", "positive"),
        ("The invoice is due on Friday", "neutral"),
        ("", "neutral"),
    ],
)
def test_known_answers(analyzer, text, expected):
    assert label(analyzer, text) == expected


def test_negation_flips_and_dampens(analyzer):
    assert score(analyzer, "the support is good") > 0 > score(analyzer, "the support is not good")
    assert abs(score(analyzer, "not good")) < abs(score(analyzer, "good")) + 1e-9


def test_negation_does_not_cross_a_comma_or_but(analyzer):
    assert score(analyzer, "It is not fast, but reliable") > 0


def test_intensifiers_and_downtoners(analyzer):
    base = score(analyzer, "the app is good")
    assert score(analyzer, "the app is very good") > base > score(analyzer, "the app is slightly good") > 0


def test_caps_and_exclamation_emphasis(analyzer):
    base = score(analyzer, "the sync is good")
    assert score(analyzer, "the sync is GOOD") > base
    assert score(analyzer, "the sync is good!!!") > base
    assert score(analyzer, "THE SYNC IS GOOD") == pytest.approx(base)  # all caps is not emphasis


def test_contrast_clause_dominates(analyzer):
    assert label(analyzer, "great UI but billing is a mess") == "negative"
    assert label(analyzer, "billing is a mess but the UI is great") == "positive"
    assert label(analyzer, "Although setup was painful, the product is excellent") == "positive"


def test_emoji_and_emoticons(analyzer):
    assert score(analyzer, "the update 😡") < 0 < score(analyzer, "the update 😍")
    assert score(analyzer, "the update :)") > 0 > score(analyzer, "the update :-(")


def test_explanation_lists_the_words_that_carried_it(analyzer):
    text = "The dashboard is not great but support was amazing"
    r = analyzer.analyze_one(text)
    words = {e.text: e.weight for e in r.explanation}
    assert words["great"] < 0 < words["amazing"]
    for e in r.explanation:
        assert text[e.start : e.end] == e.text


def test_aspect_sentiment_from_own_clause(mention):
    text = "Onboarding was smooth but invoices are wrong every month"
    assert mention(text, "onboarding").sentiment.label == "positive"
    assert mention(text, "billing.invoices").sentiment.label == "negative"


@pytest.mark.parametrize(
    ("text", "topic", "expected"),
    [
        ("The dashboard is great, the mobile app crashes constantly", "reporting.dashboards", "positive"),
        ("The dashboard is great, the mobile app crashes constantly", "mobile", "negative"),
        ("Support was slow to respond; the docs are excellent", "documentation", "positive"),
        ("Pricing is fair and the Salesforce integration is flaky", "integrations", "negative"),
        ("Pricing is fair and the Salesforce integration is flaky", "pricing", "positive"),
        ("I love the reports. The SSO login is a nightmare.", "security.sso", "negative"),
    ],
)
def test_topic_level_sentiment(mention, text, topic, expected):
    assert mention(text, topic).sentiment.label == expected


def test_sentences_have_spans_and_their_own_sentiment(analyzer):
    text = "Great product. Terrible billing!"
    r = analyzer.analyze_one(text)
    assert [(text[s.start : s.end], s.sentiment.label) for s in r.sentences] == [
        ("Great product.", "positive"),
        ("Terrible billing!", "negative"),
    ]


def test_result_is_json_serialisable(analyzer):
    import json

    d = analyzer.analyze_one("The invoices are wrong :(").to_dict()
    assert json.loads(json.dumps(d))["mentions"][0]["topic_id"] == "billing.invoices"
    assert "text" not in d


@pytest.mark.parametrize(
    "text",
    [
        "Support is not at all very helpful.",
        "Support is not at all helpful.",
        "The new editor is not at all really intuitive",
    ],
)
def test_negation_reaches_past_at_all_and_an_intensifier(analyzer, text):
    # "at all" strengthens the negation before it; it must not push "not" out of the three-word window
    assert label(analyzer, text) == "negative"


def test_at_all_without_a_negator_does_not_negate(analyzer):
    assert label(analyzer, "It was at all times very helpful.") == "positive"
