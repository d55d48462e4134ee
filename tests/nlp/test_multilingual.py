"""German, French and Spanish: language detection on short comments, sentiment, intents and topics."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import Analyzer, Taxonomy
from nlp.multilingual import LANGS, StemMatcher, sentiment_model

DATA = Path(__file__).parent / "data" / "language_test.tsv"


def _rows() -> list[tuple[str, str]]:
    out = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            lang, text = line.split("\t", 1)
            out.append((lang, text))
    return out


def test_language_detection_is_right_on_97_percent_of_short_comments():
    rows = _rows()
    assert len(rows) >= 200 and {lang for lang, _ in rows} == {"en", "de", "fr", "es"}
    results = Analyzer(taxonomy=Taxonomy([])).analyze([t for _, t in rows])
    right = sum(r.language == lang for (lang, _), r in zip(rows, results, strict=True))
    assert right / len(rows) >= 0.97, right / len(rows)


def test_each_language_has_a_small_shipped_sentiment_model():
    for lang in LANGS:
        model = sentiment_model(lang)
        assert model is not None and len(model.vocab) > 1000
        size = (Path(__file__).resolve().parents[2] / "nlp" / "data" / f"sentiment_{lang}.npz").stat().st_size
        assert size < 1_000_000


@pytest.mark.parametrize(
    ("text", "lang", "label", "intent", "topic"),
    [
        (
            "Die Rechnungen sind jeden Monat falsch, sehr ärgerlich.",
            "de",
            "negative",
            "complaint",
            "billing.invoices",
        ),
        ("Der Support ist super, vielen Dank!", "de", "positive", "praise", "support"),
        ("Der Export funktioniert nicht.", "de", "negative", "bug_report", "data"),
        ("Wir werden kündigen, wenn sich nichts ändert.", "de", "negative", "churn_risk", None),
        (
            "Les factures sont fausses chaque mois, c'est vraiment décevant.",
            "fr",
            "negative",
            "complaint",
            "billing.invoices",
        ),
        ("L'export ne fonctionne pas depuis lundi.", "fr", "negative", "bug_report", "data"),
        ("Ce serait bien d'avoir un mode sombre.", "fr", None, "feature_request", None),
        ("Le support est excellent, merci !", "fr", "positive", "praise", "support"),
        ("La exportación a Excel no funciona.", "es", "negative", "bug_report", "data"),
        ("¿Cómo puedo cambiar los permisos?", "es", None, "question", "security.permissions"),
        ("Estamos buscando alternativas.", "es", "negative", "churn_risk", None),
        ("El soporte es excelente, gracias.", "es", "positive", "praise", "support"),
    ],
)
def test_foreign_comments_get_sentiment_intent_and_topics(analyzer, text, lang, label, intent, topic):
    r = analyzer.analyze_one(text)
    assert r.language == lang
    if label is not None:
        assert r.sentiment.label == label, r.sentiment
    assert intent in r.intent_labels, r.intent_labels
    if topic is not None:
        assert topic in r.topic_ids, r.topic_ids
    for i in r.intents:
        assert 0 <= i.start < i.end <= len(text)
    assert all(s.sentiment.label in ("positive", "neutral", "negative") for s in r.sentences)


def test_a_solved_problem_is_not_negative_in_german(analyzer):
    r = analyzer.analyze_one("Der Export funktionierte nicht, wurde aber am selben Tag behoben.")
    assert r.sentiment.label != "negative" or "bug_report" not in r.intent_labels


def test_stems_match_inflected_forms_and_prefer_the_specific_topic():
    tax = Taxonomy.default()
    m = StemMatcher("fr", list(tax.topics))
    from nlp.analyzer import build_pipeline
    from nlp.components import state_of

    doc = build_pipeline(None)("Nos factures arrivent en retard")
    topics = [tax.topics[x.topic].id for x in m.match(state_of(doc).infos)]
    assert "billing.invoices" in topics and "billing" not in topics


def test_tfidf_model_round_trips_and_scores_like_training(tmp_path):
    """A TF-IDF model scores a span as its training design does (binary features, idf, L2 norm)."""
    import math

    import numpy as np

    from nlp.analyzer import build_pipeline
    from nlp.components import state_of
    from nlp.multilingual import ForeignSentiment, doc_features
    from nlp.multilingual_train import _design, _idf, _vocab

    texts = ["Das ist nicht gut!", "Sehr gut, danke", "Der Export ist langsam", "gut gut gut"]
    nlp = build_pipeline(None)
    infos = [state_of(d).infos for d in nlp.pipe(texts)]
    feats = [doc_features("de", x, True) for x in infos] * 2
    vocab = _vocab(feats)
    idf = _idf(feats, vocab)
    w = np.random.default_rng(1).normal(size=(len(vocab), 3))
    model = ForeignSentiment("de", vocab, w, idf, True)
    model.save(tmp_path / "m.npz")
    loaded = ForeignSentiment.load("de", tmp_path / "m.npz")
    assert loaded.bigrams and loaded.idf is not None
    for x, row in zip(infos, _design(feats[: len(texts)], vocab, idf), strict=True):
        z = np.zeros(3)
        for j, v in row:
            z += model.weights[j] * v
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        got, _ = model.scores(x, 0, len(x))
        assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(got, p, strict=True))
        got16, _ = loaded.scores(x, 0, len(x))  # float16 weights on disk: close, not equal
        assert max(abs(a - b) for a, b in zip(got16, p, strict=True)) < 0.01


def test_a_several_sentence_doc_is_labelled_from_the_whole_doc():
    an = Analyzer(taxonomy=Taxonomy([]))
    r = an.analyze_one("Der Support ist furchtbar langsam. Wir warten seit Tagen. Sehr ärgerlich.")
    assert r.language == "de" and r.sentiment.label == "negative"


# --- a stated language (the survey's) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stated", "expected"),
    [
        ("Top!", "fr", "fr"),  # one plain word: no evidence against the survey's language
        ("Top!", None, "en"),
        ("Das ist nicht gut", "fr", "de"),  # clearly another language still wins
        ("Great product, thanks", "de", "en"),
        ("Muy lento", "es-MX", "es"),
        ("Top!", "it", "en"),  # a language the detector does not know falls back to English
    ],
)
def test_a_stated_language_is_the_default_detection_must_clearly_beat(analyzer, text, stated, expected):
    assert analyzer.analyze_one(text, stated).language == expected


def test_languages_can_be_stated_per_text_and_keep_the_order(analyzer):
    texts = ["Top!", "Top!", "Top!", "Das Dashboard ist super"]
    results = analyzer.analyze(texts, ["fr", "es", None, "de"])
    assert [r.language for r in results] == ["fr", "es", "en", "de"]
    assert [r.language for r in analyzer.analyze(texts, "de")] == ["de"] * 4
    with pytest.raises(ValueError):
        analyzer.analyze(texts, ["fr"])  # one language per text, or one for all


def test_stated_language_codes():
    from nlp.analyzer import stated_language

    codes = ("de", "de-AT", "fr_CA", "ES", None, "", "pt-BR")
    assert [stated_language(c) for c in codes] == ["de", "de", "fr", "es", "en", "en", "en"]


def test_a_stated_language_is_not_overridden_by_a_stop_word_profile(analyzer):
    text = "@user te doy un poquito"  # "te" is a Dutch function word too
    assert analyzer.analyze_one(text).language == "nl"
    assert analyzer.analyze_one(text, "es").language == "es"
    assert analyzer.analyze_one("Это очень хорошо", "es").language == "ru"  # a script still decides


def test_a_model_with_character_ngrams_reads_the_span_text_and_round_trips(tmp_path):
    """Character n-grams across words (analyser 1.6.0's experiment; nlp.multilingual.char_ngrams) change
    the scores only through the text passed in, and survive save/load."""
    import numpy as np

    from nlp.analyzer import build_pipeline
    from nlp.components import state_of
    from nlp.multilingual import ForeignSentiment, char_ngrams, doc_features
    from nlp.multilingual_train import _idf, _vocab

    assert char_ngrams("Suuuper!", 2, 2)[:3] == [" s", "su", "uu"]  # a run of three is cut to two
    texts = ["Das ist nicht gut 😡", "Sehr gut, danke 😍"]
    nlp = build_pipeline(None)
    infos = [state_of(d).infos for d in nlp.pipe(texts)]
    feats = [
        doc_features("de", x, True) + ["x=" + g for g in char_ngrams(t, 2, 5)]
        for x, t in zip(infos, texts, strict=True)
    ]
    feats *= 2
    vocab = _vocab(feats)
    w = np.zeros((len(vocab), 3))
    w[vocab["x=😡 "], 0] = 5.0
    model = ForeignSentiment("de", vocab, w, _idf(feats, vocab), True, (2, 5))
    x = infos[0]
    without, _ = model.scores(x, 0, len(x))
    with_text, _ = model.scores(x, 0, len(x), texts[0])
    assert with_text[0] > without[0]
    model.save(tmp_path / "m.npz")
    loaded = ForeignSentiment.load("de", tmp_path / "m.npz")
    assert loaded.chars == (2, 5)
    assert np.allclose(loaded.scores(x, 0, len(x), texts[0])[0], with_text, atol=1e-2)


def test_the_simulated_analyser_label_floors_a_polar_argmax():
    import numpy as np

    from nlp.multilingual_train import analyser_labels

    logits = np.array([[0.1, 0.0, 0.2], [0.0, 1.0, 0.0]])
    assert analyser_labels(logits, [0.0, 0.0], 0.75, 0.07) == ["neutral", "neutral"]  # 3 x 0.06: in the band
    assert analyser_labels(logits, [0.0, -1.0], 0.75, 0.07, 0.4) == ["positive", "negative"]


# --- analyser 1.7.0: a calibrated decision whose argmax is the label ------------------------------------


def _toy_model(weights: dict[str, tuple[float, float, float]], combine=(1.0, 0.0)):
    """A German TF-IDF model over a few word features (idf 1), with a calibrated decision."""
    import numpy as np

    from nlp.multilingual import ForeignSentiment

    vocab = {"bias": 0, **{name: i + 1 for i, name in enumerate(weights)}}
    w = np.zeros((len(vocab), 3))
    for name, row in weights.items():
        w[vocab[name]] = row
    return ForeignSentiment("de", vocab, w, np.ones(len(vocab)), False, None, combine)


def test_a_calibrated_decision_labels_a_narrow_argmax_past_the_neutral_band():
    from nlp.analyzer import calibration
    from nlp.multilingual import decided_valence, polar_floor, valence
    from nlp.sentiment import normalize
    from nlp.types import label_for

    band = calibration()["neutral_band"]
    p = [0.30, 0.33, 0.37]  # positive wins, narrowly
    assert label_for(normalize(valence(p)), band) == "neutral"  # 1.6.0's rule: lost in the band
    assert label_for(normalize(decided_valence(p)), band) == "positive"
    assert label_for(normalize(decided_valence([0.37, 0.33, 0.30])), band) == "negative"
    assert decided_valence([0.3, 0.4, 0.3]) == 0.0
    assert label_for(normalize(polar_floor() / 1.002), band) == "neutral"  # the floor is the band's edge
    assert decided_valence([0.05, 0.05, 0.9]) == pytest.approx(3 * 0.85)  # a sure one keeps its strength


def test_the_combination_scales_the_logits_and_adds_the_word_list(tmp_path):
    import math

    from nlp.analyzer import build_pipeline
    from nlp.components import state_of
    from nlp.multilingual import ForeignSentiment

    model = _toy_model({"u=gut": (0.0, 0.0, 1.0)}, combine=(2.0, 0.5))
    x = state_of(build_pipeline(None)("gut")).infos
    p, best = model.scores(x, 0, len(x), None, net=1.0)
    z = [0.0 - 0.5, 0.0, 2.0 * 1.0 + 0.5]  # T z + w net (-1, 0, 1); the feature's value is idf / norm = 1
    e = [math.exp(v) for v in z]
    assert p == pytest.approx([v / sum(e) for v in e]) and best == 0
    model.save(tmp_path / "m.npz")
    assert ForeignSentiment.load("de", tmp_path / "m.npz").combine == (2.0, 0.5)


def test_the_combiner_is_fitted_by_log_loss_on_out_of_fold_logits():
    import numpy as np

    from nlp.multilingual_train import combined_logits, fit_combiner

    rng = np.random.default_rng(3)
    z = rng.normal(size=(4000, 3))
    nets = rng.integers(-2, 3, size=4000).astype(float)
    q = combined_logits(z, nets, (2.0, 0.6))
    p = np.exp(q - q.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p])
    t, lam = fit_combiner(z, nets, y)
    assert t == pytest.approx(2.0, abs=0.25) and lam == pytest.approx(0.6, abs=0.15)


def test_the_models_own_negative_sentence_does_not_count_twice(monkeypatch):
    """With a calibrated decision the whole doc's label is the model's: a negative sentence's "complaint"
    row (the sentiment itself) no longer pushes a doc the model calls neutral negative; a rule's does."""
    from nlp import multilingual

    # "Mist." alone: negative with p = 0.55 (valence -0.98, above the problem floor of -1)
    model = _toy_model({"u=mist": (0.9, 0.0, 0.0), "u=hallo": (0.0, 6.0, 0.0)})
    monkeypatch.setattr(multilingual, "sentiment_model", lambda lang: model if lang == "de" else None)
    an = Analyzer(taxonomy=Taxonomy([]))
    r = an.analyze_one("Mist. Hallo hallo.", "de")
    assert r.language == "de" and r.sentiment.label == "neutral", r.sentiment
    assert r.sentences[0].sentiment.label == "negative" and "complaint" in r.intent_labels
    r = an.analyze_one("Der Export funktioniert nicht. Hallo hallo.", "de")  # a rule's bug report
    assert r.sentiment.label == "negative" and "bug_report" in r.intent_labels


@pytest.mark.parametrize(
    ("lang", "text", "complaint"),
    [
        ("de", "Die Rechnungen sind jeden Monat falsch.", True),
        ("de", "Das ist nicht falsch.", False),
        ("fr", "Les factures sont fausses.", True),
        ("fr", "C'est pas faux.", False),
        ("es", "Las facturas son incorrectas.", True),
        ("es", "No es incorrecto.", False),
    ],
)
def test_incorrect_results_are_a_complaint_unless_negated(lang, text, complaint):
    from nlp.multilingual import rule_intents

    assert ("complaint" in [r[0] for r in rule_intents(lang, text)]) is complaint


def test_a_batch_of_foreign_docs_is_analysed_as_each_doc_alone():
    """The component's batched path (one gather per language for the batch's sentences and docs,
    ``multilingual.plan``) gives each doc exactly what analysing it alone gives."""
    texts = [lang_text for _, lang_text in _rows()] + [
        "Der Export funktioniert nicht. Bitte schnell beheben! Sonst kündigen wir.",
        "L'application plante souvent. Le support est super, merci !",
        "No funciona la exportación. ¿Hay alguna forma de arreglarlo?",
        "",
        "!!!",
    ]
    an = Analyzer()
    together = [r.to_dict() for r in an.analyze(texts)]
    alone = [an.analyze([t])[0].to_dict() for t in texts]
    assert together == alone
    component = an.nlp.get_pipe("clearloop_analysis")
    one_by_one = [component(an.nlp.make_doc(t)) for t in texts]
    piped = list(component.pipe([an.nlp.make_doc(t) for t in texts]))
    assert [d._.clearloop.scored.total if d._.clearloop.scored else None for d in one_by_one] == [
        d._.clearloop.scored.total if d._.clearloop.scored else None for d in piped
    ]
    assert [d._.clearloop.intents for d in one_by_one] == [d._.clearloop.intents for d in piped]


def test_logits_of_several_spans_equal_each_spans_own():
    import math

    import numpy as np

    for lang in LANGS:
        model = sentiment_model(lang)
        rs = np.random.RandomState(1)
        sets = [set(rs.randint(0, len(model.vocab), rs.randint(0, 60)).tolist()) for _ in range(50)]
        got = model.logits_of(sets)
        for ids, z in zip(sets, got, strict=True):
            if not ids:
                assert z == model._bias
                continue
            arr = np.array(sorted(ids))
            norm = math.sqrt(float(model._idf2[arr].sum())) or 1.0
            want = np.array(model._bias) + model._eff[arr].sum(axis=0) / norm
            assert np.allclose(z, want, rtol=1e-12, atol=1e-12)


def test_an_unsure_decision_takes_the_word_lists_side():
    """Analyser 1.8.0: when no class has the majority the word list's side wins (the two probabilities
    swapped); a sure decision, or one without a word-list net, is the argmax as before."""
    from nlp.analyzer import build_pipeline
    from nlp.components import state_of

    x = state_of(build_pipeline(None)("gut")).infos
    unsure = _toy_model({"u=gut": (0.4, 0.0, 0.0)})  # negative 0.43, neutral / positive 0.28 each
    p, _ = unsure.scores(x, 0, len(x), None, net=0.0)
    assert p.index(max(p)) == 0 and max(p) < 0.5
    q, _ = unsure.scores(x, 0, len(x), None, net=1.0)
    assert q.index(max(q)) == 2 and sorted(q) == pytest.approx(sorted(p))
    sure = _toy_model({"u=gut": (2.0, 0.0, 0.0)})
    r, _ = sure.scores(x, 0, len(x), None, net=1.0)
    assert r.index(max(r)) == 0 and max(r) > 0.5


@pytest.mark.parametrize(
    ("text", "lang", "label"),
    [
        ("Die Bedienung ist intuitiv und schnell.", "de", "positive"),
        ("Ich kann das Tool nur empfehlen.", "de", "positive"),
        ("La herramienta es fiable y la recomiendo.", "es", "positive"),
        ("L'outil est fiable, je le recommande.", "fr", "positive"),
        ("Die Filter sind zu ungenau.", "de", "negative"),
        ("Es gibt zu wenig Vorlagen.", "de", "negative"),
    ],
)
def test_feedback_phrasing_in_de_fr_es_gets_its_tone(analyzer, text, lang, label):
    assert analyzer.analyze_one(text, lang).sentiment.label == label


def test_a_tokens_features_are_computed_once_for_its_ids_vector_and_word_list_polarity():
    """``ForeignSentiment._learn`` fills the three per-token caches from one feature list: each equals
    what the features give computed on their own (the formulas before the caches were merged)."""
    from nlp.flags import F_SPACE, FLAGS, LOWER
    from nlp.multilingual import ForeignSentiment, token_features

    an = Analyzer(taxonomy=Taxonomy([]))
    table = an.nlp.get_pipe("clearloop_analysis").table
    infos = [
        table.info(t.text)
        for _, text in _rows()
        for t in an.nlp.make_doc(text + " nicht pas no l'export suuuper 😀")
        if not table.info(t.text)[FLAGS] & F_SPACE
    ]
    for lang in LANGS:
        m = sentiment_model(lang)
        fresh = ForeignSentiment(lang, m.vocab, m.weights, m.idf, m.bigrams, m.chars, m.combine)
        for x in infos:
            for neg in (False, True):
                feats = token_features(lang, x, neg)
                ids = tuple({m.vocab[f]: None for f in feats if f in m.vocab})
                vec = m._vec(list(dict.fromkeys(feats)) if m.idf is not None else feats)
                lex = 1.0 if "l=pos" in feats else -1.0 if "l=neg" in feats else 0.0
                key = (x[LOWER], neg)
                assert fresh.token_ids(x, neg) == ids
                assert fresh.token_vec(x, neg) == vec
                assert fresh._lex[key] == lex


def test_a_new_words_ids_from_the_shortcut_equal_its_feature_strings_ids_in_either_negation_order():
    """``_learn``'s shortcut for alphabetic words (ids looked up by n-gram, a word's stem and n-gram ids
    shared by its two negation states) gives the ids and word-list polarity its feature strings give,
    whichever negation state is learned first; the vectors summed on demand equal the rows' sum."""
    from nlp.flags import F_ALPHA
    from nlp.multilingual import token_features

    words = [
        "nanana",
        "gut",
        "enttäuscht",
        "l'export",
        "d\u2019accord",
        "übersichtlich",
        "problème",
        "xx",
        "bueno",
        "mal",
        "suuuper",
        "keine",
        "rápido",
        "absturz",
        "wunderbar",
        "aaaaaa",
    ]
    for lang in LANGS:
        m = sentiment_model(lang)
        for first in (False, True):
            fresh = m.fresh()
            for w in words:
                x = (w, None, None, 0.0, F_ALPHA if w.isalpha() else 0)
                for neg in (first, not first):
                    feats = token_features(lang, x, neg)
                    want = tuple(dict.fromkeys(m.vocab[f] for f in feats if f in m.vocab))
                    assert fresh.token_ids(x, neg) == want, (lang, w, neg)
                    assert fresh._lex[(w, neg)] == (
                        1.0 if "l=pos" in feats else -1.0 if "l=neg" in feats else 0.0
                    )
                    assert fresh.token_vec(x, neg) == m._rows_sum(want)
            assert fresh._words  # the shortcut was taken


def test_an_explanation_left_out_or_taken_from_the_word_list_changes_no_probability():
    """``scores(explain=False)`` and ``scores(tok=...)`` give the same probabilities; ``tok`` comes back
    as the explanation exactly when the label is polar on the word list's side (where analyze shows it),
    else the model's own explaining token."""
    an = Analyzer(taxonomy=Taxonomy([]))
    comp = an.nlp.get_pipe("clearloop_analysis")
    for text, lang in _rows()[:200]:
        if lang not in LANGS:
            continue
        model = sentiment_model(lang)
        doc = an.nlp.make_doc(text)
        x = comp.table.infos([t.orth for t in doc], an.nlp.vocab.strings)
        net, tok = model.lexicon(x, 0, len(x))
        p, best = model.scores(x, 0, len(x), text, None, net)
        assert model.scores(x, 0, len(x), text, None, net, explain=False) == (p, None)
        q, shown = model.scores(x, 0, len(x), text, None, net, tok=tok)
        assert q == p
        label = p.index(max(p))
        on_list_side = tok is not None and label != 1 and (label == 2) == (net > 0)
        assert shown == (tok if on_list_side else best)


def test_character_ngram_ids_of_many_texts_at_once_equal_each_texts_own_in_order():
    """``CharGrams.of`` (numbers for n-grams, one ``searchsorted``) gives each text's known n-gram ids in
    the order and with the repeats of ``char_ngrams`` + a dict lookup: the span's id set is built the
    same (its sum's order); odd characters, runs, empty and one-character texts included."""
    from nlp.multilingual import _NOT_NONE, CharGrams, char_ngrams

    model = sentiment_model("de")
    assert model.chars is not None
    texts = [t for t, _ in _rows()] + [
        "",
        " ",
        "a",
        "x\udc80y 😂😂😂!!!",
        "Suuuuper  toll\n\n",
        "ß",
        "İstanbul",
        "Nicht gut :( ",
        "\u2764\ufe0f",
    ]
    grams = CharGrams(model._char_ids, *model.chars)
    got = grams.of(texts)
    for t, ids in zip(texts, got, strict=True):
        want = list(filter(_NOT_NONE, map(model._char_ids.get, char_ngrams(t, *model.chars)))) if t else []
        assert ids == want, t
    assert sum(map(len, got)) > 1000
    assert [grams.of([t])[0] for t in texts[-9:]] == got[-9:]
    toy = CharGrams({"ab": 0, "b ": 1, " a": 2}, 2, 2)
    assert toy.of(["ab", "", "b ab"]) == [[2, 0, 1], [], [1, 2, 0, 1]]


def _walked_feature_ids(model, infos, toks, text):
    """The per-token walk ``feature_ids`` did before its chained update (the reference)."""
    from nlp.flags import F_EXCL, F_QUEST, FLAGS, LOWER
    from nlp.multilingual import _NOT_NONE, char_ngrams, split_elision

    ids: set[int] = set()
    if model.chars is not None and text:
        ids.update(filter(_NOT_NONE, map(model._char_ids.get, char_ngrams(text, *model.chars))))
    prev = "<s>"
    for i, neg in toks:
        x = infos[i]
        ids.update(model.token_ids(x, neg))
        if x[FLAGS] & F_EXCL and model._excl_id is not None:
            ids.add(model._excl_id)
        if x[FLAGS] & F_QUEST and model._quest_id is not None:
            ids.add(model._quest_id)
        if model.bigrams:
            low = split_elision(x[LOWER])
            j = model._bigram_ids.get((prev, low))
            if j is not None:
                ids.add(j)
            prev = low
    if model.bigrams and toks:
        j = model._bigram_ids.get((prev, "</s>"))
        if j is not None:
            ids.add(j)
    return ids


def test_a_spans_feature_ids_are_the_per_token_walks_in_the_same_iteration_order():
    """The chained update adds the same ids in the same order as the per-token walk: the same set, iterated
    in the same order (the order its logits are summed in), with "!", "?", elisions and negation."""
    from nlp.multilingual import _tokens

    an = Analyzer(taxonomy=Taxonomy([]))
    comp = an.nlp.get_pipe("clearloop_analysis")
    extra = [
        "Nicht gut!!! Wirklich?",
        "L'export n'est pas bon ? Jamais !",
        "¡No funciona! ¿Por qué?",
        "",
        "!",
    ]
    for text, lang in [*_rows(), *((t, lang) for t in extra for lang in LANGS)]:
        if lang not in LANGS:
            continue
        model = sentiment_model(lang)
        doc = an.nlp.make_doc(text)
        x = comp.table.infos([t.orth for t in doc], an.nlp.vocab.strings)
        for a, b in ((0, len(x)), (0, len(x) // 2), (len(x) // 2, len(x))):
            toks = _tokens(lang, x, a, b)
            got = model.feature_ids(x, toks, text)
            want = _walked_feature_ids(model, x, toks, text)
            assert list(got) == list(want), (lang, text)
