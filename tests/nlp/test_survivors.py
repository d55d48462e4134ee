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
