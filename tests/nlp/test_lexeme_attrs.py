"""The analyser's own blank pipeline skips spaCy's lexical attributes (shape, norm, like_num, ...): nothing
in it reads them, and computing them was ~40 % of the tokenizer's first pass over new words. A topic
model's textcat reads them, so a pipeline with one keeps them. Results must not depend on them."""

from __future__ import annotations

import spacy

from nlp import Analyzer, Taxonomy
from nlp.topic_model import TEXTCAT_NAME

TEXTS = [
    "The dashboard keeps crashing since the 3.2 update!!! Fix it :(",
    "We'll cancel in March unless SSO works; 42 seats, $1,200/yr.",
    "Das Dashboard ist super, aber der Export ist zu langsam.",
    "Le support est rapide mais la facturation est confuse.",
    "El informe mensual es muy útil, pero la aplicación móvil falla a menudo.",
    "Why can't I export to CSV?? www.example.com/help or help@example.com",
    "LOVE it 😍 but the API rate limits (429s) hurt our integration",
    "meh",
]


def test_own_pipeline_computes_no_spacy_lexical_attributes(analyzer):
    assert analyzer.nlp.vocab.lex_attr_getters == {}
    lexeme = analyzer.nlp.vocab["Zyxwvutsrqponm42"]  # a new word: no shape computed for it
    assert lexeme.shape_ == ""
    assert spacy.blank("en").vocab["Zyxwvutsrqponm42"].shape_ == "Xxxxxdd"


def test_results_do_not_depend_on_spacy_lexical_attributes(analyzer):
    with_attrs = Analyzer(taxonomy=Taxonomy.default())
    with_attrs.nlp.vocab.lex_attr_getters = dict(spacy.blank("en").vocab.lex_attr_getters)
    assert [r.to_dict() for r in with_attrs.analyze(TEXTS)] == [r.to_dict() for r in analyzer.analyze(TEXTS)]
    langs = ["en", "en", "de", "fr", "es", None, "en", "de"]
    assert [r.to_dict() for r in with_attrs.analyze(TEXTS, langs)] == [
        r.to_dict() for r in analyzer.analyze(TEXTS, langs)
    ]


def test_a_topic_models_textcat_keeps_them(tiny_model):
    an = Analyzer(taxonomy=Taxonomy.default(), topic_model_path=tiny_model[0])
    assert (TEXTCAT_NAME in an.nlp.pipe_names) == bool(an.nlp.vocab.lex_attr_getters)
    assert an.analyze_one("The invoice total was wrong again").language == "en"
