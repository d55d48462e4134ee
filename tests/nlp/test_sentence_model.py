"""The learned English sentence-sentiment model combined with the lexicon rules (nlp.sentiment_model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlp import Analyzer, Taxonomy
from nlp.sentiment_model import MODEL_FILE, SentenceSentiment, compound_to_valence, default_model
from nlp.sentiment_train import MASKS, fit, held_out, set_score

SHIPPED = Path(__file__).resolve().parents[2] / "nlp" / "data" / MODEL_FILE


def test_the_shipped_model_is_small_calibrated_and_loaded_once_per_analyser():
    assert SHIPPED.stat().st_size < 3_000_000
    model = default_model()
    assert model is not None and len(model.vocab) > 5000 and 0.25 <= model.temperature <= 4
    an = Analyzer(taxonomy=Taxonomy([]))
    assert an.nlp.get_pipe("clearloop_analysis").sentence_model is model  # loaded at construction, shared


def test_probabilities_are_calibrated_softmax():
    model = default_model()
    p = model.probabilities([1.0, 0.0, -1.0])
    assert abs(sum(p) - 1) < 1e-9 and p[0] > p[1] > p[2]


@pytest.mark.parametrize("c", [-0.9, -0.3, 0.0, 0.1, 0.7])
def test_compound_to_valence_inverts_normalize(c):
    from nlp.sentiment import normalize

    assert abs(normalize(compound_to_valence(c)) - c) < 1e-9


def _rules_only() -> Analyzer:
    an = Analyzer(taxonomy=Taxonomy([]))
    an.nlp.get_pipe("clearloop_analysis").sentence_model = None
    return an


@pytest.fixture(scope="module")
def pair():
    return Analyzer(taxonomy=Taxonomy([])), _rules_only()


@pytest.mark.parametrize(
    "text",
    [
        "The food was great.",
        "Terrible support, never again.",
        "The export crashed twice this week.",
        "I love the new dashboard, but reports are slow.",
        "It was a waste of money.",
        "Honestly, not happy… Not sure we'll renew.",
    ],
)
def test_explanations_name_words_of_the_text_with_the_labels_sign(pair, text):
    r = pair[0].analyze_one(text)
    assert r.explanation, text
    for e in r.explanation:
        assert text[e.start : e.end] == e.text
    if r.sentiment.label != "neutral":
        sign = 1 if r.sentiment.label == "positive" else -1
        assert sum(e.weight for e in r.explanation) * sign > 0
    total = sum(s.sentiment.score for s in r.sentences)
    assert r.sentences and (total == 0 or (total > 0) == (r.sentiment.score > 0))


def test_plain_statements_stay_neutral(pair):
    for text in ("We use it for our weekly reports.", "The meeting is on Tuesday."):
        assert pair[0].analyze_one(text).sentiment.label == "neutral", text


def test_other_languages_are_untouched_by_the_english_model(pair):
    after, before = pair
    text = "Das Dashboard ist super, aber der Export ist langsam."
    assert after.analyze_one(text, "de").to_dict() == before.analyze_one(text, "de").to_dict()


def test_training_is_deterministic_and_learns_partial_labels():
    from scipy import sparse

    rng = np.random.default_rng(1)
    x = sparse.csr_matrix((rng.random((60, 8)) > 0.6).astype(float))
    labels = ["negative", "neutral", "positive", "not_negative"] * 15
    masks = np.array([MASKS[lab] for lab in labels])
    w1 = fit(x, masks, np.ones(60), 0.1)
    w2 = fit(x, masks, np.ones(60), 0.1)
    assert np.array_equal(w1, w2)
    assert set_score(["negative", "not_negative"], ["negative", "positive"]) == 1.0
    assert set_score(["negative", "neutral", "positive"], ["negative", "neutral", "positive"]) == 1.0


def test_the_hold_out_is_fixed():
    assert [held_out(f"k{i}") for i in range(10)] == [held_out(f"k{i}") for i in range(10)]
    share = sum(held_out(f"tweets:{i}") for i in range(5000)) / 5000
    assert 0.17 < share < 0.23


def test_round_trip(tmp_path):
    model = default_model()
    model.save(tmp_path / "m.npz")
    again = SentenceSentiment.load(tmp_path / "m.npz")
    assert again.vocab == model.vocab and again.temperature == model.temperature and again.band == model.band
