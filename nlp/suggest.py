"""Suggest new topics: cluster the noun phrases of comments that no topic matched.

A suggestion must read as a topic a person would create. Candidates are the analyser's keyphrases, kept
only when they look like noun phrases: no stop words, an adverb or a verb form ("handled") never heads
one, person names never take part, and the corpus itself must show the phrase used as a noun (preceded by
a determiner, possessive or preposition — "the export", "our kanban board", "with invoices" — in a fair
share of the comments; "top notch", "back and forth" and "that's rare" never are). Phrases are clustered
by their match keys (inflections and typos joined); a cluster needs ``min_count`` distinct comments from
``min_groups`` distinct groups (accounts), so one customer's rant never makes a topic on its own. It is
named by its most frequent phrase, the most specific on ties.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz
from spacy.lang.en.stop_words import STOP_WORDS

from nlp.lemmatize import match_key
from nlp.taxonomy import Taxonomy
from nlp.types import TextAnalysis, TopicSuggestion

FUZZY_JOIN = 88  # rapidfuzz ratio joining two phrase keys ("calender view" ~ "calendar view")
NOUN_EVIDENCE = 0.25  # share of a cluster's comments that must use it as a noun


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


NOUN_MARKERS = _words(
    "the a an our my your their his her its this that these those some any no every each another "
    "of for with in on about from by without into via per during after before than"
)
ADVERBS = _words(
    "forth back again away ahead anyway anymore instead later often soon together rather quite almost "
    "enough ever never yet else otherwise meanwhile perhaps indeed along around aside overall sometimes "
    "already always still even just also too very pretty somewhat maybe thus hence therefore"
)
WORD_RE = re.compile(r"[A-Za-zÀ-ÿ][\w'’-]*")
SENTENCE_END = frozenset(".!?")


@dataclass(frozen=True, slots=True)
class ClusterSuggestion(TopicSuggestion):
    """A suggestion with how many distinct groups (accounts) its comments come from."""

    groups: int = 0


@dataclass
class _Cluster:
    phrases: Counter
    items: set[int]


@cache
def _vocabulary() -> frozenset[str]:
    """Lower-case English words (pyspellchecker's frequency list): tells "handled" is "handle" + ed."""
    import gzip
    import json
    from importlib import resources

    raw = resources.files("spellchecker.resources").joinpath("en.json.gz").read_bytes()
    return frozenset(json.loads(gzip.decompress(raw)))


def _verb_form(word: str) -> bool:
    """A past tense or participle of a known verb ("handled", "fixed"), which never heads a topic."""
    if len(word) < 5 or not word.endswith("ed"):
        return False
    vocab = _vocabulary()
    return word[:-2] in vocab or word[:-1] in vocab or (word[-3] == word[-4] and word[:-3] in vocab)


def proper_nouns(texts: Iterable[str]) -> set[str]:
    """Words written capitalised inside sentences and never in lower case: names of people (or brands)."""
    inside: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        for m in WORD_RE.finditer(text):
            word = m.group(0)
            before = text[: m.start()].rstrip()
            if word.islower():
                lower.add(word)
            elif word[0].isupper() and word[1:].islower() and before and before[-1] not in SENTENCE_END:
                inside.add(word.lower())
    return inside - lower


def usable_phrase(phrase: str, names: set[str]) -> bool:
    """Whether a keyphrase may name a topic: no stop words or names; an adverb or verb form never heads it."""
    words = phrase.lower().split()
    if not words or any(w in STOP_WORDS or w in names or not w[0].isalpha() for w in words):
        return False
    head = words[-1]
    if len(head) < 3 or head in ADVERBS or (head.endswith("ly") and len(head) > 4) or _verb_form(head):
        return False
    return not (len(words) == 1 and head in _GENERIC)


_GENERIC = frozenset(
    ["product", "app", "tool", "software", "platform", "company", "team", "service", "system"]
)


def _with_parts(phrase: str) -> list[str]:
    """A phrase and its runs of two or more words ("quokka garden grow" also counts for "quokka garden")."""
    words = phrase.split()
    n = len(words)
    return [
        " ".join(words[a:b]) for size in range(n, 1, -1) for a in range(n - size + 1) if (b := a + size)
    ] or [phrase]


def _keys(phrase: str) -> str:
    return " ".join(match_key(w) for w in phrase.lower().split())


def noun_use(phrase: str, text: str) -> bool:
    """Whether the text uses the phrase after a determiner, possessive or preposition (two words back)."""
    keys = _keys(phrase).split()
    tokens = [t.lower() for t in WORD_RE.findall(text)]
    token_keys = [match_key(t) for t in tokens]
    n = len(keys)
    for i in range(len(tokens) - n + 1):
        if token_keys[i : i + n] == keys and any(t in NOUN_MARKERS for t in tokens[max(0, i - 2) : i]):
            return True
    return False


def suggest_topics(
    texts_or_analyses: Iterable[str | TextAnalysis],
    taxonomy: Taxonomy | None = None,
    min_count: int = 3,
    *,
    analyzer=None,
    max_suggestions: int = 20,
    max_examples: int = 3,
    groups: Sequence[Hashable] | None = None,
    min_groups: int = 1,
    names: Iterable[str] = (),
) -> list[ClusterSuggestion]:
    """Clusters of noun phrases of untagged English comments, each a candidate topic (see module doc).

    Pass texts (analysed here with ``analyzer`` or a new ``Analyzer(taxonomy)``) or existing analyses;
    ``groups`` gives each item's group (an account), ``names`` words that must never appear (people).
    """
    analyses = _analyses(list(texts_or_analyses), taxonomy, analyzer)
    group_of = list(groups) if groups is not None else list(range(len(analyses)))
    clusters = _clusters(analyses, {n.lower() for n in names if n})
    out = []
    for c in _drop_covered(_merge_fuzzy(clusters)):
        label = _label(c.phrases)
        texts = {i: analyses[i].text for i in sorted(c.items)}
        used = [i for i, text in texts.items() if noun_use(label, text)]
        n_groups = len({group_of[i] for i in c.items})
        if len(texts) < min_count or n_groups < min_groups or len(used) < NOUN_EVIDENCE * len(texts):
            continue
        out.append(
            ClusterSuggestion(
                label=label,
                phrases=[p for p, _ in c.phrases.most_common(10)],
                count=len(dict.fromkeys(texts.values())),
                examples=_examples(texts, used, group_of, max_examples),
                groups=n_groups,
            )
        )
    out.sort(key=lambda s: (-s.count, -s.groups, s.label))
    return out[:max_suggestions]


def _clusters(analyses: list[TextAnalysis], names: set[str]) -> dict[str, _Cluster]:
    """Usable phrases (and their runs of words) of the untagged English comments, by match key."""
    untagged = [i for i, a in enumerate(analyses) if not a.mentions and a.language == "en"]
    banned = names | proper_nouns(analyses[i].text for i in untagged)
    clusters: dict[str, _Cluster] = {}
    for i in untagged:
        for phrase in dict.fromkeys(p for k in analyses[i].keyphrases for p in _with_parts(k)):
            if usable_phrase(phrase, banned):
                c = clusters.setdefault(_keys(phrase), _Cluster(Counter(), set()))
                c.phrases[phrase] += 1
                c.items.add(i)
    return clusters


def _examples(texts: dict[int, str], used: list[int], group_of: list, limit: int) -> list[str]:
    """Representative comments: those using the phrase as a noun first, shortest first, one per group."""
    order = sorted(texts, key=lambda i: (i not in used, len(texts[i])))
    out, seen = [], set()
    for i in order:
        if group_of[i] not in seen and texts[i] not in out:
            seen.add(group_of[i])
            out.append(texts[i])
    return out[:limit]


def _drop_covered(clusters: list[_Cluster]) -> list[_Cluster]:
    """A one-word cluster mostly inside a longer phrase's ("board" in "kanban board") is that topic."""
    multi = [c for c in clusters if any(" " in p for p in c.phrases)]
    out = []
    for c in clusters:
        single = all(" " not in p for p in c.phrases)
        if single and any(len(c.items & m.items) >= 0.5 * len(c.items) for m in multi):
            continue
        out.append(c)
    return out


def _label(phrases: Counter) -> str:
    """The most frequent phrase; on ties the one made of known English words ("calendar", not "calender")."""
    from nlp.lexicon import known_english_words

    known = known_english_words()

    def spelled(p: str) -> float:
        words = [w for w in p.split() if len(w) >= 5]
        return sum(w in known for w in words) / len(words) if words else 1.0

    return max(phrases, key=lambda p: (phrases[p], spelled(p), len(p.split()), -len(p)))


def _analyses(items: Sequence[str | TextAnalysis], taxonomy: Taxonomy | None, analyzer) -> list[TextAnalysis]:
    texts = [x for x in items if isinstance(x, str)]
    if not texts:
        return [x for x in items if isinstance(x, TextAnalysis)]
    if analyzer is None:
        from nlp.analyzer import Analyzer

        analyzer = Analyzer(taxonomy=taxonomy)
    done = iter(analyzer.analyze(texts))
    return [x if isinstance(x, TextAnalysis) else next(done) for x in items]


def _merge_fuzzy(clusters: dict[str, _Cluster]) -> list[_Cluster]:
    """Merge clusters whose keys are near-identical spellings (typos, British/US variants)."""
    order = sorted(clusters, key=lambda k: -len(clusters[k].items))
    parent: dict[str, str] = {}
    kept: list[str] = []
    for key in order:
        target = next(
            (
                k
                for k in kept
                if len(key) >= 5 and key.count(" ") == k.count(" ") and fuzz.ratio(key, k) >= FUZZY_JOIN
            ),
            None,
        )
        parent[key] = key if target is None else target
        if target is None:
            kept.append(key)
    merged: dict[str, _Cluster] = defaultdict(lambda: _Cluster(Counter(), set()))
    for key, c in clusters.items():
        m = merged[parent[key]]
        m.phrases.update(c.phrases)
        m.items |= c.items
    return list(merged.values())
