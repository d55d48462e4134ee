"""Evaluate the analyser on a labelled data set.

python -m nlp.evaluate /path/Restaurants_Test_Gold.xml [--train Restaurants_Train.xml] [--model DIR]
python -m nlp.evaluate /path/vader-groundtruth/            (VADER human-rated sets, VADER side by side)
python -m nlp.evaluate data.jsonl [--taxonomy tax.json] [--model DIR]
python -m nlp.evaluate tests/nlp/data/feedback_dev.tsv     (label<TAB>text lines, VADER side by side)
python -m nlp.evaluate intents [--datasets DIR]             (intent CV F1 vs baselines, churn P/R)
python -m nlp.evaluate languages [--datasets DIR]           (language ID on short comments, UMSAB macro-F1)
python -m nlp.evaluate sentences [--datasets DIR]           (English sentiment before/after the learned model)
add --json for one JSON object instead of readable lines.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from nlp.analyzer import Analyzer
from nlp.datasets import Example, read_jsonl, read_labelled_tsv, read_semeval, read_vader, vader_files
from nlp.metrics import accuracy, macro_f1, micro_prf
from nlp.sentiment import normalize
from nlp.taxonomy import Taxonomy
from nlp.types import label_for

LABELS3 = ("positive", "neutral", "negative")


def _vader_label(compound: float) -> str:
    return "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"


def sentiment_report(examples: list[Example], analyzer: Analyzer, with_vader: bool = False) -> dict:
    """Accuracy and macro-F1 (3 classes) of document sentiment, optionally VADER's side by side."""
    ex = [e for e in examples if e.sentiment in LABELS3]
    gold = [e.sentiment for e in ex]
    pred = [r.sentiment.label for r in analyzer.analyze([e.text for e in ex])]
    out = {
        "n": len(ex),
        "accuracy": round(accuracy(gold, pred), 4),
        "macro_f1": round(macro_f1(gold, pred, LABELS3), 4),
    }
    if with_vader:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        sia = SentimentIntensityAnalyzer()
        vp = [_vader_label(sia.polarity_scores(e.text)["compound"]) for e in ex]
        out["vader_accuracy"] = round(accuracy(gold, vp), 4)
        out["vader_macro_f1"] = round(macro_f1(gold, vp, LABELS3), 4)
    return out


def evaluate_vader(path: str) -> dict:
    """Per-file and average macro-F1 on VADER ground-truth files, ours vs VADER."""
    an = Analyzer(taxonomy=Taxonomy([]))
    files = {
        f.name.split("_")[0]: sentiment_report(read_vader(f), an, with_vader=True) for f in vader_files(path)
    }
    avg = {
        k: round(sum(r[k] for r in files.values()) / len(files), 4) for k in ("macro_f1", "vader_macro_f1")
    }
    return {"dataset": "vader", "files": files, "average": avg}


def evaluate_tsv(path: str) -> dict:
    """Document sentiment on ``label<TAB>text`` lines, VADER side by side (e.g. the feedback dev set)."""
    an = Analyzer(taxonomy=Taxonomy([]))
    return {"dataset": Path(path).name, **sentiment_report(read_labelled_tsv(path), an, with_vader=True)}


def evaluate_semeval(
    test_path: str, train_path: str | None, model_dir: str | None, arch: str = "ensemble", epochs: int = 15
) -> dict:
    """Train on SemEval train (unless --model), report category micro-F1 and category polarity accuracy."""
    from nlp.train import _load_training, train_topic_model

    out: dict = {"dataset": "semeval2014", "test": test_path}
    tmp = None
    if model_dir is None:
        train_path = train_path or str(Path(test_path).with_name("Restaurants_Train.xml"))
        tmp = tempfile.TemporaryDirectory()
        model_dir = tmp.name
        topics, pol = _load_training(train_path)
        out["train"] = train_topic_model(
            topics, model_dir, arch=arch, epochs=epochs, polarity_examples=pol, log=lambda s: None
        )
    an = Analyzer(taxonomy=Taxonomy([]), topic_model_path=model_dir)
    test = read_semeval(test_path)
    docs = list(an.docs([e.text for e in test]))
    states = [d._.clearloop for d in docs]
    gold = [set(e.topics) for e in test]
    pred = [set(s.model_topics) for s in states]
    p, r, f = micro_prf(gold, pred)
    out["category"] = {"precision": round(p, 4), "recall": round(r, 4), "micro_f1": round(f, 4)}
    out["polarity"] = _polarity(test, states, an)
    if tmp is not None:
        tmp.cleanup()
    return out


def _polarity(test: list[Example], states: list, an: Analyzer) -> dict:
    pm = an.topic_model.polarity if an.topic_model is not None else None
    gold, model, whole = [], [], []
    for e, s in zip(test, states, strict=True):
        for cat, pol in e.topic_sentiments.items():
            gold.append(pol)
            model.append(pm.predict(s, cat) if pm is not None and cat in pm.topics else "neutral")
            whole.append(label_for(normalize(s.scored.total), an.neutral_band) if s.scored else "neutral")
    res = {
        "n": len(gold),
        "accuracy": round(accuracy(gold, model), 4),
        "whole_sentence_rules_accuracy": round(accuracy(gold, whole), 4),
    }
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    vader = [_vader_label(sia.polarity_scores(e.text)["compound"]) for e in test for _ in e.topic_sentiments]
    res["whole_sentence_vader_accuracy"] = round(accuracy(gold, vader), 4)
    res["classes"] = sorted(set(gold))
    return res


def evaluate_jsonl(path: str, taxonomy_path: str | None, model_dir: str | None) -> dict:
    """Sentiment, topic micro-F1 and topic-level sentiment accuracy on generic JSONL."""
    tax = (
        Taxonomy.from_dict(json.loads(Path(taxonomy_path).read_text()))
        if taxonomy_path
        else Taxonomy.default()
    )
    an = Analyzer(taxonomy=tax, topic_model_path=model_dir)
    ex = read_jsonl(path)
    res = an.analyze([e.text for e in ex])
    out: dict = {"dataset": "jsonl", "n": len(ex)}
    if any(e.sentiment for e in ex):
        out["sentiment"] = sentiment_report([e for e in ex if e.sentiment], an)
    if any(e.topics for e in ex):
        gold = [set(e.topics) for e in ex]
        pred = [set(r.topic_ids) for r in res]
        p, r, f = micro_prf(gold, pred)
        out["topics"] = {"precision": round(p, 4), "recall": round(r, 4), "micro_f1": round(f, 4)}
    pairs = [
        (pol, _topic_label(r, t))
        for e, r in zip(ex, res, strict=True)
        for t, pol in e.topic_sentiments.items()
    ]
    if pairs:
        out["topic_sentiment_accuracy"] = round(accuracy([g for g, _ in pairs], [p for _, p in pairs]), 4)
    return out


def _topic_label(r, topic: str) -> str:
    for m in r.mentions:
        if m.topic_id == topic:
            return m.sentiment.label
    return r.sentiment.label


def _print(d: dict, prefix: str = "") -> None:
    for k, v in d.items():
        if isinstance(v, dict):
            _print(v, f"{prefix}{k}.")
        else:
            print(f"{prefix}{k}: {v}")


def main(argv: list[str] | None = None) -> None:
    """CLI entry point."""
    ap = argparse.ArgumentParser(
        prog="python -m nlp.evaluate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("dataset")
    ap.add_argument("--train", help="SemEval train XML (default: next to the test file)")
    ap.add_argument("--model", help="a trained topic model directory (skips training)")
    ap.add_argument("--taxonomy", help="taxonomy JSON for JSONL data (default: the shipped SaaS taxonomy)")
    ap.add_argument("--arch", default="ensemble", choices=["bow", "ensemble"])
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--datasets", default="/work/shared/datasets", help="for `intents` and `languages`")
    args = ap.parse_args(argv)
    path = args.dataset
    if path in ("intents", "languages", "sentences"):
        if path == "intents":
            lines = [*evaluate_intents(args.datasets), *map(evaluate_churn, CHURN_SETS)]
        elif path == "sentences":
            lines = evaluate_sentences(args.datasets)
        else:
            lang_set = Path(__file__).resolve().parents[1] / "tests" / "nlp" / "data" / "language_test.tsv"
            lines = [evaluate_languages(str(lang_set)), *evaluate_umsab(args.datasets)]
        for line in lines:
            print(json.dumps(line) if args.json else " · ".join(f"{k}: {v}" for k, v in line.items()))
        return
    if path.endswith(".xml"):
        result = evaluate_semeval(path, args.train, args.model, args.arch, args.epochs)
    elif path.endswith(".tsv"):
        result = evaluate_tsv(path)
    elif path.endswith(".jsonl"):
        result = evaluate_jsonl(path, args.taxonomy, args.model)
    else:
        result = evaluate_vader(path)
    if args.json:
        print(json.dumps(result))
    else:
        _print(result)


def evaluate_intents(root: str) -> list[dict]:
    """Intent model, 5-fold cross-validated F1 per label and source, next to the TF-IDF baselines
    (retrains in memory; the shipped model file is not touched)."""
    from nlp.intent_train import train

    _, figures = train(root, log=lambda s: None)
    return figures


# English: the test set, the 1.7.0 development and blind sets, the 1.9.0 blind set; German, French, Spanish
# (analyser 1.9.0): each language's test set (held out) and development set
CHURN_SETS = (
    "churn_test.tsv",
    "churn_dev_b.tsv",
    "churn_blind_b.tsv",
    "churn_blind_c.tsv",
    *(f"churn_{kind}_{lang}.tsv" for lang in ("de", "fr", "es") for kind in ("test", "dev")),
)


def evaluate_churn(name: str = "churn_test.tsv") -> dict:
    """Churn-risk precision and recall through the whole analyser (language detected, not given) on one of
    ``nlp/tests``' churn sets (:data:`CHURN_SETS`); ``language`` is the set's (en unless its name ends in
    ``_de``, ``_fr`` or ``_es``)."""
    path = Path(__file__).with_name("tests") / name
    stem = Path(name).stem
    lang = stem.rsplit("_", 1)[1] if stem.rsplit("_", 1)[-1] in ("de", "fr", "es") else "en"
    rows = [
        (line.split("\t", 1)[0] == "1", line.split("\t", 1)[1])
        for line in path.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    results = Analyzer().analyze([t for _, t in rows])
    pred = ["churn_risk" in r.intent_labels for r in results]
    tp = sum(p and y for p, (y, _) in zip(pred, rows, strict=True))
    fp = sum(p and not y for p, (y, _) in zip(pred, rows, strict=True))
    fn = sum(y and not p for p, (y, _) in zip(pred, rows, strict=True))
    return {
        "dataset": name,
        "language": lang,
        "n": len(rows),
        "precision": round(tp / max(1, tp + fp), 4),
        "recall": round(tp / max(1, tp + fn), 4),
    }


def phrase_bank_comments(bank: dict) -> list[tuple[str, str, str]]:
    """(language, expected label, comment) of a demo phrase bank (``app.demo.phrases_intl.LANGS``): each
    positive and negative clause as a sentence (slots filled with a fixed integration and the language's
    account-manager phrase) and each positive and negative short answer."""
    out = []
    for lang, b in bank.items():
        for tone in ("positive", "negative"):
            for clauses in b[tone].values():
                for c in clauses:
                    t = c.format(integration="Salesforce", csm=b["csm"])
                    out.append((lang, tone, t[:1].upper() + t[1:] + "."))
            out += [(lang, tone, s) for s in b["short"].get(tone, [])]
    return out


def evaluate_phrase_bank(bank: dict) -> dict:
    """How many of a demo phrase bank's comments (:func:`phrase_bank_comments`) get their tone as the
    comment's sentiment, per language (language stated, as the app states the survey's), and which not."""
    rows = phrase_bank_comments(bank)
    results = Analyzer().analyze([t for _, _, t in rows], [lang for lang, _, _ in rows])
    out: dict = {"dataset": "demo_phrase_bank", "n": len(rows)}
    wrong = []
    for (lang, tone, text), r in zip(rows, results, strict=True):
        right, n = out.get(lang, (0, 0))
        out[lang] = (right + (r.sentiment.label == tone), n + 1)
        if r.sentiment.label != tone:
            wrong.append(f"{lang} {tone}->{r.sentiment.label}: {text}")
    out["right"] = sum(right for right, _ in (out[lang] for lang in bank))
    for lang in bank:
        out[lang] = f"{out[lang][0]}/{out[lang][1]}"
    out["wrong"] = wrong
    return out


def evaluate_languages(path: str) -> dict:
    """Language detection accuracy on ``language<TAB>text`` lines (the short-comment test set)."""
    rows = [
        line.split("\t", 1)
        for line in Path(path).read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    results = Analyzer(taxonomy=Taxonomy([])).analyze([t for _, t in rows])
    right = sum(r.language == lang for (lang, _), r in zip(rows, results, strict=True))
    return {"dataset": Path(path).name, "n": len(rows), "accuracy": round(right / len(rows), 4), "goal": 0.97}


def evaluate_umsab(root: str) -> list[dict]:
    """UMSAB test-split macro-F1 per language through the whole analyser, next to the TF-IDF +
    logistic-regression baseline: with the data set's language stated (as the app states the survey's;
    ``macro_f1``) and detected from the text alone (``macro_f1_detected``). The models' settings were
    chosen by cross-validation on train + val."""
    import csv

    from nlp.multilingual_train import BASELINES

    path = Path(root) / "umsab-tweet-sentiment-de-fr-es" / "data.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "test"]
    an = Analyzer(taxonomy=Taxonomy([]))
    out = []
    for lang in ("de", "fr", "es"):
        ex = [r for r in rows if r["language"] == lang]
        texts = [r["text"] for r in ex]
        gold = [r["label"] for r in ex]
        stated = an.analyze(texts, lang)
        detected = an.analyze(texts)
        out.append(
            {
                "dataset": "umsab-test",
                "language": lang,
                "n": len(ex),
                "macro_f1": round(macro_f1(gold, [r.sentiment.label for r in stated], LABELS3), 4),
                "baseline_tfidf_lr": BASELINES[lang],
                "analysed_as_language": round(sum(r.language == lang for r in stated) / len(ex), 4),
                "macro_f1_detected": round(macro_f1(gold, [r.sentiment.label for r in detected], LABELS3), 4),
                "detected_as_language": round(sum(r.language == lang for r in detected) / len(ex), 4),
            }
        )
    return out


def _rules_only(an: Analyzer) -> Analyzer:
    """The same analyser with the learned English sentence model switched off (the "before")."""
    an.nlp.get_pipe("clearloop_analysis").sentence_model = None
    return an


def evaluate_sentences(root: str) -> list[dict]:
    """English sentence/comment sentiment before (rules alone) and after the learned model, VADER side by
    side, on every development set: the held-out parts of the model's training sets (VADER's rated sets,
    SemEval test, Dabrowski, complaint tweets; see nlp.sentiment_train), the feedback dev set, and
    out-of-domain review text the model never saw (AR-Miner test sentences: 1-2 stars negative, 4-5 stars
    positive; macro-F1 over those two classes)."""
    import csv

    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from nlp.sentiment_train import load, set_score

    sets = {name: splits["test"] for name, splits in load(root).items()}
    dev = Path(__file__).resolve().parents[1] / "tests" / "nlp" / "data" / "feedback_dev.tsv"
    sets["feedback_dev"] = [(e.text, e.sentiment) for e in read_labelled_tsv(dev)]
    path = Path(root) / "armine-chen2014-app-review-informativeness" / "data.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        sets["armine_reviews_ood"] = [
            (r["text"], "negative" if int(r["rating"]) <= 2 else "positive")
            for r in csv.DictReader(fh)
            if r["split"] == "test" and r["rating"] != "3"
        ]
    after = Analyzer(taxonomy=Taxonomy([]))
    before = _rules_only(Analyzer(taxonomy=Taxonomy([])))
    sia = SentimentIntensityAnalyzer()
    out = []
    for name, rows in sets.items():
        texts = [t for t, _ in rows]
        gold = [g for _, g in rows]

        def score(pred: list[str], gold=gold, name=name) -> float:
            if name == "armine_reviews_ood":
                return macro_f1(gold, pred, ("positive", "negative"))
            return set_score(gold, pred)

        b = [r.sentiment.label for r in before.analyze(texts)]
        a = [r.sentiment.label for r in after.analyze(texts)]
        v = [_vader_label(sia.polarity_scores(t)["compound"]) for t in texts]
        metric = (
            "f1_negative_as_complaint"
            if name == "complaints"
            else "macro_f1_pos_neg"
            if name == "armine_reviews_ood"
            else "macro_f1"
        )
        out.append(
            {
                "dataset": name,
                "split": "test" if name not in ("feedback_dev", "armine_reviews_ood") else "all",
                "n": len(rows),
                "metric": metric,
                "rules_before": round(score(b), 4),
                "learned_after": round(score(a), 4),
                "vader": round(score(v), 4),
            }
        )
    return out


if __name__ == "__main__":
    main()
