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
