"""Clause-level rules of the sentiment scorer: contrast ("but" halves what came before and strengthens what
follows; "although" clauses count half) and "!"/"?" emphasis per sentence (VADER's amounts)."""

from __future__ import annotations

from bisect import bisect_right

from nlp.flags import F_BUT, F_COMMA, F_EXCL, F_QUEST

_EMPH = F_EXCL | F_QUEST


def contrast_weights(flags, sentences, cstarts, contrast, weights) -> None:
    """Weight clauses around contrast words in place (first "but" of a sentence; every "although")."""
    n = len(weights)
    done: set[int] = set()
    for i in contrast:
        si = _sentence_of(sentences, i)
        a, b = sentences[si]
        if flags[i] & F_BUT:
            if si in done:
                continue
            done.add(si)
            lo = sentences[si - 1][0] if i == a and si > 0 else a
            for j in range(lo, i):
                weights[j] *= 0.5
            for j in range(i + 1, b):
                weights[j] *= 1.5
        else:  # subordinate clause: up to the clause end or a comma
            k = bisect_right(cstarts, i)
            end = min(cstarts[k] if k < len(cstarts) else n, b)
            for j in range(i + 1, end):
                if flags[j] & F_COMMA:
                    break
                weights[j] *= 0.5


def _sentence_of(sentences: list[tuple[int, int]], i: int) -> int:
    for k, (a, b) in enumerate(sentences):
        if a <= i < b:
            return k
    return len(sentences) - 1


def punctuation_emphasis(flags, sentences, weights) -> list[float]:
    """Each sentence's "!"/"?" emphasis, in the direction of its sentiment."""
    out = []
    for a, b in sentences:
        total = sum(weights[a:b])
        if not total:
            out.append(0.0)
            continue
        excl = quest = 0
        for f in flags[a:b]:
            if f & _EMPH:
                excl += 1 if f & F_EXCL else 0
                quest += 1 if f & F_QUEST else 0
        amp = min(excl, 4) * 0.292
        if quest > 1:
            amp += quest * 0.18 if quest <= 3 else 0.96
        out.append(amp if total > 0 else -amp)
    return out
