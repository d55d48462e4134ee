"""The health model's arithmetic: anchors without cliffs, weights that sum to 100, renormalisation and
coverage, bands with hysteresis, why it moved, and the Mann–Whitney AUC."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.health import model
from app.health.model import BY_KEY, COMPONENTS


def test_anchors_are_piecewise_linear_and_flat_outside():
    silence = BY_KEY["silence"]  # (0, 0), (0.15, 40), (0.4, 100)
    assert silence.points(-1) == 0 and silence.points(0.075) == 20 and silence.points(0.15) == 40
    assert abs(silence.points(0.275) - 70) < 1e-9 and silence.points(0.9) == 100
    # no cliff: a tiny step in the raw value is a tiny step in points
    assert abs(silence.points(0.1500001) - silence.points(0.1499999)) < 1e-3


def test_default_weights_sum_to_100_and_bad_weights_are_refused():
    assert sum(c.weight for c in COMPONENTS) == 100
    assert model.validate_weights({c.key: c.weight for c in COMPONENTS}) == []
    problems = model.validate_weights({"nps": 60, "csat": 30})
    assert problems == ["Weights must add up to 100; these add up to 90."]
    assert "Unknown component “luck”." in model.validate_weights({"nps": 100, "luck": 0})
    assert any("cannot be negative" in p for p in model.validate_weights({"nps": 110, "csat": -10}))


def test_a_missing_component_is_left_out_and_the_rest_renormalised():
    only_nps = model.score({"nps": 0.0})  # 45 points; NPS weighs 20 of 100
    assert only_nps.score == 45 and only_nps.coverage == 0.2
    assert model.band(only_nps) == "insufficient"  # under 50 % coverage: never healthy
    nothing = model.score({})
    assert nothing.score is None and model.band(nothing) == "insufficient"
    silence_missing = model.score(
        {"nps": 60.0, "csat": 90.0, "sentiment": 0.5, "followups": 0.0, "silence": None}
    )
    assert silence_missing.score == 100 and silence_missing.coverage == 0.5


def test_bands_have_hysteresis():
    def health(value):
        return model.Health(value, 1.0, {}, {}, {})

    assert model.band(health(39)) == "at_risk"
    assert model.band(health(42)) == "watch"
    assert model.band(health(42), previous="at_risk") == "at_risk"  # leaves only at 45+
    assert model.band(health(45), previous="at_risk") == "watch"
    assert model.band(health(68), previous="healthy") == "healthy" and model.band(health(68)) == "watch"


RAW = st.fixed_dictionaries(
    {},
    optional={
        "nps": st.floats(-100, 100),
        "csat": st.floats(0, 100),
        "ces": st.floats(1, 7),
        "sentiment": st.floats(-1, 1),
        "negative_topics": st.floats(0, 1),
        "silence": st.floats(0, 1),
        "followups": st.floats(0, 10),
        "renewal": st.floats(0, 400),
    },
)


@settings(max_examples=1000, deadline=None)
@given(before=RAW, after=RAW)
def test_component_deltas_plus_renormalisation_equal_the_change(before, after):
    """Issue 14 §3: over 1,000 random accounts the parts add up to the score change within ±1."""
    a, b = model.score(before), model.score(after)
    move = model.movement(a, b)
    if a.score is None or b.score is None:
        assert move is None
        return
    assert abs(sum(move.parts.values()) + move.renormalisation - (b.score - a.score)) <= 1


def test_why_names_the_biggest_movers_with_their_values():
    before = model.score({"nps": 20.0, "silence": 0.6, "sentiment": 0.2, "renewal": 200.0})
    after = model.score({"nps": -30.0, "silence": 0.2, "sentiment": 0.2, "renewal": 45.0})
    sentence = model.why(before, after)
    assert sentence.startswith(f"{after.score - before.score:+.0f} since last month: ")
    assert "NPS 20 → -30" in sentence and "Response rate 60 % → 20 %" in sentence
    assert sentence.endswith("renewal in 45 days")


def test_mann_whitney_auc_known_answers():
    assert model.mann_whitney_auc([3, 4], [1, 2]) == 1.0
    assert model.mann_whitney_auc([1], [1]) == 0.5
    assert model.mann_whitney_auc([2], [1, 3]) == 0.5
    assert model.mann_whitney_auc([], [1]) is None


@settings(max_examples=200, deadline=None)
@given(
    pos=st.lists(st.integers(0, 6), min_size=1, max_size=12),
    neg=st.lists(st.integers(0, 6), min_size=1, max_size=12),
)
def test_rank_auc_equals_the_pairwise_count(pos, neg):
    """The O(n log n) rank form gives the pairwise Mann–Whitney count, ties counting half."""
    pairs = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    assert abs(model.mann_whitney_auc(pos, neg) - pairs / (len(pos) * len(neg))) < 1e-12
