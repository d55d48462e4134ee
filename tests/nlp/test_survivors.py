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


# nlp.sentiment's rules on their own (before the learned sentence model), as known answers per token: the
# 2026-12-07 survivors of `make mutation MODULE=nlp.sentiment` (docs/mutation.md)


@pytest.fixture(scope="session")
def rules_of(analyzer):
    """(lower-cased tokens, nlp.sentiment.Scored) of a text, scored by the rules alone."""
    from nlp.sentiment import score

    component = analyzer.nlp.get_pipe("clearloop_analysis")

    def _rules(text: str):
        infos = component.table.infos([t.orth for t in analyzer.nlp.make_doc(text)], component.strings)
        return [x[0] for x in infos], score(infos, component.lexicon)

    return _rules


def weight_of(rules, word: str) -> float:
    words, scored = rules
    return scored.weights[words.index(word)]


def test_the_flags_default_to_the_infos_own(analyzer):
    from nlp.sentiment import score

    component = analyzer.nlp.get_pipe("clearloop_analysis")
    infos = component.table.infos(
        [t.orth for t in analyzer.nlp.make_doc("Support is slow.")], component.strings
    )
    alone, given = score(infos, component.lexicon), score(infos, component.lexicon, [x[4] for x in infos])
    assert (alone.weights, alone.sentences, alone.clause_starts) == (
        given.weights,
        given.sentences,
        given.clause_starts,
    )
    assert alone.weights[2] < 0


@pytest.mark.parametrize(
    ("text", "clauses", "segments"),
    [
        ("Good.", [0, 2], [0, 2]),  # a sentence end starts the next (empty) clause
        ("But it works.", [0, 4], [0, 4]),  # a contrast word at a clause start starts no second clause
        ("Slow. But it works.", [0, 2, 6], [0, 2, 6]),
        ("Support is slow; the docs are good", [0, 4], [0, 4]),  # ";" ends a clause, the next starts after it
        ("It is fast but slow", [0, 3], [0, 3]),  # "but" starts a clause; the word after it does not
        ("Fast, and cheap", [0], [0, 2, 3]),  # commas and "and" start segments only
        ("The app is fast but also cheap", [0], [0]),  # "but also" is no contrast
        ("The app is fast, though also pricey", [0, 5], [0, 5]),  # "though also" still is
    ],
)
def test_clause_and_segment_starts(rules_of, text, clauses, segments):
    _, scored = rules_of(text)
    assert (scored.clause_starts, scored.seg_starts) == (clauses, segments)


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("Good.", [(0, 2)]),  # not the empty clause after the full stop
        ("Support is slow; the docs are good", [(0, 4), (4, 8)]),
        ("It is fast but slow", [(0, 3), (3, 5)]),
    ],
)
def test_clause_spans_are_the_non_empty_clauses(rules_of, text, spans):
    assert rules_of(text)[1].clause_spans() == spans


def test_but_also_halves_nothing_even_at_the_end(rules_of):
    fast = weight_of(rules_of("The app is fast"), "fast")
    assert weight_of(rules_of("The app is fast but also cheap"), "fast") == pytest.approx(fast)
    assert weight_of(rules_of("The app is fast but also"), "fast") == pytest.approx(fast)
    assert weight_of(rules_of("The app is fast but cheap"), "fast") == pytest.approx(fast * 0.5)


def test_though_also_still_halves_its_clause(rules_of):
    pricey = weight_of(rules_of("The app is pricey"), "pricey")
    assert weight_of(rules_of("The app is fast, though also pricey"), "pricey") == pytest.approx(pricey * 0.5)


@pytest.mark.parametrize("text", ["It works but", "It's great -", "Great app -"])
def test_a_comment_ending_in_but_or_a_hyphen_is_scored(rules_of, text):
    _, scored = rules_of(text)
    assert scored.total > 0
    assert scored.weights[-1] == 0.0


def test_hyphen_compounds_take_the_compounds_valence(rules_of, analyzer):
    valence = analyzer.lexicon.valence
    assert weight_of(rules_of("User-friendly interface"), "friendly") == pytest.approx(
        valence["user-friendly"]
    )
    assert valence["user-friendly"] != valence["friendly"]
    # a negator before the compound's first word negates the compound
    words, scored = rules_of("The UI is not user-friendly")
    assert weight_of((words, scored), "friendly") < 0
    assert scored.hits == [words.index("friendly")]


def test_only_a_hyphen_joins_two_words_into_a_compound(rules_of, analyzer):
    # "nice" anchors multi-word expressions, but "user nice friendly" has no "user-friendly" in it
    assert weight_of(rules_of("user nice friendly"), "friendly") == pytest.approx(
        analyzer.lexicon.valence["friendly"]
    )


def test_a_leading_hyphen_joins_no_words(rules_of, analyzer):
    # "- free onboarding, no hassle": a bullet; "hassle-free" is a compound, but the last word does not
    # come before the first
    _, scored = rules_of("- free onboarding, no hassle")
    assert scored.weights[1] == analyzer.lexicon.valence.get("free", 0.0)


@pytest.mark.parametrize(
    ("text", "word", "plain"),
    [
        ("The new editor is REALLY okay", "okay", "The new editor is really okay"),  # 0 < valence <= 1
        ("The pages load at incredibly slow speeds", "slow", "The pages load at slow speeds"),
    ],
)
def test_boosters_strengthen_in_the_words_direction(rules_of, text, word, plain):
    boosted, base = weight_of(rules_of(text), word), weight_of(rules_of(plain), word)
    assert abs(boosted) > abs(base) and boosted * base > 0


def test_caps_strengthen_a_mildly_positive_word(rules_of):
    okay = weight_of(rules_of("The editor is okay"), "okay")
    assert 0 < okay <= 1
    assert weight_of(rules_of("The editor is OKAY"), "okay") == pytest.approx(okay + 0.733)


@pytest.mark.parametrize(
    ("text", "scored"),
    [
        ("definitely", True),  # an answer of one word: nothing follows for it to modify
        ("Definitely a tool that works", True),  # "works" is four words on: out of reach
        ("Definitely the best tool", False),  # it modifies "best"
        ("I definitely wouldn't go back", False),  # and a negator after it
    ],
)
def test_a_booster_with_its_own_valence_counts_only_when_it_modifies_nothing(rules_of, text, scored):
    assert (weight_of(rules_of(text), "definitely") > 0) is scored


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("It is the least helpful", True),
        ("It is the very least helpful", False),  # VADER: "very least" and "at least" do not negate
        ("Support is never not helpful", False),  # two negators cancel
        ("It is not never not good", True),  # three do not
        ("This never disappoints.", True),  # "this" before "never" is not VADER's "never this"
        ("I was never so happy with a tool", False),  # "never so" right after each other intensifies
    ],
)
def test_negation_parity_and_never_so(rules_of, text, negated):
    words, scored = rules_of(text)
    word = words[scored.hits[-1]]
    plain = rules_of(word)[1].weights[0]
    assert (scored.weights[scored.hits[-1]] * plain < 0) is negated


@pytest.mark.parametrize(
    "text, word",
    [
        ("It's really working now.", "working"),
        ("It is REALLY working now.", "working"),
        ("Sync is extremely fast to load now.", "load"),
    ],
)
def test_a_booster_gives_no_sentiment_to_a_word_that_only_has_one_when_negated(rules_of, text, word):
    """'working' is negative only as 'not working': a booster before it must not make it negative
    (found by nlp.sentiment's mutant _modifiers 49: the booster's sign followed a zero valence)."""
    assert weight_of(rules_of(text), word) == 0


def test_praise_with_a_booster_on_working_is_not_read_as_negative(analyzer):
    for result in analyzer.analyze(["It's really working now.", "It is REALLY working now, thanks!"]):
        assert result.to_dict()["sentiment"]["label"] != "negative"
    (negated,) = analyzer.analyze(["It's really not working."])
    assert negated.to_dict()["sentiment"]["label"] == "negative"
