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


@pytest.fixture(scope="module")
def facts():
    from nlp.language import naive_bayes
    from nlp.multilingual import vocabulary_facts

    return vocabulary_facts(naive_bayes().words)


def test_the_de_fr_es_vocabulary_facts_equal_a_tokens_freshly_learned_ones(table, facts):
    """What the NLP cache keeps of the de/fr/es models' vocabulary is what a model learns from the real
    token infos of those words, lower-case or capitalised (a token's key is its lower case)."""
    import random

    from nlp.multilingual import LANGS, sentiment_model

    for lang in LANGS:
        vecs, ids, lex = facts[lang]
        assert len(vecs) == len(ids) == len(lex) > 4000
        assert all(w.isalpha() and w.lower() == w for w, _ in vecs)
        model = sentiment_model(lang)
        sample = random.Random(lang).sample(sorted(vecs), 300) + [(w.lower(), n) for w in ODD for n in (0, 1)]
        for word, neg in sample:
            for text in (word, word.capitalize(), word.upper()):
                info = table.info(text)
                if info[0] != word:
                    continue
                fresh = model.fresh()
                vec = fresh.token_vec(info, bool(neg))  # learns the token's ids and polarity too
                key = (word, bool(neg))
                if key in vecs:
                    assert (vecs[key], ids[key], lex[key]) == (
                        vec,
                        fresh._ids[key],
                        fresh._lex[key],
                    )
                else:  # not a vocabulary word, or not alphabetic: left to be learned from the token
                    assert not word.isalpha() or not {"u=" + word, "n=" + word} & model.vocab.keys()


def test_adopted_facts_fill_the_models_caches_without_replacing_an_entry(facts):
    from nlp.multilingual import adopt_facts, sentiment_model

    model = sentiment_model("de")
    (word, neg), vec = next(iter(facts["de"][0].items()))
    model._cache[(word, neg)] = marker = (1.0, 2.0, 3.0)
    adopt_facts(facts)
    assert model._cache[(word, neg)] is marker  # kept
    del model._cache[(word, neg)]
    adopt_facts(facts)
    assert model._cache[(word, neg)] == vec
    assert all(model._ids[k] == v for k, v in facts["de"][1].items())


def test_the_cache_keeps_no_word_of_the_texts_analysed_before_it_was_built(tmp_path):
    """The de/fr/es facts in the NLP cache are the vocabulary's only, even when the process analysed texts
    before building it (the models' own caches then hold those texts' words)."""
    import pickle

    Analyzer().analyze(["Der Zwiebelkuchenautomat ist großartig, aber der Xylophonständer nicht."])
    Analyzer(cache_dir=tmp_path)
    (path,) = tmp_path.glob("analysis-*.pickle")
    pieces = pickle.loads(path.read_bytes())[2]  # noqa: S301 - the file this test wrote
    words = {w for vecs, _, _ in pieces.foreign_facts.values() for w, _ in vecs}
    assert words and "zwiebelkuchenautomat" not in words and "xylophonständer" not in words


def _stem_matches_reference(matcher, infos):
    """StemMatcher.match as first written: a walk over every token."""
    from nlp.flags import F_SPACE, FLAGS, LOWER
    from nlp.matcher import Match

    toks = [i for i, x in enumerate(infos) if not x[FLAGS] & F_SPACE]
    stems = [matcher._stem(infos[i][LOWER]) for i in toks]
    out, j = [], 0
    while j < len(toks):
        hit = None
        for phrase, k in matcher.index.get(stems[j], ()):
            n = len(phrase)
            if tuple(stems[j : j + n]) == phrase:
                hit = (k, n)
                break
        if hit is None:
            j += 1
            continue
        k, n = hit
        out.append(Match(k, toks[j], toks[j + n - 1] + 1, 1.0))
        j += n
    return out


def test_stem_matches_equal_a_walk_over_every_token(table):
    """Overlapping and adjacent phrases, repeats, phrases cut off at the end, spaces between words."""
    import random

    from nlp.multilingual import LANGS, StemMatcher

    topics = Taxonomy.default().topics
    found = 0
    for lang in LANGS:
        matcher = StemMatcher(lang, list(topics))
        words = sorted({w for t in topics for p in t.phrases for w in p.lower().split()})
        words += ["und", "et", "y", "nicht", " ", "!", "😀", "", "x" * 80]
        rnd = random.Random(lang)
        for _ in range(300):
            text = [rnd.choice(words) for _ in range(rnd.randint(0, 12))]
            infos = [table.info(w) for w in text]
            got = matcher.match(infos)
            assert got == _stem_matches_reference(matcher, infos), text
            found += len(got)
    assert found > 500


def test_typo_valence_equals_the_lookup_of_every_deletion(table):
    from rapidfuzz.distance import OSA

    from nlp.lexicon import _JARGON, TYPO_MIN_LEN, _deletions, known_english_words

    lex = table.lexicon
    words = [
        "delicous",
        "amazin",
        "overated",
        "terible",
        "horible",
        "awsome",
        "xqzzyvv",
        "dashbord",
        "ﬁxxing",
    ]
    words += [w[:2] + w[3:] for w in sorted(lex.valence) if w.isalpha() and len(w) >= 7][:400]
    words += [w + "x" for w in sorted(lex.valence) if w.isalpha() and len(w) >= 6][:200]
    checked = 0
    for w in words:
        cands = set(lex._deletes.get(w, ()))
        for d in _deletions(w):
            cands.update(lex._deletes.get(d, ()))
        vals = {lex.valence[c] for c in cands if c[0] == w[0] and OSA.distance(c, w) <= 1}
        want = 0.0 if not vals or (max(vals) > 0) != (min(vals) > 0) else max(vals, key=abs)
        skip = len(w) < TYPO_MIN_LEN or w in known_english_words() or w in _JARGON
        assert lex._typo_valence(w) == (0.0 if skip else want), w
        checked += not skip and want != 0.0
    assert checked > 100  # typos that find a word


def _guess_reference(nb, words, default="en"):
    """NaiveBayes.guess as first written: every language's sum, always."""
    if not words or (len(words) == 1 and words[0].isascii()):
        return default
    vecs = [nb.word_scores(w) for w in words]
    totals = [sum(col) for col in zip(*vecs, strict=True)]
    best = max(range(len(totals)), key=totals.__getitem__)
    d = nb.langs.index(default) if default in nb.langs else 0
    if best == d or (totals[best] - totals[d]) / len(words) < nb.margin:
        return nb.langs[d]
    return nb.langs[best]


def test_the_english_shortcut_of_the_language_guess_equals_the_full_sums():
    """A text whose every word scores English highest is guessed English without the sums; the guess is
    the full computation's for English, German, French, Spanish and mixed word lists, any default."""
    import random

    from nlp.language import naive_bayes

    nb = naive_bayes()
    rnd = random.Random(5)
    pools = {lang: sorted(nb.words[lang]) for lang in nb.langs}
    pools["odd"] = ["straße", "naïve", "ǆ", "x" * 60, "ok", "qqq", "über", "être", "año", "the"]
    nb.score_words([w for ws in pools.values() for w in ws[:300]])  # some cached in a batch, others not
    e = nb.langs.index("en")
    # a word's scores are its own (tables only): membership holds whatever was cached or cleared since
    assert nb._en_top and all(nb.word_scores(w)[e] >= max(nb.word_scores(w)) for w in nb._en_top)
    pools["en_top"] = sorted(nb._en_top)
    shortcut = 0
    for _ in range(3000):
        mix = rnd.sample(sorted(pools), rnd.randint(1, 2))
        words = [rnd.choice(pools[rnd.choice(mix)]) for _ in range(rnd.randint(1, 25))]
        for default in ("en", "de", "fr", "es", "it"):
            assert nb.guess(words, default) == _guess_reference(nb, words, default), (words, default)
        shortcut += all(w in nb._en_top for w in words) and len(words) > 1
    assert shortcut > 100


def _flags_plain(text: str, lower: str) -> int:
    """nlp.tokens._flags as first written: every rule in turn, on every token."""
    from spacy.lang.en.stop_words import STOP_WORDS

    from nlp import flags as fl
    from nlp.lexicon import CLITICS, CONTRAST, NEGATIONS, SUBORDINATE
    from nlp.tokens import _ENDS, _HARD, _INVISIBLE, _SOFT

    f = 0 if text.isascii() or not any(c.isalpha() and not c.isascii() for c in text) else fl.F_NONASCII
    if not text.strip() or all(c in _INVISIBLE for c in text):
        f |= fl.F_SPACE
        if "\n" in text:
            f |= fl.F_END
        return f
    if text in _ENDS or (len(text) > 1 and all(c in "!?." for c in text)):
        f |= fl.F_END
    if "!" in text and all(c in "!?" for c in text):
        f |= fl.F_EXCL
    if "?" in text and all(c in "!?" for c in text):
        f |= fl.F_QUEST
    if text in _HARD:
        f |= fl.F_HARD
    if text == ",":
        f |= fl.F_COMMA
    if text == "-":
        f |= fl.F_HYPHEN
    for words, bit in (
        (_SOFT, fl.F_SOFT),
        ({"also"}, fl.F_ALSO),
        (CONTRAST, fl.F_BUT),
        (SUBORDINATE, fl.F_SUB),
        (NEGATIONS, fl.F_NEG),
        ({"least"}, fl.F_LEAST),
        ({"no", "zero"}, fl.F_NO),
        (CLITICS, fl.F_CLITIC),
    ):
        if lower in words:
            f |= bit
    if text.isalpha():
        f |= fl.F_ALPHA
        if len(text) > 1 and text.isupper():
            f |= fl.F_UPPER
    if lower in STOP_WORDS:
        f |= fl.F_STOP
    return f


def test_flags_equal_every_rule_in_turn(table):
    """nlp.tokens._flags (a word of letters and digits: one dict lookup for the rules on its lower case,
    no punctuation rule) gives what every rule in turn gives: for words, the rules' own word lists in
    three cases, punctuation, spaces, digits, odd unicode and every character of the first 0x3000 code
    points and of the emoji blocks, alone, doubled and next to a letter."""
    from spacy.lang.en.stop_words import STOP_WORDS

    from nlp.lexicon import CLITICS, CONTRAST, NEGATIONS, SUBORDINATE
    from nlp.tokens import _ENDS, _HARD, _flags

    words = [*_words(table), *STOP_WORDS, *CLITICS, *CONTRAST, *NEGATIONS, *SUBORDINATE, *_ENDS, *_HARD]
    words += ["also", "least", "no", "zero", "and", "&", "plus", "!!", "?!?", "...", "..!", "a\nb", "\t\n"]
    for c in [*map(chr, range(0x3000)), *map(chr, range(0x1F300, 0x1FA00)), "\ufe0f\u200d"]:
        words += [c, c + c, "a" + c, c + "a", "1" + c]
    checked = 0
    for w in words:
        for text in (w, w.upper(), w.capitalize()):
            assert _flags(text, text.lower()) == _flags_plain(text, text.lower()), repr(text)
            checked += 1
    assert checked > 50_000


def _correct_plain(m, lower: str, key: str) -> tuple[str, bool]:
    """TopicMatcher.correct as first written: a candidate set grown one deletion at a time."""
    from rapidfuzz.distance import OSA

    from nlp.matcher import FUZZY_MIN_LEN, _deletions

    if key in m.vocab or len(lower) < FUZZY_MIN_LEN or not lower.isalpha() or lower in m.known_words:
        return key, False
    cands = set(m._deletes.get(key, ()))
    for d in _deletions(key):
        cands.update(m._deletes.get(d, ()))
        if d in m.vocab:
            cands.add(d)
    best = [c for c in cands if c[0] == key[0] and OSA.distance(c, key) <= 1]
    return (best[0], True) if len(best) == 1 else (key, False)


def test_typo_correction_equals_the_plain_candidate_walk(table):
    """TopicMatcher.correct (the deletions looked up in one map, nothing built when none is found) gives
    what growing the candidate set one deletion at a time gives: for phrase words, one-edit typos of
    them (deleted, doubled, swapped and replaced letters: corrected, ambiguous or not), English words
    and odd tokens."""
    m = table.matcher
    vocab = sorted(k for k in m.vocab if k.isalpha() and len(k) >= 4)
    words = list(ODD) + vocab
    for k in vocab:
        words += [k[:i] + k[i + 1 :] for i in range(1, len(k))]
        words += [k[:i] + k[i] + k[i:] for i in range(1, len(k))]
        words += [k[:i] + k[i + 1] + k[i] + k[i + 2 :] for i in range(1, len(k) - 1)]
        words += [k[:i] + "x" + k[i + 1 :] for i in range(1, len(k))]
    words += ["dashboard", "willing", "invoicing", "reporting", "xylophone", "zzzzzz"]
    corrected = 0
    for w in words:
        lower = w.lower()
        key = match_key(lower)
        got = m.correct(lower, key)
        assert got == _correct_plain(m, lower, key), w
        corrected += got[1]
    assert corrected > 100  # typos were corrected (and checked), not only passed through
