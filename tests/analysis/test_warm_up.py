"""A new analyser is warmed in the process that builds it (a worker's parent, before it forks work
horses): the tokenizer and vocabulary have already seen varied text, so a forked job starts warm."""

from __future__ import annotations

from app.analysis import pipeline


def test_a_built_analyzer_has_already_run_over_the_warm_up_texts(app):
    with app.app_context():
        pipeline.clear_cache()
        try:
            analyzer = pipeline.get_analyzer()
            strings = analyzer.nlp.vocab.strings
            assert "audits" in strings and "Abonnement" not in strings  # a warm-up word; one it never saw
        finally:
            pipeline.clear_cache()


def test_a_failing_warm_up_leaves_a_usable_analyzer(app, monkeypatch):
    def broken(self, texts):
        raise RuntimeError("boom")

    with app.app_context():
        pipeline.clear_cache()
        try:
            from nlp import Analyzer

            original = Analyzer.analyze
            monkeypatch.setattr(Analyzer, "analyze", broken)
            analyzer = pipeline.get_analyzer()
            monkeypatch.setattr(Analyzer, "analyze", original)
            assert analyzer.analyze_one("The dashboard is slow.").sentiment is not None
        finally:
            pipeline.clear_cache()
