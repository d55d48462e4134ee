"""Taxonomy patterns: compiling the small pattern syntax and matching it on token infos.

Pattern syntax (whitespace separated elements):
``word`` matches like a phrase word · ``pre*`` any token starting with ``pre`` ·
``(a|b c|d)`` one of the alternatives (each may be several words), ``(...)?`` optional ·
``...`` up to three other tokens (not across a sentence end).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.lang.en.stop_words import STOP_WORDS

from nlp.errors import TaxonomyError
from nlp.flags import F_END, FLAGS

MAX_GAP = 3
KEY = 5  # position of the match key in nlp.tokens info tuples
PREFIX_MARK = "\x00"  # anchors that are prefixes ("charg*") are stored as "\x00charg"
Element = tuple  # ("w", key) | ("ws", keys) | ("p", prefix) | ("alt", [(Element, ...)], optional) | ("gap",)
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
            alts = [tuple(_compile_words(a.strip(), keys_of)) for a in body.split("|")]
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


def match_at(elems: list[Element], i: int, infos: list[tuple], k: int = 0) -> int:
    """Return the end token index of the first way ``elems[k:]`` match from token ``i``, or -1."""
    n = len(infos)
    while k < len(elems):
        head = elems[k]
        kind = head[0]
        if kind == "ws":
            if i >= n or infos[i][KEY] not in head[1]:
                return -1
        elif kind == "w" or kind == "p":
            if i >= n or (infos[i][KEY] != head[1] if kind == "w" else not infos[i][0].startswith(head[1])):
                return -1
        elif kind == "alt":
            for alt in head[1]:
                j = _match_seq(alt, i, infos)
                if j >= 0:
                    end = match_at(elems, j, infos, k + 1)
                    if end >= 0:
                        return end
            return match_at(elems, i, infos, k + 1) if head[2] else -1
        else:
            return _match_gap(elems, i, infos, k)
        i += 1
        k += 1
    return i


def _match_gap(elems: list[Element], i: int, infos: list[tuple], k: int) -> int:
    """A gap: skip 0..MAX_GAP tokens, shortest first, never across a sentence end."""
    n = len(infos)
    for skip in range(MAX_GAP + 1):
        if skip and (i + skip - 1 >= n or infos[i + skip - 1][FLAGS] & F_END):
            break
        end = match_at(elems, i + skip, infos, k + 1)
        if end >= 0:
            return end
    return -1


def can_start(elems: list[Element] | tuple, lower: str, key: str) -> bool:
    """Whether a token (lower-case text, match key) can be the first token of a match of ``elems``."""
    if not elems:
        return False
    head = elems[0]
    kind = head[0]
    if kind == "w":
        return key == head[1]
    if kind == "ws":
        return key in head[1]
    if kind == "p":
        return lower.startswith(head[1])
    if kind == "alt":
        if any(can_start(alt, lower, key) for alt in head[1]):
            return True
        return bool(head[2]) and can_start(elems[1:], lower, key)
    return False


def first_tokens(elems: list[Element] | tuple) -> tuple[set[str], set[str]]:
    """(keys, prefixes) a token must have (key equal, or lower-case text starting with a prefix) to start
    a match of ``elems``: exactly the tokens :func:`can_start` accepts, as sets to index by."""
    words: set[str] = set()
    prefixes: set[str] = set()
    if not elems:
        return words, prefixes
    head = elems[0]
    kind = head[0]
    if kind == "w":
        words.add(head[1])
    elif kind == "ws":
        words.update(head[1])
    elif kind == "p":
        prefixes.add(head[1])
    elif kind == "alt":
        for alt in head[1]:
            w, p = first_tokens(alt)
            words |= w
            prefixes |= p
        if head[2]:
            w, p = first_tokens(elems[1:])
            words |= w
            prefixes |= p
    return words, prefixes


def anchor(elems: list[Element]) -> set[str] | None:
    """Keys of which at least one must occur in a doc for the pattern to match (the rarest required
    group; prefixes as ``PREFIX_MARK + prefix``), so a pattern starting with "is" or "they" is only
    considered for docs that contain its rare word."""
    groups = [set(words) | {PREFIX_MARK + p for p in prefixes} for words, prefixes in requirements(elems)]
    return min(groups, key=_commonness) if groups else None


def _commonness(keys: set[str]) -> tuple[int, int, int]:
    """Sort key: fewer stop words, fewer alternatives, longer words = rarer anchor."""
    return (sum(k in STOP_WORDS for k in keys), len(keys), -sum(len(k) for k in keys))


def requirements(elems: list[Element]) -> list[tuple[frozenset[str], tuple[str, ...]]]:
    """Groups (keys, prefixes) of which a doc must contain at least one token each for a match to be
    possible: every required word, word set, prefix, and required group whose alternatives all start
    with a word or prefix. A pattern is only tried on a doc that satisfies all of them."""
    out = []
    for e in elems:
        if e[0] == "w":
            out.append((frozenset([e[1]]), ()))
        elif e[0] == "ws":
            out.append((frozenset(e[1]), ()))
        elif e[0] == "p":
            out.append((frozenset(), (e[1],)))
        elif e[0] == "alt" and not e[2] and all(alt[0][0] in ("w", "p") for alt in e[1]):
            heads = [alt[0] for alt in e[1]]
            out.append(
                (frozenset(h[1] for h in heads if h[0] == "w"), tuple(h[1] for h in heads if h[0] == "p"))
            )
    return out


def satisfied(group: tuple[frozenset[str], tuple[str, ...]], keys: set[str], lowers: list[str]) -> bool:
    """Whether a doc (its set of match keys, its lower-case tokens) has a token of a requirement group."""
    words, prefixes = group
    if not words.isdisjoint(keys):
        return True
    return any(w.startswith(prefixes) for w in lowers) if prefixes else False


def words_of(elems: list[Element]) -> set[str]:
    """Every whole-word key a pattern mentions (they join the fuzzy-correction vocabulary)."""
    out: set[str] = set()
    for e in elems:
        if e[0] == "w":
            out.add(e[1])
        elif e[0] == "ws":
            out.update(e[1])
        elif e[0] == "alt":
            out.update(x[1] for alt in e[1] for x in alt if x[0] == "w")
    return out
