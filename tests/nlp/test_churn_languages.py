"""Churn risk in German, French and Spanish (analyser 1.9.0, nlp.churn_intl): the same parts as English's
(ending verbs, a staying word negated, a move to or a search among alternatives, doubts, idioms), with
negation, hypotheticals and threatening conditions per language; the labelled sets next to English's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nlp.churn import churn_risk
from nlp.churn_intl import CONDITIONAL, DIRECT, SOFT

SETS = Path(__file__).resolve().parents[2] / "nlp" / "tests"


def _rows(name: str) -> list[tuple[bool, str]]:
    return [
        (line.split("\t", 1)[0] == "1", line.split("\t", 1)[1])
        for line in (SETS / name).read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]


def _pr(analyzer, rows: list[tuple[bool, str]]) -> tuple[float, float]:
    pred = ["churn_risk" in r.intent_labels for r in analyzer.analyze([t for _, t in rows])]
    tp = sum(p and y for p, (y, _) in zip(pred, rows, strict=True))
    fp = sum(p and not y for p, (y, _) in zip(pred, rows, strict=True))
    fn = sum(y and not p for p, (y, _) in zip(pred, rows, strict=True))
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_each_language_has_a_test_set_of_60_and_a_separate_dev_set(lang):
    test, dev = _rows(f"churn_test_{lang}.tsv"), _rows(f"churn_dev_{lang}.tsv")
    assert len(test) >= 60 and 25 <= sum(y for y, _ in test) <= len(test) - 25
    assert len(dev) >= 30
    assert not {t for _, t in test} & {t for _, t in dev}


def test_the_fresh_english_blind_set_is_big_enough_and_new():
    blind = _rows("churn_blind_c.tsv")
    assert len(blind) >= 80 and 30 <= sum(y for y, _ in blind) <= len(blind) - 30
    older = {t for name in ("churn_test.tsv", "churn_dev_b.tsv", "churn_blind_b.tsv") for _, t in _rows(name)}
    assert not {t for _, t in blind} & older


@pytest.mark.parametrize(
    ("name", "precision", "recall"),
    [
        # held out: measured through the whole analyser (language detected) after the patterns were written
        ("churn_test_de.tsv", 0.95, 0.95),
        ("churn_test_fr.tsv", 0.95, 0.95),
        ("churn_test_es.tsv", 0.95, 0.9),  # one sentence is detected as Portuguese
        # developed on
        ("churn_dev_de.tsv", 1.0, 1.0),
        ("churn_dev_fr.tsv", 1.0, 1.0),
        ("churn_dev_es.tsv", 1.0, 1.0),
    ],
)
def test_churn_sets_per_language_through_the_analyser(analyzer, name, precision, recall):
    p, r = _pr(analyzer, _rows(name))
    assert p >= precision and r >= recall, (name, p, r)


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # ending verbs on the relationship; a staying word negated
        ("de", "Wir kündigen unser Abo.", True),
        ("de", "Wir werden das Abonnement nicht verlängern.", True),
        ("de", "Wir bleiben nicht mehr lange Kunde.", True),
        ("fr", "Nous allons résilier notre contrat.", True),
        ("fr", "Nous ne renouvellerons pas l'abonnement.", True),
        ("es", "Vamos a cancelar nuestra cuenta.", True),
        ("es", "No vamos a renovar el contrato.", True),
        # moves to and searches among alternatives
        ("de", "Wir wechseln zu einem günstigeren Anbieter.", True),
        ("de", "Wir suchen nach Alternativen.", True),
        ("fr", "Nous passons à la concurrence.", True),
        ("fr", "Nous regardons d'autres solutions.", True),
        ("es", "Nos cambiamos a otra plataforma.", True),
        ("es", "Estamos buscando alternativas.", True),
        # negated: a statement of staying
        ("de", "Wir wollen nicht kündigen.", False),
        ("de", "Wir kündigen nicht, keine Sorge.", False),
        ("de", "Wir würden nie zu einem anderen Anbieter wechseln.", False),
        ("de", "Wir haben keine Pläne, den Anbieter zu wechseln.", False),
        ("fr", "Nous ne voulons pas résilier.", False),
        ("fr", "Nous ne changerions jamais de fournisseur.", False),
        ("fr", "Nous n'avons aucune intention de partir.", False),
        ("es", "No vamos a cancelar.", False),
        ("es", "Nunca nos cambiaríamos a otra herramienta.", False),
        ("es", "No tenemos ninguna intención de irnos.", False),
        # the past that nearly happened, a search that chose us
        ("de", "Wir wollten fast kündigen, jetzt läuft alles.", False),
        ("fr", "Nous avons failli résilier l'an dernier.", False),
        ("es", "Casi cancelamos, pero ahora todo va bien.", False),
        ("es", "Evaluamos varias alternativas y elegimos Clearloop.", False),
        # other senses: cancelling something else, someone else leaving, resilience, announcing
        ("de", "Wie kann ich eine Einladung stornieren?", False),
        ("de", "Ein Kollege hat gekündigt, wer übernimmt seine Umfragen?", False),
        ("de", "Die Band kündigt ein neues Album an.", False),
        ("de", "Wir verlassen uns auf die Berichte.", False),
        ("fr", "Comment annuler une invitation ?", False),
        ("fr", "La résilience de l'équipe est impressionnante.", False),
        ("fr", "Un employé a quitté l'entreprise.", False),
        ("es", "Tuve que cancelar la reunión.", False),
        ("es", "Quiero ver el informe de bajas de nuestros propios clientes.", False),
        ("es", "Nos cambiamos a ustedes desde otra herramienta.", False),
    ],
)
def test_churn_parts_negation_and_other_senses(lang, text, expected):
    assert (churn_risk(text, lang) is not None) == expected, text


@pytest.mark.parametrize(
    ("lang", "threat", "hypothetical"),
    [
        (
            "de",
            "Wenn der Export nicht bald funktioniert, kündigen wir.",
            "Falls wir jemals kündigen, bekommen wir dann unsere Daten?",
        ),
        (
            "fr",
            "Si l'export n'est pas corrigé, nous résilierons.",
            "Si un jour nous devions résilier, pourrions-nous exporter nos données ?",
        ),
        (
            "es",
            "Si no arreglan la exportación, cancelamos.",
            "Si algún día tuviéramos que cancelar, ¿podríamos exportar los datos?",
        ),
    ],
)
def test_a_threatening_condition_is_churn_a_hypothetical_is_not(lang, threat, hypothetical):
    found = churn_risk(threat, lang)
    assert found is not None and found[0] == CONDITIONAL
    assert churn_risk(hypothetical, lang) is None


@pytest.mark.parametrize(
    ("lang", "text", "score"),
    [
        ("de", "Wir kündigen zum Monatsende.", DIRECT),
        ("de", "Ich bin nicht sicher, ob wir verlängern.", SOFT),
        ("fr", "Je ne suis pas sûr que nous renouvelions.", SOFT),
        ("es", "No sé si vamos a renovar.", SOFT),
        ("es", "Estamos evaluando otras herramientas.", SOFT),
    ],
)
def test_direct_threats_outrank_doubts_and_searches(lang, text, score):
    found = churn_risk(text, lang)
    assert found is not None and found[0] == score, found


def test_evidence_is_the_phrase_and_a_curly_apostrophe_is_plain():
    text = "Ehrlich gesagt: Wir werden unseren Vertrag kündigen."
    score, start, end = churn_risk(text, "de")
    assert score == DIRECT and text[start:end] == "Vertrag kündigen"
    assert churn_risk("Nous n’allons pas renouveler le contrat.", "fr") is not None


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Die Auswertungen sind gut. Trotzdem werden wir den Vertrag nicht verlängern.", "de"),
        ("Les rapports sont bien. Mais nous cherchons des alternatives moins chères.", "fr"),
        ("Los informes están bien. Pero nos vamos con la competencia.", "es"),
    ],
)
def test_a_comment_gets_churn_risk_on_its_sentence_and_is_not_positive(analyzer, text, lang):
    r = analyzer.analyze([text], [lang])[0]
    churn = [i for i in r.intents if i.label == "churn_risk"]
    assert churn and churn[0].sentence == 1
    assert r.sentiment.label != "positive", (text, r.sentiment)


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_no_pattern_matches_an_empty_or_odd_sentence(lang):
    for text in ("", " ", "?!", "1234", "a" * 5000, "kündigen " * 200):
        churn_risk(text, lang)  # never raises


def test_the_language_gate_matches_exactly_the_words_of_its_patterns():
    from nlp.churn_intl import LANGS, _trie

    gate = re.compile(_trie({"ab", "abc", "b", "kündig"}))
    assert [bool(gate.fullmatch(w)) for w in ("ab", "abc", "b", "kündig", "a", "c", "")] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    for spec in LANGS.values():
        for _, words, _, _ in spec.patterns:
            assert all(spec.gate.fullmatch(w) for w in words)
