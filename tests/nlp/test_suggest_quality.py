"""Suggested topics are usable: clusters of noun phrases from enough comments and accounts, never the junk
the first version produced ("rare", "forth", "notch", "lena handled")."""

from __future__ import annotations

from nlp import suggest_topics
from nlp.suggest import noun_use, proper_nouns, usable_phrase

JUNK = [
    "Resolved on the first reply. That's rare.",
    "Simple process, no back and forth.",
    "Top notch.",
    "Painless. Lena handled everything.",
    "Big thanks to Lena for the quick reply.",
    "Honestly, we rarely think about it.",
]
KANBAN = [
    "The kanban board is missing swimlanes",
    "Our kanban board needs colours",
    "We want a kanban board for sprints",
    "kanban board please",
    "Please give us a kanban board view",
    "The kanban boards are what we miss most",
]


def _corpus():
    texts, groups = [], []
    for account in range(6):  # every junk sentence from six accounts, so counts alone would let it through
        for text in JUNK:
            texts.append(text)
            groups.append(f"acct-{account}")
    for i, text in enumerate(KANBAN):
        texts.append(text)
        groups.append(f"acct-{i % 3}")
    for i in range(6):  # a cluster that is one account's rant
        texts.append(f"The gantt chart export fails again, attempt {i}")
        groups.append("acct-rant")
    for text in ("Need a roadmap view", "A roadmap view would help", "the roadmap view", "our roadmap view"):
        texts.append(text)  # four comments: one short of a suggestion
        groups.append(text)
    return texts, groups


def test_suggestions_are_noun_phrase_clusters_from_enough_comments_and_accounts(analyzer):
    texts, groups = _corpus()
    out = suggest_topics(texts, analyzer=analyzer, min_count=5, groups=groups, min_groups=3)
    labels = [s.label for s in out]
    assert labels == ["kanban board"], labels
    kanban = out[0]
    assert kanban.count >= 5 and kanban.groups == 3 and 1 <= len(kanban.examples) <= 3
    assert len(set(kanban.examples)) == len(kanban.examples)
    for junk in ("rare", "forth", "notch", "lena", "lena handled", "reply", "gantt chart", "roadmap view"):
        assert not any(junk == s.label or junk in s.phrases for s in out), junk


def test_the_junk_is_refused_for_its_own_reason():
    names = proper_nouns(JUNK)
    assert "lena" in names and "painless" not in names  # capitalised inside a sentence, never lower case
    assert not usable_phrase("lena handled", names)  # a name, and a verb form as head
    assert not usable_phrase("handled", set()) and not usable_phrase("forth", set())
    assert not usable_phrase("rarely", set()) and not usable_phrase("the board", set())
    assert usable_phrase("kanban board", set()) and usable_phrase("billing", set())
    assert not noun_use("rare", "That's rare.") and not noun_use("notch", "Top notch.")
    assert not noun_use("forth", "no back and forth") and noun_use("kanban board", "Our kanban boards")


def test_known_names_from_the_app_are_never_suggested(analyzer):
    texts = [f"Our maya swimlane needs colours {i}" for i in range(6)]
    assert suggest_topics(texts, analyzer=analyzer, min_count=5)[0].label == "maya swimlane"
    assert suggest_topics(texts, analyzer=analyzer, min_count=5, names=["Maya"]) == []
