"""Suggest new topics: cluster the keyphrases of comments that no topic matched."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz

from nlp.lemmatize import match_key
from nlp.taxonomy import Taxonomy
from nlp.types import TextAnalysis, TopicSuggestion

FUZZY_JOIN = 88  # rapidfuzz ratio above which two cluster labels are merged ("dashbord" ~ "dashboard")


def _head(phrase: str) -> str:
    """Cluster key: the match key of the phrase's last word (its head in English noun phrases)."""
    return match_key(phrase.rsplit(" ", 1)[-1])


def suggest_topics(
    texts_or_analyses: Iterable[str | TextAnalysis],
    taxonomy: Taxonomy | None = None,
    min_count: int = 3,
    *,
    analyzer=None,
    max_suggestions: int = 20,
    max_examples: int = 3,
) -> list[TopicSuggestion]:
    """Cluster keyphrases of untagged English comments (by head lemma, then fuzzy label similarity).

    Pass texts (analysed here with ``analyzer`` or a new ``Analyzer(taxonomy)``) or existing analyses.
    A suggestion counts distinct comments, so one long rant cannot make a topic on its own.
    """
    items = list(texts_or_analyses)
    analyses = _analyses(items, taxonomy, analyzer)
    clusters: dict[str, dict] = {}
    for a in analyses:
        if a.mentions or a.language != "en":
            continue
        seen: set[str] = set()
        for phrase in a.keyphrases:
            head = _head(phrase)
            if len(head) < 3 or head in seen:
                continue
            seen.add(head)
            c = clusters.setdefault(head, {"phrases": Counter(), "texts": []})
            c["phrases"][phrase] += 1
            c["texts"].append(a.text)
    merged = _merge_fuzzy(clusters)
    out = [
        TopicSuggestion(
            label=_label(c["phrases"]),
            phrases=[p for p, _ in c["phrases"].most_common(10)],
            count=len(dict.fromkeys(c["texts"])),
            examples=list(dict.fromkeys(c["texts"]))[:max_examples],
        )
        for c in merged
    ]
    out = [s for s in out if s.count >= min_count]
    out.sort(key=lambda s: (-s.count, s.label))
    return out[:max_suggestions]


def _label(phrases: Counter) -> str:
    """The most frequent phrase; on ties the one made of known English words ("calendar", not "calender")."""
    from nlp.lexicon import known_english_words

    known = known_english_words()

    def spelled(p: str) -> float:
        words = [w for w in p.split() if len(w) >= 5]
        return sum(w in known for w in words) / len(words) if words else 1.0

    return max(phrases, key=lambda p: (phrases[p], spelled(p), -len(p)))


def _analyses(items: Sequence[str | TextAnalysis], taxonomy: Taxonomy | None, analyzer) -> list[TextAnalysis]:
    texts = [x for x in items if isinstance(x, str)]
    done = [x for x in items if isinstance(x, TextAnalysis)]
    if texts:
        if analyzer is None:
            from nlp.analyzer import Analyzer

            analyzer = Analyzer(taxonomy=taxonomy)
        done += analyzer.analyze(texts)
    return done


def _merge_fuzzy(clusters: dict[str, dict]) -> list[dict]:
    """Merge clusters whose heads are near-identical spellings (typos, British/US variants)."""
    order = sorted(clusters, key=lambda h: -len(clusters[h]["texts"]))
    parent: dict[str, str] = {}
    kept: list[str] = []
    for h in order:
        target = next((k for k in kept if len(h) >= 5 and fuzz.ratio(h, k) >= FUZZY_JOIN), None)
        if target is None:
            kept.append(h)
            parent[h] = h
        else:
            parent[h] = target
    merged: dict[str, dict] = defaultdict(lambda: {"phrases": Counter(), "texts": []})
    for h, c in clusters.items():
        m = merged[parent[h]]
        m["phrases"].update(c["phrases"])
        m["texts"].extend(c["texts"])
    return list(merged.values())
