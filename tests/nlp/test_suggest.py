from __future__ import annotations

from nlp import Taxonomy, suggest_topics


def test_untagged_keyphrases_cluster_into_suggestions(analyzer):
    texts = [
        "Our kanban board is gone",
        "The kanban boards need swimlanes",
        "kanban board please",
        "calendar view for deadlines",
        "calender view for the team",
        "a calendar view please",
        "The invoices are wrong",
        "invoices again",
        "invoices invoices",
        "hello there",
    ]
    out = suggest_topics(texts, Taxonomy.default(), min_count=2, analyzer=analyzer)
    labels = {s.label: s for s in out}
    assert "kanban board" in labels and labels["kanban board"].count == 3
    cal = labels["calendar view"]  # the correctly spelled variant names the cluster
    assert cal.count == 3 and {"calendar view", "calender view"} <= set(cal.phrases)  # typo merged
    assert not any("invoice" in s.label for s in out)  # tagged comments are not suggestions
    assert all(len(s.examples) <= 3 for s in out)


def test_accepts_analyses_and_respects_min_count(analyzer):
    analyses = analyzer.analyze(["the kanban board", "a kanban board"])
    assert suggest_topics(analyses, min_count=3) == []
    assert suggest_topics(analyses, min_count=2)[0].count == 2
