"""nlp.ngrams: n-grams looked up as numbers give what a dict lookup of the n-gram strings gives."""

from __future__ import annotations

import copy
import random

import numpy as np

from nlp.ngrams import GramTable


def _numbers(table: GramTable, grams: list[str], n: int) -> np.ndarray:
    digits = np.stack([table.digits(g) for g in grams]) if grams else np.zeros((0, n), dtype=np.int64)
    return sum(digits[:, k] << (table.bits * k) for k in range(n))


def test_a_lookup_by_number_is_a_dict_lookup_of_the_string():
    rng = random.Random(3)
    alphabet = "abcäöü <>'😀"
    known = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))): k for k in range(300)}
    table = GramTable(known, 4)
    assert table.bits == 4  # 11 characters: digits 1..11, 15 for any other
    for n in (1, 2, 3, 4):
        grams = ["".join(rng.choice(alphabet + "xyz\udc80") for _ in range(n)) for _ in range(2000)]
        grams += [g for g in known if len(g) == n]
        got = table.lookup(_numbers(table, grams, n), -1).tolist()
        assert got == [known.get(g, -1) for g in grams]


def test_an_ngram_with_an_unknown_last_character_is_not_its_shorter_prefix():
    table = GramTable({"ab": 7, "a": 1}, 3)
    assert table.lookup(_numbers(table, ["abz"], 3), -1).tolist() == [-1]
    assert table.lookup(_numbers(table, ["az"], 2), -1).tolist() == [-1]
    assert table.lookup(_numbers(table, ["ab"], 2), -1).tolist() == [7]


def test_language_scores_of_a_batch_by_numbers_equal_each_words_own():
    """NaiveBayes.score_words (every gram's row by number, a length's words at once) caches the scores
    word_scores gives word by word, bit for bit."""
    from nlp.language import naive_bayes

    nb = naive_bayes()
    rng = random.Random(5)
    letters = "abcdefghijklmnopqrstuvwxyzäöüßéèñç’'"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 14))) for _ in range(3000)]
    words += ["a", "x\udc80y", "😂", "straße", "i\u0307"]
    together, alone = copy.copy(nb), copy.copy(nb)
    for m in (together, alone):
        m._cache, m._en_top = {}, set()
    together.score_words(words)
    for w in words:
        alone.word_scores(w)
    assert together._cache == alone._cache
    assert together._en_top == alone._en_top
