"""Compact results: same values as the eager dataclasses, JSON-able, picklable; the doc state."""

from __future__ import annotations

import dataclasses
import json
import pickle

from nlp import Analyzer, TextAnalysis
from nlp.components import state_of
from nlp.results import CompactAnalysis

TEXT = "The dashboard is not great but support was amazing. Invoices are wrong!"


def test_compact_result_is_a_text_analysis_with_the_same_dict(analyzer):
    r = analyzer.analyze_one(TEXT)
    assert isinstance(r, TextAnalysis) and isinstance(r, CompactAnalysis)
    eager = TextAnalysis(
        r.sentiment,
        r.mentions,
        r.sentences,
        r.keyphrases,
        r.language,
        r.explanation,
        r.truncated,
        r.text,
        r.intents,
    )
    assert r.to_dict() == eager.to_dict()
    assert dataclasses.asdict(r) == dataclasses.asdict(eager)
    assert r == eager and eager == r


def test_to_dict_is_plain_json(analyzer):
    d = analyzer.analyze_one(TEXT).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert set(d) == {
        "sentiment",
        "mentions",
        "sentences",
        "keyphrases",
        "language",
        "explanation",
        "truncated",
        "intents",
    }
    assert d["mentions"][0].keys() == {
        "topic_id",
        "topic_name",
        "sentiment",
        "start",
        "end",
        "source",
        "confidence",
    }


def test_results_are_frozen_and_picklable(analyzer):
    r = analyzer.analyze_one(TEXT)
    try:
        r.language = "de"  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("results must be immutable")
    back = pickle.loads(pickle.dumps(r))  # noqa: S301  (our own bytes)
    assert type(back) is TextAnalysis and back.to_dict() == r.to_dict()


def test_explanation_spans_and_weights(analyzer):
    r = analyzer.analyze_one(TEXT)
    assert [e.text for e in r.explanation] == ["great", "amazing", "wrong"]
    assert all(r.text[e.start : e.end] == e.text for e in r.explanation)


def test_state_is_the_extension_value():
    an = Analyzer()
    doc = an.nlp("Billing is fine")
    assert state_of(doc) is doc._.clearloop and state_of(doc).language == "en"


def test_batch_failure_falls_back_one_by_one_without_losing_order(monkeypatch):
    an = Analyzer()
    calls = {"n": 0}
    real = an.nlp.pipe

    def flaky(texts, **kw):
        calls["n"] += 1
        yield from real(texts[:1], **kw)
        raise RuntimeError("boom")

    monkeypatch.setattr(an.nlp, "pipe", flaky)
    labels = [r.sentiment.label for r in an.analyze(["great", "terrible", "ok"])]
    assert labels == ["positive", "negative", "positive"] and calls["n"] == 1


def test_text_rebuilt_from_tokens_equals_the_doc_text():
    """The analysis component rebuilds a doc's text from token strings and offsets when it is not given."""
    import spacy

    from nlp.components import _text

    nlp = spacy.blank("en")
    odd = ["  a  b\t\tc \n\n d   ", " x", "a\u00a0b  \u2003 c", "\t", "l'export  n'a pas", "emoji 👍🏽  ok"]
    for t in odd:
        d = nlp(t)
        orths, idx = d.to_array(["ORTH", "IDX"]).T.tolist()
        assert _text(orths, idx, nlp.vocab.strings) == d.text[: d[-1].idx + len(d[-1].text)]
