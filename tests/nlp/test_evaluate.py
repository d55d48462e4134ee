"""The evaluation CLI on tiny data sets of each supported format."""

from __future__ import annotations

import json

import pytest

from nlp.evaluate import main


def test_vader_format_with_vader_side_by_side(tmp_path, capsys):
    f = tmp_path / "tweets_GroundTruth.txt"
    f.write_text(
        "1\t2.5\tI love this so much\n2\t-3.0\tThis is terrible and awful\n3\t0.1\tThe meeting is at 3\n"
    )
    main([str(f), "--json"])
    d = json.loads(capsys.readouterr().out)
    assert d["files"]["tweets"]["n"] == 3 and d["files"]["tweets"]["accuracy"] == 1.0
    assert "vader_macro_f1" in d["average"]


def test_jsonl_topics_and_topic_sentiment(tmp_path, capsys):
    f = tmp_path / "d.jsonl"
    rows = [
        {
            "text": "Invoices are wrong",
            "sentiment": "negative",
            "topics": ["billing.invoices"],
            "topic_sentiments": {"billing.invoices": "negative"},
        },
        {
            "text": "Onboarding was smooth",
            "sentiment": "positive",
            "topics": ["onboarding"],
            "topic_sentiments": {"onboarding": "positive"},
        },
    ]
    f.write_text("\n".join(json.dumps(r) for r in rows))
    main([str(f)])
    out = capsys.readouterr().out
    assert (
        "topics.micro_f1: 1.0" in out
        and "topic_sentiment_accuracy: 1.0" in out
        and "sentiment.accuracy: 1.0" in out
    )


@pytest.mark.parametrize("swapped", [False, True])
def test_semeval_format_trains_and_reports(tmp_path, capsys, swapped):
    """Known answers both ways: scored against its own gold every category and polarity is right; against
    a gold file with the categories swapped and the polarities flipped, none is."""
    sent = (
        '<sentence id="{i}"><text>{t}</text><aspectCategories><aspectCategory category="{c}" polarity="{p}"/>'
        "</aspectCategories></sentence>"
    )
    data = [
        ("The food was delicious", "food", "positive"),
        ("The waiter was rude", "service", "negative"),
        ("Pasta was bland", "food", "negative"),
        ("Staff were friendly", "service", "positive"),
    ] * 4

    def xml(rows) -> str:
        return (
            "<sentences>"
            + "".join(sent.format(i=i, t=t, c=c, p=p) for i, (t, c, p) in enumerate(rows))
            + "</sentences>"
        )

    other = {"food": "service", "service": "food", "positive": "negative", "negative": "positive"}
    gold = [(t, other[c], other[p]) for t, c, p in data] if swapped else data
    (tmp_path / "Restaurants_Train.xml").write_text(xml(data))
    (tmp_path / "Restaurants_Test_Gold.xml").write_text(xml(gold))
    main([str(tmp_path / "Restaurants_Test_Gold.xml"), "--arch", "bow", "--epochs", "3", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert d["polarity"]["n"] == len(data)
    expected = 0.0 if swapped else 1.0
    assert (d["category"]["micro_f1"], d["polarity"]["accuracy"]) == (expected, expected)


def test_phrase_bank_comments_are_each_clause_and_short_answer_as_a_comment():
    from nlp.evaluate import phrase_bank_comments

    bank = {
        "de": {
            "positive": {"support": ["{csm} hilft sofort", "die {integration}-Integration läuft"]},
            "negative": {"bugs": ["es gibt Fehler"]},
            "csm": "unser Kundenbetreuer",
            "short": {"positive": ["Super!"], "mixed": ["Ganz okay."], "negative": []},
        }
    }
    assert phrase_bank_comments(bank) == [
        ("de", "positive", "Unser Kundenbetreuer hilft sofort."),
        ("de", "positive", "Die Salesforce-Integration läuft."),
        ("de", "positive", "Super!"),
        ("de", "negative", "Es gibt Fehler."),
    ]


def test_phrase_bank_report_counts_right_per_language_and_lists_the_wrong(monkeypatch):
    from nlp import evaluate

    class Result:
        def __init__(self, label):
            self.sentiment = type("S", (), {"label": label})()

    class Fake:
        def analyze(self, texts, languages):
            assert languages == ["de", "de", "fr"]
            return [Result("positive"), Result("neutral"), Result("negative")]

    monkeypatch.setattr(evaluate, "Analyzer", Fake)
    bank = {
        "de": {"positive": {"a": ["gut", "toll"]}, "negative": {}, "csm": "", "short": {}},
        "fr": {"positive": {}, "negative": {"b": ["lent"]}, "csm": "", "short": {}},
    }
    out = evaluate.evaluate_phrase_bank(bank)
    assert out["n"] == 3 and out["right"] == 2 and out["de"] == "1/2" and out["fr"] == "1/1"
    assert out["wrong"] == ["de positive->neutral: Toll."]


def test_every_churn_set_is_reported_with_precision_and_recall():
    from nlp.evaluate import CHURN_SETS, evaluate_churn

    assert CHURN_SETS[:4] == ("churn_test.tsv", "churn_dev_b.tsv", "churn_blind_b.tsv", "churn_blind_c.tsv")
    assert {"churn_test_de.tsv", "churn_test_fr.tsv", "churn_test_es.tsv"} <= set(CHURN_SETS)
    assert evaluate_churn("churn_dev_fr.tsv")["language"] == "fr"
    out = evaluate_churn("churn_dev_b.tsv")
    assert out["dataset"] == "churn_dev_b.tsv" and out["n"] == 40
    assert 0 <= out["precision"] <= 1 and 0 <= out["recall"] <= 1
