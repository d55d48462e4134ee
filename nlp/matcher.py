"""Topic matching: taxonomy phrases and patterns compiled to match-key sequences.

Every phrase is tokenized with the pipeline's own tokenizer and reduced with
:func:`nlp.lemmatize.match_key`, so "Invoices", "INVOICING" and "invoiced" all match the phrase
"invoice". Two-word phrases also match their hyphenated and closed forms ("log in", "log-in", "login").
Tokens that are not English words and not phrase words are corrected to a phrase word at edit distance 1
(words of 5+ letters, same first letter): "invoce" -> invoice, but "willing" never becomes "billing" and
"from" never becomes "form". Pattern syntax: see :mod:`nlp.patterns`.

Speed: what a token type can do (start a phrase in the trie, anchor a pattern, start a pattern) is
computed once per type (:meth:`TopicMatcher.hooks`, cached by nlp.tokens); a doc only visits its hooked
tokens, and a pattern is only tried at tokens that can start it, in docs that contain its anchor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import pairwise
from operator import itemgetter
from typing import NamedTuple

from rapidfuzz.distance import OSA

from nlp.lemmatize import match_key
from nlp.patterns import (
    PREFIX_MARK,
    Element,
    anchor,
    compile_pattern,
    first_tokens,
    match_at,
    requirements,
    words_of,
)
from nlp.taxonomy import Taxonomy

FUZZY_MIN_LEN = 5
CONF_EXACT, CONF_PATTERN, CONF_FUZZY = 1.0, 0.9, 0.75

KEY, FUZZY, HOOKS, STARTS, REQS = 5, 6, 9, 12, 13  # positions in nlp.tokens info tuples
_BY_SPAN = itemgetter(1, 2)

__all__ = ["Match", "TopicMatcher", "compile_pattern"]


class Match(NamedTuple):
    """A raw match: topic index, token span [start, end) and confidence."""

    topic: int
    start: int
    end: int
    confidence: float


def _variants(phrase: str) -> list[str]:
    words = phrase.split()
    if len(words) == 2 and all(w.isalpha() for w in words):
        return [phrase, "-".join(words), "".join(words)]
    return [phrase]


class TopicMatcher:
    """Finds taxonomy topics in token-key sequences (see the module docstring)."""

    def __init__(self, taxonomy: Taxonomy, tokenize: Callable[[str], list[str]], known_words: frozenset[str]):
        self.taxonomy = taxonomy
        self._tokenize = tokenize
        self.known_words = known_words
        self.depth = [len(taxonomy.ancestors(t.id)) for t in taxonomy.topics]
        self.trie: dict[str, list] = {}  # key -> [topic indices ending here, child trie]
        self.patterns: list[tuple[list[Element], int]] = []  # (elements, topic index)
        self.requires: list[list] = []  # per pattern: nlp.patterns.requirements
        self.anchors: dict[str, list[int]] = {}  # anchor key (or PREFIX_MARK + prefix) -> pattern ids
        self.vocab: set[str] = set()
        for idx, topic in enumerate(taxonomy.topics):
            self._add_topic(idx, topic.phrases, topic.patterns)
        self.trie = _frozen(self.trie)
        self.prefixes = {k[1:] for k in self.anchors if k.startswith(PREFIX_MARK)}
        self.unanchored = frozenset(self.anchors.get("", ()))
        self._groups = [g for req in self.requires for g in req]  # bit k: the k-th group overall
        self.need: list[int] = []  # per pattern: the bits of its groups
        bit = 0
        for req in self.requires:
            self.need.append(sum(1 << (bit + k) for k in range(len(req))))
            bit += len(req)
        # pattern starts indexed by key and by prefix (starts() runs once per new token type)
        self._start_words: dict[str, list[int]] = {}
        start_prefixes: dict[str, list[int]] = {}
        for pid, (elems, _) in enumerate(self.patterns):
            words, prefixes = first_tokens(elems)
            for w in words:
                self._start_words.setdefault(w, []).append(pid)
            for pre in prefixes:
                start_prefixes.setdefault(pre, []).append(pid)
        self._start_prefixes = tuple((pre, tuple(pids)) for pre, pids in start_prefixes.items())
        # requirement groups indexed by word and by prefix (reqs() runs once per new token type)
        self._word_bits: dict[str, int] = {}
        prefix_bits: dict[str, int] = {}
        for bit, (words, prefixes) in enumerate(self._groups):
            for w in words:
                self._word_bits[w] = self._word_bits.get(w, 0) | (1 << bit)
            for pre in prefixes:
                prefix_bits[pre] = prefix_bits.get(pre, 0) | (1 << bit)
        self._prefix_bits = tuple(prefix_bits.items())
        deletes: dict[str, list[str]] = {}
        for key in self.vocab:
            if len(key) >= FUZZY_MIN_LEN - 1 and key.isalpha():
                for d in _deletions(key):
                    deletes.setdefault(d, []).append(key)
        # tuples: untracked by the cyclic GC (see _frozen)
        self._deletes: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in deletes.items()}

    def __getstate__(self) -> dict:
        """Pickled without the tokenizer function (the NLP cache stores the tables; whoever loads them
        hands the tokenizer back with :meth:`attach_tokenizer`)."""
        state = self.__dict__.copy()
        state["_tokenize"] = None
        return state

    def attach_tokenizer(self, tokenize: Callable[[str], list[str]]) -> None:
        """Set the tokenizer used for phrases compiled after construction (as given to ``__init__``)."""
        self._tokenize = tokenize

    def keys_of(self, text: str) -> list[str]:
        """Match keys of the tokens of ``text`` (punctuation other than hyphens/apostrophes kept)."""
        return [match_key(t) for t in self._tokenize(text) if t.strip()]

    def _add_topic(self, idx: int, phrases: Iterable[str], patterns: Iterable[str]) -> None:
        for phrase in phrases:
            for variant in _variants(phrase.strip()):
                keys = self.keys_of(variant)
                if keys:
                    self._insert(keys, idx)
                    self.vocab.update(keys)
        for pattern in patterns:
            elems = compile_pattern(pattern, self.keys_of)
            self.vocab.update(words_of(elems))
            pid = len(self.patterns)
            self.patterns.append((elems, idx))
            self.requires.append(requirements(elems))
            for key in anchor(elems) or {""}:
                self.anchors.setdefault(key, []).append(pid)

    def _insert(self, keys: list[str], idx: int) -> None:
        node = self.trie
        for j, key in enumerate(keys):
            entry = node.setdefault(key, [[], {}])
            if j == len(keys) - 1 and idx not in entry[0]:
                entry[0].append(idx)
            node = entry[1]

    def correct(self, lower: str, key: str) -> tuple[str, bool]:
        """Return (key, corrected?): an unknown word is mapped to a phrase word at edit distance 1."""
        if (
            key in self.vocab
            or len(lower) < FUZZY_MIN_LEN
            or not lower.isalpha()
            or lower in self.known_words
            or not self._deletes
        ):
            return key, False
        dels = _deletions(key)
        # phrase words one deletion from the key, or whose deletions meet the key's (one map over the keys)
        found = [c for c in map(self._deletes.get, [key, *dels]) if c]
        shorter = [d for d in dels if d in self.vocab]
        if not found and not shorter:
            return key, False
        cands = set(shorter).union(*found)
        best = [c for c in cands if c[0] == key[0] and OSA.distance(c, key) <= 1]
        if len(best) == 1:
            return best[0], True
        return key, False

    def hooks(self, lower: str, key: str) -> tuple | None:
        """What a token type triggers: (trie entry or None, patterns it anchors), or None."""
        entry = self.trie.get(key)
        anchored = list(self.anchors.get(key, ()))
        for p in self.prefixes:
            if lower.startswith(p):
                anchored.extend(self.anchors[PREFIX_MARK + p])
        if entry is None and not anchored:
            return None
        return entry, tuple(sorted(set(anchored)))

    def starts(self, lower: str, key: str) -> tuple[int, ...]:
        """Ids of the patterns a token type can be the first token of (cached per type by nlp.tokens)."""
        pids = set(self._start_words.get(key, ()))
        for pre, ps in self._start_prefixes:
            if lower.startswith(pre):
                pids.update(ps)
        return tuple(sorted(pids))

    def match(self, infos: list[tuple], hooked: list[int], fuzzy_doc: bool = True) -> list[Match]:
        """Non-overlapping matches (longest first, then most specific) given the hooked token indices;
        ``fuzzy_doc`` False says no token of the doc was typo-corrected (skips a per-match check)."""
        found: list[Match] = []
        n = len(infos)
        anchored: set[int] = set(self.unanchored)
        for i in hooked:
            entry, anchors = infos[i][HOOKS]
            if anchors:
                anchored.update(anchors)
            j = i
            best, best_j = (), i
            while entry is not None:  # only the longest phrase from a start: shorter ones overlap it
                j += 1
                if entry[0]:
                    best, best_j = entry[0], j
                entry = entry[1].get(infos[j][KEY]) if j < n and entry[1] else None
            for idx in best:
                fuzzy = fuzzy_doc and any(infos[t][FUZZY] for t in range(i, best_j))
                found.append(Match(idx, i, best_j, CONF_FUZZY if fuzzy else CONF_EXACT))
        if anchored:
            live = self._live(infos, anchored)
            if live:
                self._match_patterns(infos, live, found)
        return self._resolve(found) if len(found) > 1 else found

    def _live(self, infos: list[tuple], anchored: set[int]) -> set[int]:
        """The anchored patterns whose every required group has a token in the doc (per-type bit masks:
        bit k of a word's mask says it satisfies requirement group k of some pattern)."""
        have = 0
        for x in infos:
            have |= x[REQS]
        need = self.need
        return {pid for pid in anchored if have & need[pid] == need[pid]}

    def reqs(self, lower: str, key: str) -> int:
        """Bit mask of the pattern requirement groups a token type satisfies (cached per type)."""
        mask = self._word_bits.get(key, 0)
        for pre, bits in self._prefix_bits:
            if lower.startswith(pre):
                mask |= bits
        return mask

    def _match_patterns(self, infos: list[tuple], live: set[int], found: list) -> None:
        patterns = self.patterns
        for i, x in enumerate(infos):
            for pid in x[STARTS]:
                if pid in live:
                    elems, idx = patterns[pid]
                    end = match_at(elems, i, infos)
                    if end > i:
                        found.append(Match(idx, i, end, CONF_PATTERN))

    def _resolve(self, found: list[Match]) -> list[Match]:
        found.sort(key=_BY_SPAN)  # by start: the usual case, no overlap, is then one linear check
        if all(a.end <= b.start for a, b in pairwise(found)):
            return found
        depth = self.depth
        found.sort(key=lambda m: (m.start - m.end, -depth[m.topic], m.start))
        taken: list[Match] = []
        used: set[int] = set()
        for m in found:
            span = range(m.start, m.end)
            if any(j in used for j in span):
                continue
            used.update(span)
            taken.append(m)
        taken.sort(key=lambda m: m.start)
        return taken


def _frozen(trie: dict) -> dict:
    """The trie with (topics tuple, children) entries: tuples and dicts of them are untracked by the
    cyclic GC once it has seen them, so the per-token-type cache that points into it stays invisible
    to full collections (which otherwise walk it every few thousand comments)."""
    return {k: (tuple(topics), _frozen(children)) for k, (topics, children) in trie.items()}


def _deletions(word: str) -> list[str]:
    return [word[:i] + word[i + 1 :] for i in range(len(word))]
