"""The app's one redaction function: patterns from nlp.redact plus the respondent's own known names."""

from __future__ import annotations

from app.privacy import NAME_MARK, redact_text


def test_patterns_and_known_names_are_replaced():
    text = "Ask Dana Whitfield (dana@acme.io, +1 415 555 0100) why DANA left"
    out = redact_text(text, ["Dana Whitfield", "dana@acme.io"])
    assert "dana@acme.io" not in out and "555" not in out
    assert "Dana" not in out and "DANA" not in out and "Whitfield" not in out
    assert out.count(NAME_MARK) == 3


def test_short_name_parts_and_inner_words_are_kept():
    out = redact_text("Li said the dashboard is great; Danaher too", ["Li Dana"])
    assert out.startswith("Li said") and "Danaher" in out


def test_empty_and_none_pass_through():
    assert redact_text(None) is None and redact_text("") == ""
    assert redact_text("nothing to hide here", [None, ""]) == "nothing to hide here"
