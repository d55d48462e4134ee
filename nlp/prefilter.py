"""Cheap necessary conditions for regular expressions: the literal words one of which every match contains.

Python's ``re`` tries every alternative of a pattern at every position, so a many-alternative rule costs
tens of microseconds on a sentence it does not match, and most sentences match none. For a compiled
pattern, :func:`needs` returns strings such that every match contains at least one of them (or ``None`` when
it cannot say: a branch without a literal, a case-insensitive pattern); :func:`may_match` then skips the
regex with a few ``str.__contains__`` calls. It is exact by construction (a literal run of a sequence is
matched verbatim; a branch needs one of its branches' literals); tests check it on every pattern it guards.
"""

from __future__ import annotations

import re
from functools import reduce
from itertools import pairwise
from operator import or_
from re import _constants as C
from re import _parser


def _seq(items) -> frozenset[str] | None:
    """Literals one of which a match of a sequence of parsed items contains: the best of the sets
    :func:`_seq_all` finds (the fewest, longest literals: fewer checks, rarer hits)."""
    options = _seq_all(items)
    if not options:
        return None
    return max(options, key=lambda s: (min(map(len, s)) >= 3, -len(s), min(map(len, s))))


def _item(op, av) -> frozenset[str] | None:
    if op is C.SUBPATTERN:
        return _seq(av[-1])
    if op is C.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            sub = _seq(branch)
            if not sub:
                return None
            out |= sub
        return frozenset(out)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
        return _seq(av[2])
    if op is C.ATOMIC_GROUP:
        return _seq(av)
    return None


def needs(pattern: re.Pattern) -> tuple[str, ...] | None:
    """Strings one of which every match of ``pattern`` contains, or None when unknown."""
    if pattern.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    found = _seq(_parser.parse(pattern.pattern, pattern.flags))
    return tuple(sorted(found)) if found else None


def may_match(words: tuple[str, ...] | None, text: str) -> bool:
    """False only when ``text`` contains none of ``words`` (so the pattern they came from cannot match)."""
    return words is None or any(map(text.__contains__, words))


def split_alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a regex source, each a regex of its own: ``a|b`` -> [a, b]; a pattern
    that is one group of alternatives behind a zero-width prefix, ``\\b(?:a|b)``, -> [\\ba, \\bb] (the same
    matches: at every position the alternatives are tried in the same order). Anything else: [pattern]."""
    parts = _top_level(pattern)
    if len(parts) > 1:
        return parts
    for prefix in ("", r"\b"):
        body = pattern[len(prefix) :]
        if pattern.startswith(prefix) and body.startswith("(?:") and _group_end(body, 0) == len(body) - 1:
            inner = _top_level(body[3:-1])
            if len(inner) > 1:
                return [prefix + p for p in inner]
    return [pattern]


def _scan(pattern: str):
    """(position, character, depth) of each character of a regex source outside escapes and classes."""
    depth = 0
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":  # a class: up to its unescaped closing bracket (a leading ] or ^] is literal)
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        yield i, c, depth
        i += 1


def _top_level(pattern: str) -> list[str]:
    cuts = [i for i, c, depth in _scan(pattern) if c == "|" and depth == 0]
    bounds = [-1, *cuts, len(pattern)]
    return [pattern[a + 1 : b] for a, b in pairwise(bounds)]


def _group_end(pattern: str, start: int) -> int:
    """Index of the parenthesis closing the group that opens at ``start``."""
    for i, c, depth in _scan(pattern):
        if i > start and c == ")" and depth == 0:
            return i
    return -1


def _seq_all(items) -> list[frozenset[str]]:
    """Every literal set a match of a sequence of parsed items must contain one of (all of them: a
    conjunction), each item's best set as :func:`_item` gives it and the literal runs between items."""
    out: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in [*items, (None, None)]:
        if op is C.LITERAL:
            run.append(chr(av))
            continue
        if run:
            out.append(frozenset(["".join(run)]))
            run = []
        if op is C.SUBPATTERN:
            out += _seq_all(av[-1])
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            out += _seq_all(av[2])
        elif op is not None:
            sub = _item(op, av)
            if sub:
                out.append(sub)
    return out


def clauses(pattern: re.Pattern) -> list[tuple[str, ...]] | None:
    """Sets of strings such that every match of ``pattern`` contains one string of *each* set (a
    conjunction; :func:`needs` gives the single best set), or None when unknown."""
    if pattern.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    found = _seq_all(_parser.parse(pattern.pattern, pattern.flags))
    out = sorted({tuple(sorted(c)) for c in found})
    return out or None


class Gate:
    """Which of many guarded units (patterns, or alternatives of one) may match a text, in one pass.

    ``units``: per unit the literal sets (:func:`clauses`) one string of each of which its every match
    contains (None: always tried). :meth:`mask` returns an int with bit k set when unit k may match: each
    whitespace-separated chunk of the text is looked up in a per-process cache of the sets its literals
    belong to (computed once per distinct chunk, by the chunk's character pairs), strings with whitespace
    are looked for in the whole text. Exact: a literal without whitespace that occurs in the text occurs
    inside one chunk, so bit k is set exactly when every set of unit k has a string in the text.
    """

    MAX_CHUNKS = 200_000  # bounded memory on adversarial text

    def __init__(self, units: list[list[tuple[str, ...]] | None]) -> None:
        self.always = 0
        self._units: list[tuple[int, int]] = []  # (clause bits, unit bit) of the guarded units
        # the guarded units by one of their clauses' bit, the key (the clause with the longest shortest
        # literal: likely the rarest in text): a unit can match only when its key is present, so a new
        # clause combination tests the units of the keys it has (a few), not every unit
        self._keyed: dict[int, list[tuple[int, int]]] = {}
        self._keys = 0
        bits: dict[str, int] = {}
        ids: dict[tuple[str, ...], int] = {}
        for k, sets in enumerate(units):
            if not sets:
                self.always |= 1 << k
                continue
            need = 0
            for words in sets:
                if words not in ids:
                    ids[words] = len(ids)
                    for w in words:
                        bits[w] = bits.get(w, 0) | 1 << ids[words]
                need |= 1 << ids[words]
            self._units.append((need, 1 << k))
            key = 1 << ids[max(sets, key=lambda ws: (min(map(len, ws)), -len(ws)))]
            self._keyed.setdefault(key, []).append((need, 1 << k))
            self._keys |= key
        self._spaced = [(w, b) for w, b in bits.items() if any(c.isspace() for c in w)]
        self._singles = [(w, b) for w, b in bits.items() if len(w) == 1 and not w.isspace()]
        # the literals of two characters or more by their first two: (the bits of the two-character ones,
        # the longer ones by their third character), so a chunk position checks only plausible literals
        self._by_pair: dict[str, tuple[int, dict[str, list[tuple[str, int]]]]] = {}
        for w, b in bits.items():
            if len(w) > 1 and not any(c.isspace() for c in w):
                two, longer = self._by_pair.get(w[:2], (0, {}))
                if len(w) == 2:
                    two |= b
                else:
                    longer.setdefault(w[2], []).append((w, b))
                self._by_pair[w[:2]] = (two, longer)
        self._chunks: dict[str, int] = {}
        self._masks: dict[int, int] = {}

    def mask(self, text: str) -> int:
        """The units that may match ``text`` (see the class docstring)."""
        parts = text.split()
        found = list(map(self._chunks.get, parts))
        if None in found:  # chunks not seen before
            found = [self._chunk(c) if b is None else b for c, b in zip(parts, found, strict=True)]
        m = reduce(or_, found, 0)
        for w, b in self._spaced:
            if w in text:
                m |= b
        out = self._masks.get(m)
        if out is None:
            if len(self._masks) > 50_000:
                self._masks.clear()
            out = self._masks[m] = self.units_of(m)
        return out

    def units_of(self, m: int) -> int:
        """The units all of whose clauses are in the clause bits ``m`` (and the unguarded ones)."""
        out = self.always
        keyed = self._keyed
        todo = m & self._keys
        while todo:
            low = todo & -todo  # one key present at a time
            for need, u in keyed[low]:
                if m & need == need:
                    out |= u
            todo ^= low
        return out

    def _chunk(self, c: str) -> int:
        chunks = self._chunks
        if len(chunks) >= self.MAX_CHUNKS:
            chunks.clear()
        b = 0
        by_pair = self._by_pair.get
        n = len(c)
        for i in range(n - 1):
            entry = by_pair(c[i : i + 2])
            if entry is not None:
                b |= entry[0]
                if i + 2 < n:
                    cands = entry[1].get(c[i + 2])
                    if cands is not None:
                        for w, bits in cands:
                            if c.startswith(w, i):
                                b |= bits
        for w, bits in self._singles:
            if w in c:
                b |= bits
        chunks[c] = b
        return b
