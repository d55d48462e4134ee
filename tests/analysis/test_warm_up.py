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


def test_a_worker_start_gets_its_analyser_ready_for_jobs_as_the_benchmark_does(app, monkeypatch):
    """worker.py's ``preload()`` hands the built analyser to ``nlp.ready_for_jobs`` (warm-up, heap frozen)
    - the function benchmarks/nlp_throughput.py calls, so its figures are a worker's."""
    from app import workers
    from app.analysis import services

    readied = []
    monkeypatch.setattr(services, "ready_for_jobs", readied.append)  # the test process stays unfrozen
    with app.app_context():
        pipeline.clear_cache()
        try:
            workers.preload()
            assert readied == [pipeline.get_analyzer()]
        finally:
            pipeline.clear_cache()


def test_worker_py_preloads_before_working_and_the_benchmark_readies_its_analyser_the_same_way():
    import ast
    import inspect

    import worker
    from benchmarks import nlp_throughput

    calls = [
        n.func.id
        for n in ast.walk(ast.parse(inspect.getsource(worker.main)))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    ]
    assert calls.index("preload") < calls.index("work_through_outages")
    assert "ready_for_jobs(an)" in inspect.getsource(nlp_throughput._serve)


def test_after_a_taxonomy_edit_a_worker_lets_the_old_analyser_go_and_freezes_the_new_one(app, monkeypatch):
    """Frozen objects are never collected: a worker (heap frozen at start) that rebuilds its analyser must
    unfreeze first, or every rebuild would keep the old pipeline; the new one is frozen as the first was."""
    import gc
    import weakref

    from nlp import Taxonomy, TopicSpec, ready_for_jobs

    with app.app_context():
        pipeline.clear_cache()
        try:
            old = pipeline.get_analyzer()
            ready_for_jobs(old)  # as preload_analyzer at the worker's start
            gone = weakref.ref(old)
            del old
            edited = Taxonomy([TopicSpec("quokka", "Quokka mode", phrases=["quokka mode"])])
            monkeypatch.setattr(pipeline, "taxonomy_stamp", lambda: (1, "edited"))
            monkeypatch.setattr(pipeline, "current_taxonomy", lambda: edited)

            new = pipeline.get_analyzer()

            assert gone() is None, "the old analyser was collected"
            assert gc.get_freeze_count() > 0
            assert id(new.nlp) not in {id(o) for o in gc.get_objects()}, "the new one is frozen"
            assert new.analyze_one("quokka mode is slow").topic_ids == ["quokka"]
        finally:
            gc.unfreeze()
            pipeline.clear_cache()


def test_a_process_that_never_froze_its_heap_does_not_start_now(app, monkeypatch):
    import gc

    from nlp import Taxonomy, TopicSpec

    with app.app_context():
        pipeline.clear_cache()
        frozen_before = gc.get_freeze_count()
        try:
            pipeline.get_analyzer()
            edited = Taxonomy([TopicSpec("quokka", "Quokka mode", phrases=["quokka mode"])])
            monkeypatch.setattr(pipeline, "taxonomy_stamp", lambda: (1, "edited"))
            monkeypatch.setattr(pipeline, "current_taxonomy", lambda: edited)
            pipeline.get_analyzer()
            assert gc.get_freeze_count() == frozen_before == 0
        finally:
            pipeline.clear_cache()
