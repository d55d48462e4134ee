"""Per-word facts computed by shortcuts (nlp.tokens, nlp.multilingual) equal the plain computation.

The token table and the de/fr/es models compute a word's facts once per word; the shortcuts they take
(a dict lookup instead of the matcher's prefix loops, features shared between spans) must give exactly
what the straightforward code gives, for ordinary words, the matcher's prefix words, typos, odd unicode,
the empty string and very long tokens.
"""

from __future__ import annotations

import pytest

from nlp import Analyzer, Taxonomy
from nlp.lemmatize import match_key

ODD = [
    "",
    " ",
    "\n",
    "\u200d",
    "ok",
    "OK",
    "charged",
    "Charging",
    "loading",
    "LOADS",
    "sync",
    "syncs",
    "resolución",
    "fixé",
    "workflow",
    "dashbord",  # a typo of a taxonomy word
    "invoise",
    "slooow",
    "reallyyy",
    "Straße",
    "İstanbul",
    "naïve",
    "😀",
    "👍🏽",
    ":D",
    ":d",
    "l'export",
    "qu’il",
    "don't",
    "e-mail",
    "x" * 300,
    "supercalifragilistic" * 20,
    "ǅemal",
    "ﬁx",  # a ligature: its lower case starts with "fix"? (it does not: "ﬁ" stays)
    "K",  # Kelvin sign
    "ΣΊΣΥΦΟΣ",
    "123",
    "4k",
    "#SaveTheApp",
    "@support",
    "https://example.com/fix",
]


@pytest.fixture(scope="module")
def table():
    return Analyzer(taxonomy=Taxonomy.default()).nlp.get_pipe("clearloop_analysis").table


def _words(table) -> list[str]:
    m = table.matcher
    words = list(ODD)
    for pre in table._prefixes:  # every prefix, alone and as the start of longer words, in three cases
        for w in (pre, pre + "ed", pre + "ing", pre + "s", "un" + pre):
            words += [w, w.upper(), w.capitalize()]
    words += sorted(m.vocab)[:400] + sorted(m._start_words)[:200] + sorted(m._word_bits)[:200]
    words += [k for k in sorted(m.anchors) if k and not k.startswith("\x00")][:200]
    return words


def test_the_prefix_list_is_every_prefix_the_matcher_tests(table):
    m = table.matcher
    want = set(m.prefixes) | {p for p, _ in m._start_prefixes} | {p for p, _ in m._prefix_bits}
    assert want and set(table._prefixes) == want


def test_topic_facts_equal_the_matchers_own_methods(table):
    m = table.matcher
    fast = 0
    for text in _words(table):
        lower = text.lower()
        flags = 0
        key, fuzzy, hooks, starts, reqs, _ = table._topic_facts(text, lower, flags)
        if not fuzzy:
            assert key == match_key(text)
        assert hooks == m.hooks(lower, key), text
        assert starts == m.starts(lower, key), text
        assert reqs == m.reqs(lower, key), text
        fast += not lower.startswith(table._prefixes)
    assert fast > 100  # the shortcut was taken, and checked, for most words


def test_a_table_without_a_matcher_has_no_prefixes(table):
    from nlp.tokens import TokenTable

    bare = TokenTable(table.lexicon, None)
    assert bare._prefixes == ()
    assert bare.info("charged")[9] is None  # no hooks
    assert bare.info("charged")[:4] == table.info("charged")[:4]
