"""``Analyzer.pipe`` drops a batch's docs before the cyclic GC runs again (the first collection after a
batch then walks only its results, not every doc and its per-token lists)."""

from __future__ import annotations

import gc
import weakref
from contextlib import contextmanager

import nlp.analyzer as analyzer_mod
from nlp import Analyzer


def test_no_doc_of_the_batch_is_alive_when_the_collector_resumes(analyzer, monkeypatch):
    refs: list[weakref.ref] = []
    alive_at_resume: list[int] = []
    original = Analyzer._docs

    def docs(self, texts, languages=None):
        for doc in original(self, texts, languages):
            refs.append(weakref.ref(doc))
            yield doc

    @contextmanager
    def paused():
        was = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            alive_at_resume.append(sum(r() is not None for r in refs))
            if was:
                gc.enable()

    monkeypatch.setattr(Analyzer, "_docs", docs)
    monkeypatch.setattr(analyzer_mod, "_gc_paused", paused)
    texts = ["The dashboard is great.", "Die App stürzt ständig ab.", "", "Billing is wrong!!"] * 20
    results = analyzer.analyze(texts)
    assert len(refs) == len(texts) and alive_at_resume == [0]
    monkeypatch.undo()
    assert [r.to_dict() for r in results] == [r.to_dict() for r in analyzer.analyze(texts)]
