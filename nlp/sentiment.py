"""VADER-style lexicon-and-rules sentiment over pre-computed token infos (no per-token spaCy getters).

Rules, in VADER's spirit but scoped by sentence and clause: negation within three words (not across
punctuation or a contrastive conjunction), boosters/downtoners with decay, ALL-CAPS emphasis when the text
is not all caps, multi-word expressions, hyphen compounds, "but/however/yet" contrast (before x0.5, after
x1.5), "although/though/despite" subordinate clauses (x0.5), and exclamation/question emphasis per sentence.
The result keeps each token's final weight, so it can explain itself and score any clause or span.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce
from operator import or_

from nlp.lexicon import B_INCR, N_SCALAR, Lexicon

C_INCR = 0.733  # VADER's ALL-CAPS increment
ALPHA = 15.0  # VADER's normalisation constant

# Token flags (bit set), computed once per distinct token string in nlp.tokens.
F_NEG, F_BUT, F_SUB, F_END, F_HARD, F_SOFT = 1, 2, 4, 8, 16, 32
F_EXCL, F_QUEST, F_UPPER, F_ALPHA, F_STOP, F_SPACE = 64, 128, 256, 512, 1024, 2048
F_NO, F_CLITIC, F_HYPHEN, F_COMMA, F_ALSO, F_NONASCII = 4096, 8192, 16384, 32768, 65536, 131072
F_MWE = 262144  # first word of a multi-word expression, or a hyphen (compound candidate)
F_FOREIGN = 524288  # a function word of a non-English profile (nlp.language) that English lacks
F_CONTENT = 1048576  # can be part of a keyphrase (nlp.keyphrases)
SCOPE_STOP = F_END | F_HARD | F_COMMA | F_BUT | F_SUB

# info tuple layout (see nlp.tokens.TokenTable): lower, valence, negated valence, booster, flags, key, fuzzy
LOWER, VAL, NEGVAL, BOOST, FLAGS = 0, 1, 2, 3, 4


def normalize(total: float) -> float:
    """Map an unbounded valence sum to (-1, 1) like VADER's compound score."""
    if not total:
        return 0.0
    return max(-1.0, min(1.0, total / math.sqrt(total * total + ALPHA)))


@dataclass(slots=True)
class Scored:
    """Per-token weights and segmentation of one document."""

    weights: list[float]
    sentences: list[tuple[int, int]]  # token spans [start, end)
    clause: list[int]  # clause id of each token (split at contrast, ; : and sentence ends)
    segment: list[int]  # segment id (clauses further split at commas and "and")
    emphasis: list[float]  # per-sentence punctuation emphasis multiplier input
    total: float


_SEG_MASK = F_BUT | F_SUB | F_END | F_HARD | F_SOFT | F_COMMA


def _segment(flags: list[int]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Sentence spans, clause id and segment id per token (only boundary tokens are visited)."""
    n = len(flags)
    sentences: list[tuple[int, int]] = []
    clause = [0] * n
    segment = [0] * n
    start, c, s, prev = 0, 0, 0, 0
    for i in [i for i, f in enumerate(flags) if f & _SEG_MASK]:
        f = flags[i]
        if f & (F_BUT | F_SUB) and not (f & F_BUT and i + 1 < n and flags[i + 1] & F_ALSO):
            clause[prev:i] = [c] * (i - prev)
            segment[prev:i] = [s] * (i - prev)
            prev, c, s = i, c + 1, s + 1
        if f & F_END and not (i + 1 < n and flags[i + 1] & F_END):
            nc, ns = c + 1, s + 1
            sentences.append((start, i + 1))
            start = i + 1
        elif f & F_HARD:
            nc, ns = c + 1, s + 1
        elif f & (F_SOFT | F_COMMA):
            nc, ns = c, s + 1
        else:
            continue
        clause[prev : i + 1] = [c] * (i + 1 - prev)
        segment[prev : i + 1] = [s] * (i + 1 - prev)
        prev, c, s = i + 1, nc, ns
    clause[prev:] = [c] * (n - prev)
    segment[prev:] = [s] * (n - prev)
    if start < n:
        sentences.append((start, n))
    return sentences, clause, segment


def _mwes(infos: list[tuple], lex: Lexicon) -> dict[int, float]:
    """Token index -> valence for multi-word expressions and hyphen compounds (-inf marks consumed)."""
    out: dict[int, float] = {}
    index = lex.mwe_index
    n = len(infos)
    for i in range(n):
        lower = infos[i][LOWER]
        cands = index.get(lower)
        if cands:
            for words, val in cands:
                k = len(words)
                if i + k <= n and all(infos[i + j][LOWER] == words[j] for j in range(1, k)):
                    for j in range(i, i + k - 1):
                        out[j] = -math.inf
                    out[i + k - 1] = val
                    break
        if infos[i][FLAGS] & F_HYPHEN and 0 < i < n - 1:
            v = lex.valence.get(infos[i - 1][LOWER] + "-" + infos[i + 1][LOWER])
            if v is not None:
                out[i - 1] = -math.inf
                out[i + 1] = v
    return out


def _modifiers(infos: list[tuple], i: int, valence: float, cap_diff: bool) -> tuple[float, bool]:
    """Apply boosters in the 3 preceding words and detect negation; return (valence, negated)."""
    negs, seen, j = 0, 0, i - 1
    while j >= 0 and seen < 3:
        info = infos[j]
        f = info[FLAGS]
        if f & SCOPE_STOP:
            break
        if f & (F_CLITIC | F_SPACE):
            j -= 1
            continue
        b = info[BOOST]
        if b:
            scalar = b if valence > 0 else -b
            if cap_diff and f & F_UPPER:
                scalar += C_INCR if valence > 0 else -C_INCR
            valence += scalar * (1.0, 0.95, 0.9)[seen]
        if f & (F_NEG | F_NO):
            negs += 1
        seen += 1
        j -= 1
    return valence, negs % 2 == 1


def _no_is_determiner(infos: list[tuple], i: int) -> bool:
    """VADER: "no" followed by a sentiment word is a negator, not itself negative."""
    return any(j < len(infos) and infos[j][VAL] for j in (i + 1, i + 2))


def score(infos: list[tuple], lex: Lexicon) -> Scored:
    """Score one document's tokens; see the module docstring for the rules."""
    n = len(infos)
    flags = [x[FLAGS] for x in infos]
    sentences, clause, segment = _segment(flags)
    weights = [0.0] * n
    todo = [i for i, x in enumerate(infos) if x[VAL] or x[NEGVAL] is not None]
    if not todo:
        return Scored(weights, sentences, clause, segment, [0.0] * len(sentences), 0.0)
    anyflag = reduce(or_, flags, 0)
    mwe = _mwes(infos, lex) if anyflag & F_MWE else {}
    if mwe:
        todo = sorted(set(todo).union(i for i, v in mwe.items() if v != -math.inf))
    cap_diff = bool(anyflag & F_UPPER) and not all(f & F_UPPER for f in flags if f & F_ALPHA)
    for i in todo:
        info = infos[i]
        v = mwe.get(i, info[VAL]) if mwe else info[VAL]
        if v == -math.inf or (info[FLAGS] & F_NO and _no_is_determiner(infos, i)):
            continue
        if info[BOOST] and not info[VAL]:
            continue
        if cap_diff and info[FLAGS] & F_UPPER and v:
            v += C_INCR if v > 0 else -C_INCR
        v, negated = _modifiers(infos, i, v, cap_diff)
        if negated:
            v = info[NEGVAL] if info[NEGVAL] is not None else v * N_SCALAR
        weights[i] = v
    emphasis = (
        _contrast_and_emphasis(infos, sentences, clause, weights)
        if anyflag & _CONTRAST_OR_PUNCT
        else [0.0] * len(sentences)
    )
    return Scored(weights, sentences, clause, segment, emphasis, sum(weights) + sum(emphasis))


_CONTRAST_OR_PUNCT = F_BUT | F_SUB | F_EXCL | F_QUEST


def _contrast_and_emphasis(infos, sentences, clause, weights) -> list[float]:
    """Weight clauses around contrast words in place; return each sentence's punctuation emphasis."""
    emphasis: list[float] = []
    for si, (a, b) in enumerate(sentences):
        for i in range(a, b):
            f = infos[i][FLAGS]
            if f & F_BUT and not (i + 1 < b and infos[i + 1][FLAGS] & F_ALSO):
                lo = sentences[si - 1][0] if i == a and si > 0 else a
                for j in range(lo, i):
                    weights[j] *= 0.5
                for j in range(i + 1, b):
                    weights[j] *= 1.5
                break
        for i in range(a, b):
            if infos[i][FLAGS] & F_SUB:
                end = i + 1
                while end < b and clause[end] == clause[i] and not infos[end][FLAGS] & F_COMMA:
                    end += 1
                for j in range(i + 1, end):
                    weights[j] *= 0.5
        emphasis.append(_punct_emphasis(infos, a, b, sum(weights[a:b])))
    return emphasis


def _punct_emphasis(infos, a: int, b: int, total: float) -> float:
    if not total:
        return 0.0
    excl = sum(1 for i in range(a, b) if infos[i][FLAGS] & F_EXCL)
    quest = sum(1 for i in range(a, b) if infos[i][FLAGS] & F_QUEST)
    amp = min(excl, 4) * 0.292
    if quest > 1:
        amp += quest * 0.18 if quest <= 3 else 0.96
    return amp if total > 0 else -amp


def span_score(sc: Scored, a: int, b: int) -> float:
    """Normalised score of tokens [a, b) (no punctuation emphasis)."""
    return normalize(sum(sc.weights[a:b]))


def sentence_scores(sc: Scored) -> list[float]:
    """Normalised score of each sentence, including its punctuation emphasis."""
    return [normalize(sum(sc.weights[a:b]) + e) for (a, b), e in zip(sc.sentences, sc.emphasis, strict=True)]


def _span_of(ids: list[int], i: int) -> tuple[int, int]:
    """Token range of the (contiguous) run of ``ids[i]`` around token ``i``."""
    a, b, v, n = i, i + 1, ids[i], len(ids)
    while a > 0 and ids[a - 1] == v:
        a -= 1
    while b < n and ids[b] == v:
        b += 1
    return a, b


def mention_score(sc: Scored, start: int, end: int) -> float:
    """Sentiment of a mention at tokens [start, end): its segment, else its clause, else its sentence."""
    w = sc.weights
    a, _ = _span_of(sc.segment, start)
    _, b = _span_of(sc.segment, end - 1)
    total = sum(w[a:b])
    if total:
        return normalize(total)
    a, _ = _span_of(sc.clause, start)
    _, b = _span_of(sc.clause, end - 1)
    total = sum(w[a:b])
    if total:
        return normalize(total)
    for a, b in sc.sentences:
        if a <= start < b:
            return normalize(sum(w[a:b]))
    return 0.0


__all__ = ["B_INCR", "Scored", "mention_score", "normalize", "score", "sentence_scores", "span_score"]
