"""nlp.joint: both learned models' sentence logits in one pass equal each model's own."""

from __future__ import annotations

from nlp import Analyzer
from nlp.joint import JointLogits

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
            assert z == want_z and contrib == want_contrib
            assert sz == sm._logits(st.infos, a, b)


def test_the_component_gives_what_each_model_alone_gives():
    an = Analyzer()
    with_joint = [r.to_dict() for r in an.analyze(TEXTS * 2)]
    an.nlp.get_pipe("clearloop_analysis").joint = None  # each model walks the tokens itself
    alone = [r.to_dict() for r in an.analyze(TEXTS * 2)]
    assert with_joint == alone
