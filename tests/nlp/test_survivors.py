"""Known answers that used to survive mutation (issue 20): the negation scope is exactly three words, and
the default taxonomy's refund phrases find refunds."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Support isn't really that helpful", "negative"),  # negator three words before: flipped
        ("The docs are not really that clear", "negative"),
        ("The docs are not that clear", "negative"),
        ("Support is really that helpful", "positive"),  # the same without the negator
        ("The docs are not ever really that clear", "positive"),  # four words away: out of scope
    ],
)
def test_negation_reaches_three_words_and_no_further(analyzer, text, expected):
    assert analyzer.analyze_one(text).sentiment.label == expected


@pytest.mark.parametrize(
    "text",
    [
        "I asked for a refund",
        "We were refunded only half",
        "Still waiting for my money back",
        "They charged a cancellation fee",
        "We had to file a chargeback",
    ],
)
def test_the_default_taxonomy_finds_refunds(topics_of, text):
    assert "billing.refunds" in topics_of(text)


def test_refund_phrases_do_not_fire_on_other_billing_talk(topics_of):
    assert "billing.refunds" not in topics_of("The invoice total was wrong again")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This is never good.", "negative"),  # "this" before "never" does not make it VADER's "never so"
        ("This app is never fast.", "negative"),
        ("Such a tool never disappoints.", "positive"),
        ("We never felt more unwelcome.", "negative"),  # "never more …" intensifies, it does not negate
    ],
)
def test_never_so_looks_only_between_never_and_the_word(analyzer, text, expected):
    assert analyzer.analyze_one(text).sentiment.label == expected


@pytest.mark.parametrize("text", ["no", "Any problems? None, no"])
def test_a_comment_ending_in_no_is_analysed(analyzer, text):
    # "no" is a determiner only when a sentiment word follows; at the end there is nothing to look at
    assert analyzer.analyze_one(text).sentiment.label == "negative"


def test_rule_view_is_the_rules_weights_once_the_sentence_model_kept_them():
    from nlp.sentiment import Scored

    scored = Scored(
        weights=[0.5, 0.0],
        sentences=[(0, 2)],
        clause_starts=[0],
        seg_starts=[0],
        emphasis=[0.0],
        total=0.5,
        hits=[0],
        hooks=[],
        anyflags=0,
    )
    assert scored.rule_view() == ([0.5, 0.0], 0.5, [0])
    scored.rules = ([-0.7, 0.0], -0.7, [0])  # what nlp.sentiment_model keeps before changing a sentence
    assert scored.rule_view() == ([-0.7, 0.0], -0.7, [0])
