from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The support team was great", "en"),
        ("Das Produkt ist sehr gut, aber der Support ist langsam.", "de"),
        ("Die Rechnung ist falsch", "de"),
        ("Le support est très lent mais le produit est bien.", "fr"),
        ("Je ne peux pas exporter mes données", "fr"),
        ("El soporte es muy lento pero el producto es bueno.", "es"),
        ("No funciona la integración con Salesforce", "es"),
        ("Muito bom, obrigado", "pt"),
        ("Het werkt niet goed", "nl"),
        ("Всё работает отлично", "ru"),
        ("とても使いやすい", "ja"),
        ("非常好用", "zh"),
        ("Super!", "en"),
        ("ok", "en"),
        ("👍", "en"),
    ],
)
def test_language_codes(analyzer, text, lang):
    assert analyzer.analyze_one(text).language == lang


def test_german_is_analysed_with_its_own_model_and_phrases_not_english_rules(analyzer):
    r = analyzer.analyze_one("Die Rechnungen sind immer falsch und der Support ist schlecht, kein API")
    assert r.language == "de"
    assert r.sentiment.label == "negative"
    assert {"billing.invoices", "support", "integrations.api"} <= set(r.topic_ids)
    assert r.keyphrases == []  # English noun phrases only


def test_script_scan_finds_non_latin_scripts_and_nothing_in_latin_text():
    from nlp.language import _script_language

    assert _script_language("") is None
    assert _script_language("Überall Fehler, ça ne marche pas, ¿por qué? ñ ß œ") is None
    assert _script_language("Всё работает отлично") == "ru"
    assert _script_language("Очень хорошо, but slow") == "ru"  # Cyrillic letters are the majority
    assert _script_language("great product 很好") is None  # Latin letters dominate
    assert _script_language("ɐɐɐ") == "und"  # IPA letters: past the Latin blocks, an unknown script


def _dev_words() -> list[str]:
    import re
    from pathlib import Path

    data = Path(__file__).parent / "data"
    text = (data / "language_test.tsv").read_text(encoding="utf-8") + (data / "feedback_dev.tsv").read_text(
        encoding="utf-8"
    )
    return [*list(dict.fromkeys(w.lower() for w in re.findall(r"[^\W\d_]+", text))), "ß", "a", "l'export"]


def test_a_batchs_new_words_are_scored_at_once_exactly_as_one_by_one():
    """``NaiveBayes.score_words`` (one gather per word length) gives every word the very scores
    ``word_scores`` computes alone (the same sums in the same order: bit-identical floats)."""
    from nlp.language import NaiveBayes, naive_bayes

    words = _dev_words()
    assert len(words) > 900
    model = naive_bayes()
    alone = NaiveBayes.__new__(NaiveBayes)
    alone.__dict__.update(model.__dict__, _cache={})
    together = NaiveBayes.__new__(NaiveBayes)
    together.__dict__.update(model.__dict__, _cache={})
    want = [alone.word_scores(w) for w in words]
    together.score_words(words[:7])
    together.score_words(words)  # a mix of cached and new words
    assert [together._cache[w] for w in words] == want


def test_the_component_scores_a_batchs_new_words_in_one_go(monkeypatch):
    """The analysis component's batched path asks the language model for a batch's new words once,
    before detection, so detection finds them cached (results unchanged: tests/nlp/test_golden.py)."""
    from nlp import Analyzer, Taxonomy
    from nlp.language import NaiveBayes

    an = Analyzer(taxonomy=Taxonomy([]))
    texts = ["Zyxwq plorbs vendrat quimble.", "Le frobnicateur ne marche plus du tout", "Snorf is blarg"]
    single = []
    monkeypatch.setattr(NaiveBayes, "word_scores", lambda self, w: single.append(w) or (0.0,) * 4)
    an.analyze(texts)
    assert single == []
