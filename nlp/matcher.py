"""Topic matching: taxonomy phrases and patterns compiled to match-key sequences.

Every phrase is tokenized with the pipeline's own tokenizer and reduced with
:func:`nlp.lemmatize.match_key`, so "Invoices", "INVOICING" and "invoiced" all match the phrase
"invoice". Two-word phrases also match their hyphenated and closed forms ("log in", "log-in", "login").
Tokens that are not English words and not phrase words are corrected to a phrase word at edit distance 1
(words of 5+ letters, same first letter): "invoce" -> invoice, but "willing" never becomes "billing" and
"from" never becomes "form".

Pattern syntax (whitespace separated elements):
``word`` matches like a phrase word · ``pre*`` any token starting with ``pre`` ·
``(a|b c|d)`` one of the alternatives (each may be several words), ``(...)?`` optional ·
``...`` up to three other tokens (not across a sentence end).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

from rapidfuzz.distance import OSA
from spacy.lang.en.stop_words import STOP_WORDS

from nlp.lemmatize import match_key
from nlp.sentiment import F_END, FLAGS
from nlp.taxonomy import Taxonomy, TaxonomyError

MAX_GAP = 3
FUZZY_MIN_LEN = 5
CONF_EXACT, CONF_PATTERN, CONF_FUZZY = 1.0, 0.9, 0.75

KEY, FUZZY, HOOKS = 5, 6, 9  # positions in nlp.tokens info tuples
Element = tuple  # ("w", key) | ("ws", keys) | ("p", prefix) | ("alt", [(Element, ...)], optional) | ("gap",)


class Match(NamedTuple):
    """A raw match: topic index, token span [start, end) and confidence."""

    topic: int
    start: int
    end: int
    confidence: float


def _split_alternatives(body: str) -> list[str]:
    return [a.strip() for a in body.split("|")]


_TOKEN_RE = re.compile(r"\([^()]*\)\??|\S+")


def compile_pattern(pattern: str, keys_of: Callable[[str], list[str]]) -> list[Element]:
    """Compile one pattern string into elements (raises TaxonomyError if malformed)."""
    elements: list[Element] = []
    for part in _TOKEN_RE.findall(pattern):
        if part == "...":
            elements.append(("gap",))
        elif part.startswith("(") and part.endswith((")", ")?")):
            optional = part.endswith("?")
            body = part[1:-2] if optional else part[1:-1]
            alts = [tuple(_compile_words(a, keys_of)) for a in _split_alternatives(body)]
            if not alts or not all(alts):
                raise TaxonomyError(f"empty group in pattern {pattern!r}")
            if all(len(a) == 1 and a[0][0] == "w" for a in alts) and not optional:
                elements.append(("ws", frozenset(a[0][1] for a in alts)))  # one word of a set: a set lookup
            else:
                elements.append(("alt", alts, optional))
        elif "(" in part or ")" in part:
            raise TaxonomyError(f"unbalanced parenthesis in pattern {pattern!r}")
        else:
            elements.extend(_compile_words(part, keys_of))
    if not elements or elements[0][0] == "gap" or elements[-1][0] == "gap":
        raise TaxonomyError(f"pattern {pattern!r} must start and end with a word")
    return elements


def _compile_words(text: str, keys_of: Callable[[str], list[str]]) -> list[Element]:
    out: list[Element] = []
    for word in text.split():
        if word.endswith("*") and len(word) > 1:
            out.append(("p", word[:-1].lower()))
        else:
            out.extend(("w", k) for k in keys_of(word))
    return out


def _match_seq(seq: tuple, i: int, infos: list[tuple]) -> int:
    """Match a fixed run of word/prefix elements at token ``i``; return its end or -1."""
    n = len(infos)
    for kind, arg in seq:
        if i >= n:
            return -1
        info = infos[i]
        if (kind == "w" and info[KEY] != arg) or (kind == "p" and not info[0].startswith(arg)):
            return -1
        i += 1
    return i


def _match_at(elems: list[Element], i: int, infos: list[tuple], k: int = 0) -> int:
    """Return the end token index of the first way ``elems[k:]`` match from token ``i``, or -1."""
    n = len(infos)
    while k < len(elems):
        head = elems[k]
        kind = head[0]
        if kind == "ws":
            if i >= n or infos[i][KEY] not in head[1]:
                return -1
            i += 1
            k += 1
            continue
        if kind == "w" or kind == "p":
            if i >= n or (infos[i][KEY] != head[1] if kind == "w" else not infos[i][0].startswith(head[1])):
                return -1
            i += 1
            k += 1
            continue
        if kind == "alt":
            for alt in head[1]:
                j = _match_seq(alt, i, infos)
                if j >= 0:
                    end = _match_at(elems, j, infos, k + 1)
                    if end >= 0:
                        return end
            return _match_at(elems, i, infos, k + 1) if head[2] else -1
        for skip in range(MAX_GAP + 1):  # gap: shortest first, never across a sentence end
            if skip and (i + skip - 1 >= n or infos[i + skip - 1][FLAGS] & F_END):
                break
            end = _match_at(elems, i + skip, infos, k + 1)
            if end >= 0:
                return end
        return -1
    return i


def _first_keys(elems: list[Element]) -> set[str] | None:
    """Keys a match must start with, or None if it can start anywhere (prefix/optional first)."""
    head = elems[0]
    if head[0] == "w":
        return {head[1]}
    if head[0] == "ws":
        return set(head[1])
    if head[0] == "alt" and not head[2]:
        out: set[str] = set()
        for alt in head[1]:
            sub = _first_keys(alt) if alt else None
            if sub is None:
                return None
            out |= sub
        return out
    return None


def _anchor(elems: list[Element]) -> set[str] | None:
    """Keys of which at least one must occur in a doc for the pattern to match (the rarest required
    element), so a pattern starting with "is" or "they" is only tried on docs that contain its rare word."""
    best: set[str] | None = None
    for e in elems:
        if e[0] == "w":
            cand = {e[1]}
        elif e[0] == "p":
            cand = {PREFIX_MARK + e[1]}
        elif e[0] == "ws":
            cand = set(e[1])
        elif e[0] == "alt" and not e[2] and all(len(a) == 1 and a[0][0] == "w" for a in e[1]):
            cand = {a[0][1] for a in e[1]}
        else:
            continue
        if best is None or _commonness(cand) < _commonness(best):
            best = cand
    return best


def _commonness(keys: set[str]) -> tuple[int, int, int]:
    """Sort key: fewer stop words, fewer alternatives, longer words = rarer anchor."""
    return (sum(k in STOP_WORDS for k in keys), len(keys), -sum(len(k) for k in keys))


PREFIX_MARK = "\x00"  # anchors that are prefixes ("charg*") are stored as "\x00charg"


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
        self.patterns: dict[str, list[tuple[list[Element], int, set[str] | None]]] = {}
        self.vocab: set[str] = set()
        self.prefixes: set[str] = set()
        for idx, topic in enumerate(taxonomy.topics):
            self._add_topic(idx, topic.phrases, topic.patterns)
        self._deletes: dict[str, list[str]] = {}
        for key in self.vocab:
            if len(key) >= FUZZY_MIN_LEN - 1 and key.isalpha():
                for d in _deletions(key):
                    self._deletes.setdefault(d, []).append(key)

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
            for e in elems:
                if e[0] == "w":
                    self.vocab.add(e[1])
                elif e[0] == "ws":
                    self.vocab.update(e[1])
                elif e[0] == "alt":
                    self.vocab.update(x[1] for alt in e[1] for x in alt if x[0] == "w")
            anchor = _anchor(elems) or {""}
            self.prefixes.update(k[1:] for k in anchor if k.startswith(PREFIX_MARK))
            for key in anchor:
                self.patterns.setdefault(key, []).append((elems, idx, _first_keys(elems)))

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
        cands = set(self._deletes.get(key, ()))
        for d in _deletions(key):
            cands.update(self._deletes.get(d, ()))
            if d in self.vocab:
                cands.add(d)
        best = [c for c in cands if c[0] == key[0] and OSA.distance(c, key) <= 1]
        if len(best) == 1:
            return best[0], True
        return key, False

    def hooks(self, lower: str, key: str) -> tuple | None:
        """What a token type starts or anchors: (trie entry or None, candidate patterns); cached per type."""
        entry = self.trie.get(key)
        pats = list(self.patterns.get(key, ()))
        for p in self.prefixes:
            if lower.startswith(p):
                pats.extend(self.patterns[PREFIX_MARK + p])
        if entry is None and not pats:
            return None
        return entry, tuple(pats)

    def match(self, infos: list[tuple]) -> list[Match]:
        """Return non-overlapping matches in a doc's token infos (longest first, then most specific)."""
        hits = [i for i, x in enumerate(infos) if x[HOOKS] is not None]
        unanchored = self.patterns.get("")
        if not hits and not unanchored:
            return []
        keys = [x[KEY] for x in infos]
        found: list[Match] = []
        candidates: list = list(unanchored or ())
        n = len(keys)
        any_fuzzy = any(x[FUZZY] for x in infos)
        for i in hits:
            entry, pats = infos[i][HOOKS]
            j = i
            while entry is not None:
                j += 1
                for idx in entry[0]:
                    fuzzy = any_fuzzy and any(infos[t][FUZZY] for t in range(i, j))
                    found.append(Match(idx, i, j, CONF_FUZZY if fuzzy else CONF_EXACT))
                entry = entry[1].get(keys[j]) if j < n and entry[1] else None
            if pats:
                candidates.extend(pats)
        for elems, idx, first in {id(c): c for c in candidates}.values() if candidates else ():
            for i, key in enumerate(keys):
                if first is None or key in first:
                    end = _match_at(elems, i, infos)
                    if end > i:
                        found.append(Match(idx, i, end, CONF_PATTERN))
        return self._resolve(found) if len(found) > 1 else found

    def _resolve(self, found: list[Match]) -> list[Match]:
        found.sort(key=lambda m: (-(m.end - m.start), -self.depth[m.topic], m.start))
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


def _deletions(word: str) -> list[str]:
    return [word[:i] + word[i + 1 :] for i in range(len(word))]
