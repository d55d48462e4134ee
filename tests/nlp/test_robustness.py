"""Bad input never raises and gives a sensible result."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.types import TextAnalysis

ODD = [
    "",
    " ",
    "\n\n\t",
    "\x00\x00",
    "a\x00b",
    "\ud800",
    "\udfff lone",
    "\u202eevil\u202c",
    "\u200f\u200e",
    "😀" * 50,
    "🏽🏽",
    "Ω≈ç√∫",
    "مرحبا بالعالم",
    "שלום",
    "mixed English и русский 中文",
    "!!!???...",
    "a" * 20000,
    "1234567890",
    "<script>alert(1)</script>",
    "\ufeffBOM start",
    "ok " * 5000,
    "\\u0000",
    "\r\n" * 100,
]


@pytest.mark.parametrize("text", ODD)
def test_odd_inputs(analyzer, text):
    r = analyzer.analyze_one(text)
    _check(r, text)


def test_non_str_inputs_are_coerced(analyzer):
    rs = analyzer.analyze([None, 42, b"bytes"])  # type: ignore[list-item]
    assert [r.sentiment.label for r in rs] == ["neutral", "neutral", "neutral"]


def test_long_text_is_truncated_not_slow(analyzer):
    import time

    text = "The invoices are wrong and support is slow. " * 3000  # ~132 KB
    t0 = time.perf_counter()
    r = analyzer.analyze_one(text)
    assert time.perf_counter() - t0 < 2.0
    assert r.truncated and len(r.text) <= 10_000
    assert "billing.invoices" in r.topic_ids


def test_order_is_kept_in_a_batch(analyzer):
    texts = ["great", "", "terrible", "\ud800", "ok"] * 100
    labels = [r.sentiment.label for r in analyzer.analyze(texts)]
    assert labels[:5] == ["positive", "neutral", "negative", "neutral", "positive"]
    assert len(labels) == 500


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300))
def test_fuzz_any_unicode(analyzer, text):
    _check(analyzer.analyze_one(text), text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from(
            [
                "invoice",
                "not",
                "but",
                "great",
                "!!",
                ":(",
                "😡",
                "BILLING",
                "never",
                ",",
                ".",
                "\n",
                "slow",
                "-",
                "would",
                "like",
                "no",
                "takes",
                "forever",
            ]
        ),
        max_size=40,
    )
)
def test_fuzz_word_salad(analyzer, words):
    text = " ".join(words)
    _check(analyzer.analyze_one(text), text)


def _check(r: TextAnalysis, text) -> None:
    assert r.sentiment.label in ("positive", "neutral", "negative")
    assert -1.0 <= r.sentiment.score <= 1.0
    assert isinstance(r.language, str) and r.language
    n = len(r.text)
    for m in r.mentions:
        assert 0 <= m.start <= m.end <= n and 0.0 <= m.confidence <= 1.0
        assert m.sentiment.label in ("positive", "neutral", "negative")
    for s in r.sentences:
        assert 0 <= s.start <= s.end <= n
    for e in r.explanation:
        assert r.text[e.start : e.end] == e.text
    json.dumps(r.to_dict())


def test_odd_inputs_with_a_trained_topic_model(tiny_model):
    from nlp import Analyzer, Taxonomy

    an = Analyzer(taxonomy=Taxonomy.default(), topic_model_path=tiny_model[0])
    for text, r in zip(ODD, an.analyze(ODD), strict=True):
        _check(r, text)


def test_odd_inputs_through_the_polarity_textcat(tiny_model):
    from nlp import Analyzer, Taxonomy
    from nlp import polarity_textcat as ptc

    an = Analyzer(taxonomy=Taxonomy([]), topic_model_path=tiny_model[0])
    pm = an.topic_model.polarity
    pm.textcat = ptc.train(["speed : it is slow", "speed : it is fast"], ["negative", "positive"], pm.classes)
    pm.mix = 0.3
    for text, r in zip(ODD, an.analyze(ODD), strict=True):
        _check(r, text)
