"""Known answers for customer-feedback idioms and the rules added for them; the feedback dev set."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.datasets import read_labelled_tsv
from nlp.lexicon import Lexicon, squeezed

DEV = Path(__file__).parent / "data" / "feedback_dev.tsv"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("works like a charm", "positive"),
        ("It's a pain to set up SSO", "negative"),
        ("We couldn't be happier with support", "positive"),
        ("could not be happier", "positive"),
        ("Not the best onboarding experience", "negative"),
        ("No complaints so far", "positive"),
        ("no issues at all", "positive"),
        ("Zero problems with the migration", "positive"),
        ("zero downtime this year", "positive"),
        ("The reporting leaves a lot to be desired", "negative"),
        ("Not worth the money", "negative"),
        ("Can't recommend it enough!", "positive"),
        ("I can't recommend this product", "negative"),
        ("Couldn't ask for more", "positive"),
        ("The team went above and beyond", "positive"),
        ("Exceeded our expectations", "positive"),
        ("Reports time out constantly", "negative"),
        ("It's a no-brainer", "positive"),
        ("Thanks for nothing", "negative"),
        ("It would be nice to have a dark mode", "neutral"),
        ("Not sure yet, we just started", "neutral"),
        ("Pretty bad overall", "negative"),
        ("Pretty good overall", "positive"),
        ("the app is sooooo slow", "negative"),
        ("this is goooood", "positive"),
        ("the least helpful team", "negative"),
        ("at least it works", "positive"),
        ("I've never felt more unwelcome", "negative"),
        ("I definitely wouldn't go back", "negative"),
        ("We'll definitely be back", "positive"),
        ("The seating can be pretty drafty", "neutral"),
        ("Definitely recommend it", "positive"),
    ],
)
def test_idioms(analyzer, text, expected):
    assert analyzer.analyze_one(text).sentiment.label == expected


def test_negated_idiom_is_not_flipped_twice(analyzer):
    r = analyzer.analyze_one("We couldn't be happier")
    assert [(e.text, e.weight > 0) for e in r.explanation] == [("happier", True)]


def test_booster_with_its_own_valence_modifies_the_next_word(analyzer):
    r = analyzer.analyze_one("pretty bad")  # "pretty" (2.2 in VADER: attractive) is a downtoner here
    assert [e.text for e in r.explanation] == ["bad"]
    assert analyzer.analyze_one("bad").sentiment.score < r.sentiment.score < 0


def test_elongated_spellings():
    assert squeezed("goooood") == ["good", "god"]
    assert squeezed("good") == []
    lex = Lexicon.load()
    assert lex.word_valence("goooood") == lex.word_valence("good") > 0


def test_duplicate_vader_entries_keep_the_last_value_like_vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    assert Lexicon.load().valence["lol"] == SentimentIntensityAnalyzer().lexicon["lol"]


def test_feedback_dev_set_is_well_formed_and_beats_vader(analyzer):
    from nlp.evaluate import sentiment_report

    examples = read_labelled_tsv(DEV)
    assert 150 <= len(examples) <= 300
    assert {e.sentiment for e in examples} == {"positive", "neutral", "negative"}
    report = sentiment_report(examples, analyzer, with_vader=True)
    assert report["macro_f1"] > report["vader_macro_f1"] + 0.1


def test_misspelt_sentiment_words_keep_their_valence():
    lex = Lexicon.load()
    assert lex.word_valence("delicous") == lex.word_valence("delicious") > 0
    assert lex.word_valence("horible") < 0 and lex.word_valence("overated") < 0
    # English words, short words and software jargon are never "corrected" into sentiment
    assert lex.word_valence("willing") == 0.0 and lex.word_valence("admin") == 0.0
    assert lex.word_valence("signup") == 0.0


def test_typo_in_feedback(analyzer):
    assert analyzer.analyze_one("the support was amazin").sentiment.label == "positive"
    assert analyzer.analyze_one("Our admin handles the account").sentiment.label == "neutral"
