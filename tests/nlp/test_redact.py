from __future__ import annotations

import pytest

from nlp import redact
from nlp.redact import luhn_ok


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe+x@acme.co.uk now", "mail [EMAIL] now"),
        ("call +1 (415) 555-0134 please", "call [PHONE] please"),
        ("call 030 1234567", "call [PHONE]"),
        ("card 4111 1111 1111 1111 exp 12/29", "card [CARD] exp 12/29"),
        ("card 4111-1111-1111-1111", "card [CARD]"),
        (
            "reset: https://app.example.com/reset?token=abc123&page=2 thanks.",
            "reset: https://app.example.com/reset?token=[REDACTED]&page=2 thanks.",
        ),
        ("see https://x.io/invite/9f8e7d6c5b4a39281706afbe/join", "see https://x.io/invite/[TOKEN]/join"),
        ("https://bob:secret@host.com/a", "https://host.com/a"),
    ],
)
def test_redacts_pii(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 1234 5678 9012 3456",  # not Luhn-valid: an order number, not a card
        "on 2024-01-05 we had 3 outages",
        "version 10.2.3.4",
        "NPS 9/10",
        "ticket #48213",
        "https://docs.example.com/guide/getting-started",
        "",
    ],
)
def test_leaves_non_pii_alone(text):
    assert redact(text) == text


def test_luhn():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
