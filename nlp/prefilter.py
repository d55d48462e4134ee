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
from re import _constants as C
from re import _parser


def _seq(items) -> frozenset[str] | None:
    """Literals one of which a match of a sequence of parsed items contains (the best item's)."""
    options: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in [*items, (None, None)]:
        if op is C.LITERAL:
            run.append(chr(av))
            continue
        if run:
            options.append(frozenset(["".join(run)]))
            run = []
        sub = _item(op, av)
        if sub:
            options.append(sub)
    if not options:
        return None
    # the fewest, longest literals: fewer checks, rarer hits
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
