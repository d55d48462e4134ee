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
