"""``nlp.ready_for_jobs``: what a worker does with its analyser before the first job (and what
benchmarks/nlp_throughput.py does, so that its figures are a worker's): warm it, then freeze the heap."""

from __future__ import annotations

import gc

import pytest

from nlp import WARM_UP_TEXTS, Analyzer, Taxonomy, TopicSpec, ready_for_jobs


@pytest.fixture
def fresh() -> Analyzer:
    """A new analyser with a one-topic taxonomy: it has seen no text yet."""
    return Analyzer(taxonomy=Taxonomy([TopicSpec("billing", "Billing", phrases=["invoice"])]))


@pytest.fixture
def unfreezes():
    """Whatever a test freezes goes back to the collector's generations afterwards (the test process
    must not keep this session's garbage frozen)."""
    before = gc.get_freeze_count()
    yield before
    gc.unfreeze()


def test_it_warms_the_analyser_then_freezes_the_heap_with_it(fresh, unfreezes):
    strings = fresh.nlp.vocab.strings
    assert "audits" not in strings  # a word only the warm-up texts have
    assert "audits" in WARM_UP_TEXTS[7]

    ready_for_jobs(fresh)

    assert "audits" in strings
    assert gc.get_freeze_count() > unfreezes
    # the pipeline's objects are out of the collector's generations: full collections skip them
    tracked = {id(o) for o in gc.get_objects()}
    assert id(fresh.nlp) not in tracked and id(fresh.taxonomy.topics) not in tracked
    # and it still analyses, the same as before
    assert fresh.analyze_one("The invoice is wrong.").topic_ids == ["billing"]


def test_a_failing_warm_up_still_freezes_and_leaves_a_usable_analyser(fresh, unfreezes, monkeypatch):
    original = Analyzer.analyze

    def broken(self, texts, languages=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(Analyzer, "analyze", broken)
    ready_for_jobs(fresh)  # logs, never raises
    monkeypatch.setattr(Analyzer, "analyze", original)

    assert gc.get_freeze_count() > unfreezes
    assert fresh.analyze_one("The invoice is wrong.").topic_ids == ["billing"]
