"""VADER-style lexicon-and-rules sentiment over pre-computed token infos (no per-token spaCy getters).

Rules, in VADER's spirit but scoped by sentence and clause: negation within three words (not across
punctuation or a contrastive conjunction), boosters/downtoners with decay, ALL-CAPS emphasis when the text
is not all caps, multi-word expressions, hyphen compounds, "but/however/yet" contrast (before x0.5, after
x1.5), "although/though/despite" subordinate clauses (x0.5), and exclamation/question emphasis per sentence.
The result keeps each token's final weight, so it can explain itself and score any clause or span.

Speed: one pass visits only the "marked" tokens (boundaries, sentiment words, MWE anchors, topic hooks;
usually a third of a doc), found by one list comprehension over the per-type flags. Everything else is
sparse work on those indices; clauses and segments are kept as sorted start lists, not per token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nlp.clauses import contrast_weights, punctuation_emphasis
from nlp.flags import (
    BOOST,
    F_ALPHA,
    F_ALSO,
    F_BUT,
    F_CLITIC,
    F_COMMA,
    F_END,
    F_EXCL,
    F_FOREIGN,
    F_FUZZY,
    F_HARD,
    F_HOOK,
    F_HYPHEN,
    F_LEAST,
    F_MWE,
    F_NEG,
    F_NO,
    F_NONASCII,
    F_QUEST,
    F_SOFT,
    F_SPACE,
    F_SUB,
    F_UPPER,
    F_VALTOK,
    FLAGS,
    LOWER,
    MWES_AT,
    NEGVAL,
    SCOPE_STOP,
    VAL,
)
from nlp.lexicon import B_INCR, N_SCALAR, Lexicon

C_INCR = 0.733  # VADER's ALL-CAPS increment
ALPHA = 15.0  # VADER's normalisation constant

_SEG_MASK = F_BUT | F_SUB | F_END | F_HARD | F_SOFT | F_COMMA
_MARK = _SEG_MASK | F_MWE | F_UPPER | F_NONASCII | F_FOREIGN | F_FUZZY  # rare flags: one loop
_EMPH = F_EXCL | F_QUEST

_NEG_INF = -math.inf
_DECAY = (1.0, 0.95, 0.9)


def normalize(total: float) -> float:
    """Map an unbounded valence sum to (-1, 1) like VADER's compound score."""
    if not total:
        return 0.0
    return max(-1.0, min(1.0, total / math.sqrt(total * total + ALPHA)))


@dataclass(slots=True)
class Scored:
    """Per-token weights and the segmentation of one document.

    Clauses split at contrast words, ``; :`` and sentence ends; segments further split at commas and
    "and". Both are sorted lists of start token indices (the first is always 0).
    """

    weights: list[float]
    sentences: list[tuple[int, int]]  # token spans [start, end)
    clause_starts: list[int]
    seg_starts: list[int]
    emphasis: list[float]  # per-sentence punctuation emphasis
    total: float
    hits: list[int]  # tokens with a non-zero weight, in order
    hooks: list[int]  # tokens flagged F_HOOK (where taxonomy matches can start)
    anyflags: int  # OR of the flags of the boundary and rare-flag tokens (not of hooks or plain words)
    # (weights, total, hits) as the rules left them, kept by the learned sentence model
    # (nlp.sentiment_model) before it changes a sentence: what the topic-polarity model reads
    rules: tuple[list[float], float, list[int]] | None = None
    # sentences that negate a churn threat ("nobody wants to leave", nlp.churn.negated_churn): the learned
    # sentence model does not make them negative
    loyal: frozenset[int] = frozenset()

    def rule_view(self) -> tuple[list[float], float, list[int]]:
        """(weights, total, hits) of the rules alone (before the learned sentence model)."""
        return self.rules if self.rules is not None else (self.weights, self.total, self.hits)

    def clause_spans(self) -> list[tuple[int, int]]:
        """All non-empty clauses as token ranges."""
        n = len(self.weights)
        starts = self.clause_starts
        ends = [*starts[1:], n]
        return [(a, min(b, n)) for a, b in zip(starts, ends, strict=True) if a < min(b, n)]


def score(infos: list[tuple], lex: Lexicon, flags: list[int] | None = None) -> Scored:
    """Score one document's tokens; see the module docstring for the rules."""
    if flags is None:
        flags = [x[FLAGS] for x in infos]
    n = len(flags)
    vals = [i for i, f in enumerate(flags) if f & F_VALTOK]
    hooks = [i for i, f in enumerate(flags) if f & F_HOOK]
    sentences, cstarts, sstarts, anchors, contrast, anyf = _scan(flags)
    weights = [0.0] * n
    if not vals and not anchors:
        return Scored(weights, sentences, cstarts, sstarts, [0.0] * len(sentences), 0.0, [], hooks, anyf)
    hits = _weigh(infos, flags, vals, anchors, anyf, lex, weights)
    if hits and contrast:
        contrast_weights(flags, sentences, cstarts, contrast, weights)
    emphasis = (
        punctuation_emphasis(flags, sentences, weights) if hits and anyf & _EMPH else [0.0] * len(sentences)
    )
    return Scored(
        weights, sentences, cstarts, sstarts, emphasis, sum(weights) + sum(emphasis), hits, hooks, anyf
    )


def _scan(flags: list[int]) -> tuple:
    """One pass over the boundary and rare-flag tokens: sentence spans, clause and segment starts, MWE
    anchors, contrast words, and the OR of their flags."""
    n = len(flags)
    sentences: list[tuple[int, int]] = []
    cstarts, sstarts = [0], [0]
    anchors: list[int] = []
    contrast: list[int] = []
    anyf = start = 0
    for i in [i for i, f in enumerate(flags) if f & _MARK]:
        f = flags[i]
        anyf |= f
        if f & F_MWE:
            anchors.append(i)
        if not f & _SEG_MASK:
            continue
        if f & (F_BUT | F_SUB) and not (f & F_BUT and i + 1 < n and flags[i + 1] & F_ALSO):
            contrast.append(i)
            if i > cstarts[-1]:
                cstarts.append(i)
            if i > sstarts[-1]:
                sstarts.append(i)
        if f & F_END and not (i + 1 < n and flags[i + 1] & F_END):
            sentences.append((start, i + 1))
            start = i + 1
            cstarts.append(start)
            sstarts.append(start)
        elif f & F_HARD:
            cstarts.append(i + 1)
            sstarts.append(i + 1)
        elif f & (F_SOFT | F_COMMA) and i + 1 > sstarts[-1]:
            sstarts.append(i + 1)
    if start < n:
        sentences.append((start, n))
    return sentences, cstarts, sstarts, anchors, contrast, anyf


def _weigh(infos, flags, vals, anchors, anyf, lex, weights) -> list[int]:
    """Fill ``weights`` for sentiment tokens (in place); return the indices with a non-zero weight."""
    mwe, mwe_start = _mwes(infos, flags, anchors, lex) if anchors else ({}, {})
    todo = vals
    if mwe:
        todo = sorted(set(vals).union(i for i, v in mwe.items() if v != _NEG_INF))
    cap_diff = bool(anyf & F_UPPER) and not all(f & F_UPPER for f in flags if f & F_ALPHA)
    hits = []
    for i in todo:
        info = infos[i]
        f = flags[i]
        v = mwe.get(i, info[VAL]) if mwe else info[VAL]
        if v == _NEG_INF or (f & F_NO and _no_is_determiner(infos, i)):
            continue
        if info[BOOST] and i not in mwe_start and (not info[VAL] or _modifies(flags, i)):
            continue  # "super fast", "definitely wouldn't": the booster modifies what follows
        if cap_diff and f & F_UPPER and v:
            v += C_INCR if v > 0 else -C_INCR
        # an expression's own words ("not worth", "couldn't be happier") are not its modifiers
        v, negated = _modifiers(infos, flags, mwe_start.get(i, i), v, cap_diff)
        if negated:
            v = info[NEGVAL] if info[NEGVAL] is not None and i not in mwe_start else v * N_SCALAR
        if v:
            weights[i] = v
            hits.append(i)
    return hits


def _modifies(flags: list[int], i: int) -> bool:
    """Whether a sentiment or negation word follows within three words (same clause)."""
    for f in flags[i + 1 : i + 4]:
        if f & SCOPE_STOP:
            return False
        if f & (F_VALTOK | F_NEG | F_NO):
            return True
    return False


def _mwes(infos: list[tuple], flags: list[int], anchors: list[int], lex: Lexicon):
    """Token index -> valence for multi-word expressions and hyphen compounds (-inf marks consumed),
    and the start token of each expression (by the index that carries its valence)."""
    out: dict[int, float] = {}
    starts: dict[int, int] = {}
    n = len(infos)
    for i in anchors:
        for words, k, val in infos[i][MWES_AT]:
            s = i - k
            e = s + len(words)
            if s >= 0 and e <= n and all(infos[s + j][LOWER] == w for j, w in enumerate(words)):
                for j in range(s, e - 1):
                    out[j] = _NEG_INF
                out[e - 1] = val
                starts[e - 1] = s
                break
        if flags[i] & F_HYPHEN and 0 < i < n - 1:
            v = lex.valence.get(infos[i - 1][LOWER] + "-" + infos[i + 1][LOWER])
            if v is not None:
                out[i - 1] = _NEG_INF
                out[i + 1] = v
                starts[i + 1] = i - 1
    return out, starts


def _modifiers(infos: list[tuple], flags: list[int], i: int, valence: float, cap_diff: bool):
    """Apply boosters in the 3 preceding words and detect negation; return (valence, negated)."""
    negs, seen, j = 0, 0, i - 1
    while j >= 0 and seen < 3:
        f = flags[j]
        if f & SCOPE_STOP:
            break
        if f & (F_CLITIC | F_SPACE):
            j -= 1
            continue
        if j > 0 and infos[j][LOWER] == "all" and infos[j - 1][LOWER] == "at":
            j -= 2  # "not at all (very) helpful": "at all" only strengthens the negation before it
            continue
        b = infos[j][BOOST]
        if b and valence:  # a booster strengthens a sentiment; it gives none to a word without one
            scalar = b if valence > 0 else -b
            if cap_diff and f & F_UPPER:
                scalar += C_INCR if valence > 0 else -C_INCR
            valence += scalar * _DECAY[seen]
        if (f & (F_NEG | F_NO) and not _intensifying_never(infos, j, i)) or (
            f & F_LEAST and not (j and infos[j - 1][LOWER] in ("at", "very"))
        ):
            negs += 1
        seen += 1
        j -= 1
    return valence, negs % 2 == 1


_COMPARATIVES = frozenset(["so", "this", "more", "such", "as"])


def _intensifying_never(infos: list[tuple], j: int, i: int) -> bool:
    """VADER's "never so/this" rule, widened: "never felt more unwelcome" intensifies, it does not negate."""
    return infos[j][LOWER] == "never" and any(infos[k][LOWER] in _COMPARATIVES for k in range(j + 1, i))


def _no_is_determiner(infos: list[tuple], i: int) -> bool:
    """VADER: "no" followed by a sentiment word is a negator, not itself negative."""
    return any(j < len(infos) and infos[j][VAL] for j in (i + 1, i + 2))


__all__ = ["B_INCR", "Scored", "normalize", "score"]
