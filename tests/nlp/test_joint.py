"""nlp.joint: both learned models' sentence logits in one pass equal each model's own."""

from __future__ import annotations

from nlp import Analyzer
from nlp.intent import evidence_span
from nlp.joint import LONG, JointLogits
from tests.nlp.test_golden import load

TEXTS = [
    "The export doesn't work and support never answers. Please add SSO!",
    "We are not happy, we'll cancel at renewal.",
    "Why does the dashboard take forever to load?",
    "Great tool 👍",
    "",
    "!!! ??",
    "I don't think it's not bad, no complaints about the API or the Error page. error page fine",
]


def test_joint_logits_equal_each_models_own():
    an = Analyzer()
    component = an.nlp.get_pipe("clearloop_analysis")
    im, sm = component.intent_model, component.sentence_model
    joint = JointLogits(im, sm)
    for doc in an.docs(TEXTS):
        st = doc._.clearloop
        if st.scored is None or not st.scored.sentences:
            continue
        got = joint.sentences(st.infos, st.scored.sentences)
        for (a, b), (z, contrib, sz) in zip(st.scored.sentences, got, strict=True):
            want_z, want_contrib = im.logits(st.infos, a, b)
            assert z == want_z
            assert (contrib is None) == (want_contrib is None)
            if contrib is not None:  # the joint rows carry the sentence model's columns too
                for k in range(im.n):
                    assert _per_token(contrib, k) == _per_token(want_contrib, k)
                    assert evidence_span(contrib, k) == evidence_span(want_contrib, k)
            assert sz == sm._logits(st.infos, a, b)


def _per_token(contrib, k: int) -> list[tuple[int, float]]:
    """Each token's summed contribution to label ``k``, in order (what evidence_span reads)."""
    per: dict[int, float] = {}
    for i, v in zip(*contrib, strict=True):
        if i >= 0:
            per[i] = per.get(i, 0.0) + v[k]
    return list(per.items())


def test_joint_logits_on_the_golden_corpus():
    """The same on every English sentence of the golden corpus (varied texts, ~1,000)."""
    _, rows = load()
    an = Analyzer()
    component = an.nlp.get_pipe("clearloop_analysis")
    im, sm = component.intent_model, component.sentence_model
    n = 0
    for doc in an.docs([row["text"] for row in rows]):
        st = doc._.clearloop
        if st.scored is None or st.language != "en":
            continue
        got = component.joint.sentences(st.infos, st.scored.sentences)
        for (a, b), (z, contrib, sz) in zip(st.scored.sentences, got, strict=True):
            want_z, want_contrib = im.logits(st.infos, a, b)
            assert z == want_z and sz == sm._logits(st.infos, a, b)
            if contrib is not None:
                for k in range(im.n):
                    assert evidence_span(contrib, k) == evidence_span(want_contrib, k)
            n += 1
    assert n > 500


def test_the_component_gives_what_each_model_alone_gives():
    an = Analyzer()
    with_joint = [r.to_dict() for r in an.analyze(TEXTS * 2)]
    an.nlp.get_pipe("clearloop_analysis").joint = None  # each model walks the tokens itself
    alone = [r.to_dict() for r in an.analyze(TEXTS * 2)]
    assert with_joint == alone


LONG_TEXT = " ".join(["the export is not working and support never answers"] * 12) + "?"  # > LONG rows


def _english(an: Analyzer, texts: list[str]) -> list[tuple[list, list]]:
    out = []
    for doc in an.docs(texts):
        st = doc._.clearloop
        if st.scored is not None and st.language == "en" and st.scored.sentences:
            out.append((st.infos, st.scored.sentences))
    return out


def test_a_batch_sums_to_each_models_own_floats_short_and_long_sentences():
    """JointLogits.batch: the sentences of many docs summed together (numpy, column by column, row after
    row) give exactly the floats each model sums alone, for short sentences and for ones of more than
    LONG rows (summed in Python), mixed in one batch."""
    _, rows = load()
    an = Analyzer()
    component = an.nlp.get_pipe("clearloop_analysis")
    im, sm = component.intent_model, component.sentence_model
    docs = _english(an, [LONG_TEXT, *(row["text"] for row in rows[:400]), LONG_TEXT + " Great tool!"])
    steps = [2 * (c.t1 - c.t0) + 3 for d in component.joint.batch(docs) for _, c, _ in d if c is not None]
    assert max(steps) > LONG >= min(steps)
    fresh = JointLogits(im, sm)  # its own word rows, numbered in another order
    together, reversed_order = component.joint.batch(docs), fresh.batch(docs[::-1])[::-1]
    for got, (infos, sents), again in zip(together, docs, reversed_order, strict=True):
        assert len(got) == len(sents) == len(again)
        for (a, b), (z, contrib, sz), (z2, contrib2, sz2) in zip(sents, got, again, strict=True):
            want_z, want_contrib = im.logits(infos, a, b)
            assert z == want_z == z2 and sz == sm._logits(infos, a, b) == sz2
            assert [repr(x) for x in z] == [repr(x) for x in want_z]  # the same floats, signs of zero too
            if contrib is not None:
                for k in range(im.n):
                    assert _per_token(contrib, k) == _per_token(want_contrib, k) == _per_token(contrib2, k)
                    assert contrib.span(k) == evidence_span(want_contrib, k) == contrib2.span(k)


def test_the_component_sums_a_batch_of_docs_at_once(monkeypatch):
    """The pipe hands the joint logits every English doc of a batch in one call (not one per doc), and
    the results equal analysing each text alone."""
    an = Analyzer()
    calls: list[int] = []
    original = JointLogits.batch

    def batch(self, docs):
        calls.append(len(docs))
        return original(self, docs)

    monkeypatch.setattr(JointLogits, "batch", batch)
    texts = [*TEXTS, LONG_TEXT, "Das Dashboard ist super, aber der Export ist zu langsam.", *TEXTS]
    together = [r.to_dict() for r in an.analyze(texts)]
    assert len(calls) == 1 and calls[0] >= 2 * (len(TEXTS) - 1)  # every English doc with a sentence
    calls.clear()
    alone = [an.analyze_one(t).to_dict() for t in texts]
    assert len(calls) == len([c for c in calls if c == 1]) and together == alone


def test_a_sentence_model_word_vector_is_numpys_sum_of_its_rows():
    """SentenceSentiment.token_vec sums a word's one or two rows (the word, its polarity) in Python: the
    same floats as numpy's sum of the rows, for every word the model knows in both negation states."""
    import numpy as np

    from nlp.sentiment_model import default_model, token_features

    sm = default_model()
    words = sorted({n[2:] for n in sm.vocab if n[:2] in ("u=", "n=")})
    assert len(words) > 1000
    table = Analyzer().nlp.get_pipe("clearloop_analysis").table
    for word in [*words, "zzqx", "😀", ":)"]:
        info = table.info(word)
        for neg in (False, True):
            ids = [j for j in map(sm.vocab.get, token_features(info, neg)) if j is not None]
            want = tuple(sm.weights.take(ids, axis=0).sum(axis=0).tolist()) if ids else (0.0, 0.0, 0.0)
            got = sm.token_vec(info, neg)
            assert [repr(x) for x in got] == [repr(x) for x in want], (word, neg)
            assert np.asarray(got).dtype == np.float64


def test_the_numpy_table_holds_every_row_as_the_batches_add_and_drop_words(monkeypatch):
    """Word rows are written into JointLogits' numpy table in one go before a batch is summed: after
    batches that add more rows than the table first holds, and after the word rows are dropped
    (MAX_WORDS) and numbered again, the table holds exactly the rows, and the sums are the models' own."""
    import numpy as np

    from nlp import joint as joint_mod

    _, rows = load()
    an = Analyzer()
    component = an.nlp.get_pipe("clearloop_analysis")
    im, sm = component.intent_model, component.sentence_model
    docs = _english(an, [row["text"] for row in rows[:600]])
    fresh = JointLogits(im, sm)
    first = len(fresh._table)
    for k in range(0, len(docs), 50):
        fresh.batch(docs[k : k + 50])
    added = len(fresh._rows) - fresh._fixed  # one row per word and negation state
    assert added == len(fresh._words[0]) + len(fresh._words[1]) > 500 and len(fresh._rows) > first
    np.testing.assert_array_equal(fresh._flush()[: len(fresh._rows)], np.array(fresh._rows))
    monkeypatch.setattr(joint_mod, "MAX_WORDS", 10)
    for k in (0, 300):
        got = fresh.batch(docs[k : k + 40])
        again = len(fresh._rows) - fresh._fixed  # the words' rows were dropped and numbered again
        assert again == len(fresh._words[0]) + len(fresh._words[1]) < added
        np.testing.assert_array_equal(fresh._flush()[: len(fresh._rows)], np.array(fresh._rows))
        for (infos, sents), res in zip(docs[k : k + 40], got, strict=True):
            for (a, b), (z, _, sz) in zip(sents, res, strict=True):
                assert z == im.logits(infos, a, b)[0] and sz == sm._logits(infos, a, b)
