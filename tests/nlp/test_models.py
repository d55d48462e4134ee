"""Learned-model pieces: thresholds/mix/fallback selection, linear features, polarity features, patterns."""

from __future__ import annotations

import numpy as np

from nlp.analyzer import build_pipeline
from nlp.components import TopicModelComponent, state_of
from nlp.decide import ARGMAX, choose, choose_thresholds, decide, fallback_options
from nlp.linear import SEP, LinearTopicModel, features, word_features
from nlp.polarity import negation_ngrams

LABELS = ["food", "misc", "service"]


def _infos(texts):
    return [state_of(d).infos for d in build_pipeline(None).pipe(texts)]


def test_fallback_only_when_every_training_text_has_a_label():
    assert fallback_options([["a"], ["b"], []]) == [None]
    assert fallback_options([["misc"], ["misc", "food"], ["food"], ["misc"]]) == [None, "misc", ARGMAX]


def test_decide_applies_thresholds_and_fallback():
    scores = np.array([[0.9, 0.1, 0.2], [0.2, 0.3, 0.4], [0.1, 0.1, 0.1]])
    th = np.array([0.5, 0.5, 0.5])
    assert decide(scores, LABELS, th, None) == [{"food"}, set(), set()]
    assert decide(scores, LABELS, th, "misc") == [{"food"}, {"misc"}, {"misc"}]
    assert decide(scores, LABELS, th, ARGMAX)[1] == {"service"}


def test_miscellaneous_fallback_is_chosen_when_it_helps():
    # every text has a label; "misc" texts have low scores everywhere: the fallback recovers them
    scores = np.array([[0.9, 0.1, 0.1], [0.1, 0.2, 0.1], [0.1, 0.1, 0.8], [0.2, 0.1, 0.1]])
    gold = [{"food"}, {"misc"}, {"service"}, {"misc"}]
    best = choose(scores, None, gold, LABELS, [None, "misc", ARGMAX])
    assert best["fallback"] == "misc" and best["f1"] == 1.0
    th, f1 = choose_thresholds(scores, gold, LABELS)
    assert f1 < 1.0 and len(th) == 3


def test_topic_component_falls_back_to_the_catch_all_label():
    comp = TopicModelComponent("textcat", {"food": 0.5, "misc": 0.5, "service": 0.5})
    comp.fallback = "misc"
    th = np.array([0.5, 0.5, 0.5])
    assert comp._decide(np.array([0.1, 0.2, 0.3]), th) == {"misc": 0.2}
    assert comp._decide(np.array([0.7, 0.2, 0.3]), th) == {"food": 0.7}
    comp.fallback = ARGMAX
    assert list(comp._decide(np.array([0.1, 0.2, 0.3]), th)) == ["service"]


def test_linear_features_have_stems_bigrams_and_character_ngrams():
    f = features(_infos(["The sashimi was great"])[0])
    assert {"u=sashimi", "k=sashimi", "c=<sas", "c=imi>", f"b=sashimi{SEP}was"} <= f
    assert not [x for x in word_features("the") if x.startswith("c=")]  # no char n-grams of stop words


def test_linear_model_learns_and_scores_a_batch():
    texts = ["the sushi was fresh", "the waiter was rude", "fresh fish", "rude staff"] * 5
    tops = [["food"], ["service"], ["food"], ["service"]] * 5
    m = LinearTopicModel.fit(_infos(texts), tops, ["food", "service"], epochs=100)
    s = m.batch_scores(_infos(["sushi", "", "the waiter"]))
    assert s[0, 0] > 0.5 > s[0, 1] and s[2, 1] > 0.5 > s[2, 0]
    assert np.allclose(s[1], m.scores(_infos([""])[0]))


def test_negation_scope_marks_words_until_punctuation():
    grams = negation_ngrams(_infos(["The food was not good, the service was great"])[0])
    assert {"w=good_NEG", "b=not_good_NEG", "w=great"} <= grams
    assert "w=great_NEG" not in grams and "w=service_NEG" not in grams


def test_patterns_are_only_tried_when_all_required_words_occur():
    from nlp.matcher import compile_pattern
    from nlp.patterns import requirements, satisfied

    req = requirements(compile_pattern("slow* ... (load*|open*)", str.split))
    assert len(req) == 2
    assert all(satisfied(g, {"slow", "to", "load"}, ["slow", "to", "loading"]) for g in req)
    assert not all(satisfied(g, {"slow", "page"}, ["slow", "page"]) for g in req)


def test_fast_polarity_inference_equals_the_training_features(tiny_model):
    from nlp.polarity import PolarityModel, features

    path, _ = tiny_model
    pm = PolarityModel.load(path / "polarity.npz")
    pm.mix = 0.0  # the logistic regression alone (the textcat average is tested below)
    for text in ["The invoice total was wrong again", "It feels snappy now, not slow", ""]:
        for topic in ["billing", "speed"]:
            state = state_of(next(iter(build_pipeline(None).pipe([text]))))
            z = np.zeros(len(pm.classes))
            for name, v in features(state, topic, pm.assoc):
                if name in pm.vocab:
                    z += pm.weights[pm.vocab[name]] * v
            p = np.exp(z - z.max())
            p /= p.sum()
            fast = pm.proba(state, topic)
            assert np.allclose([fast[c] for c in pm.classes], p)


def test_out_of_fold_linear_scores_cover_every_example():
    from nlp.train import _oof_linear

    data = [("the sushi was fresh", ["food"]), ("the waiter was rude", ["service"])] * 10
    oof = _oof_linear(data, ["food", "service"], k=5)
    assert oof.shape == (20, 2) and (oof > 0).all()
    assert (oof[0::2, 0] > oof[0::2, 1]).all() and (oof[1::2, 1] > oof[1::2, 0]).all()


def test_polarity_textcat_is_saved_loaded_and_averaged(tmp_path):
    from nlp import polarity_textcat as ptc
    from nlp.polarity import TEXTCAT_DIR, PolarityModel
    from nlp.polarity_train import train_polarity

    pairs = [("the food was great", "food", "positive"), ("the food was awful", "food", "negative")] * 15
    m = train_polarity(pairs, l2=1e-3, textcat=False, log=lambda s: None)
    classes = m.classes
    m.textcat = ptc.train([f"food : {t}" for t, _, _ in pairs], [lab for *_, lab in pairs], classes)
    m.mix = 0.3
    m.save(tmp_path / "polarity.npz")
    assert (tmp_path / TEXTCAT_DIR).is_dir()
    back = PolarityModel.load(tmp_path / "polarity.npz")
    assert back.mix == 0.3 and back.textcat is not None
    state = state_of(next(iter(build_pipeline(None).pipe(["the food was great"]))))
    assert back.predict(state, "food") == "positive"
    assert ptc.tc_input(state, "food") == "food : the food was great"
    assert ptc.choose_mix(np.array([[0.6, 0.4]]), np.array([[0.0, 1.0]]), np.array([0])) == (0.0, 1.0)


def test_topical_clause_words_are_features_of_that_topic_only():
    from nlp.flags import LOWER
    from nlp.polarity import KEY, features

    state = state_of(next(iter(build_pipeline(None).pipe(["The food was great, but the service was slow"]))))
    key = {x[LOWER]: x[KEY] for x in state.infos}
    assoc = {"service": {key["service"]: 2.0}, "food": {key["food"]: 2.0}}
    service = {n for n, _ in features(state, "service", assoc)}
    food = {n for n, _ in features(state, "food", assoc)}
    assert "cw=slow" in service and "cw=great" not in service
    assert "cw=great" in food and "cw=slow" not in food
    assert not any(n.startswith("cw=") for n, _ in features(state, "price", assoc))  # no associated word


def test_sparse_adam_fit_equals_a_dense_reference():
    from nlp.polarity_train import _fit

    rng = np.random.default_rng(3)
    rows, cols, vals = np.repeat(np.arange(40), 5), rng.integers(0, 12, size=200), rng.random(200)
    y = rng.integers(0, 3, size=40)
    X = np.zeros((40, 15))
    np.add.at(X, (rows, cols), vals)
    W = np.random.default_rng(0).normal(0, 0.01, size=(15, 3))
    m, v, onehot = np.zeros_like(W), np.zeros_like(W), np.eye(3)[y]
    for t in range(1, 51):
        z = X @ W
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        g = X.T @ ((p - onehot) / 40) + 1e-3 * W
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        W -= 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    assert np.allclose(_fit(rows, cols, vals, y, 15, 3, epochs=50, l2=1e-3, seed=0), W)


def test_polarity_folds_keep_a_texts_pairs_together():
    from nlp.polarity_train import _folds

    texts = [f"text {i // 3}" for i in range(60)]  # 20 texts, 3 pairs each
    folds = _folds(texts, 5, seed=0)
    assert sorted(set(folds.tolist())) == [0, 1, 2, 3, 4]
    assert all(len({folds[k] for k in range(i, i + 3)}) == 1 for i in range(0, 60, 3))
    assert _folds(texts[:9], 5, seed=0) is None  # 3 texts: too few to cross-validate


def test_the_topic_polarity_prefetch_skips_docs_that_never_ask_it():
    """``nlp.results.Builder`` asks the polarity model only about English docs' topics: a German,
    French or Spanish doc's (doc, topic) pairs are not scored for nothing."""
    from types import SimpleNamespace

    from nlp.topic_model import TopicModel

    asked = []
    pm = SimpleNamespace(topics={"billing"}, prefetch=asked.extend)
    tm = TopicModel.__new__(TopicModel)
    tm.polarity = pm
    taxonomy = SimpleNamespace(topics=[SimpleNamespace(id="billing")])
    match = SimpleNamespace(topic=0)
    en = SimpleNamespace(scored=object(), language="en", matches=[match], model_topics={})
    de = SimpleNamespace(scored=object(), language="de", matches=[match], model_topics={})
    tm.prefetch([en, de, None], taxonomy)
    assert asked == [(en, "billing")]
