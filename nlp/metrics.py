"""Small, dependency-free classification metrics."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Share of equal labels."""
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0


def f1_per_class(gold: Sequence[str], pred: Sequence[str], labels: Iterable[str]) -> dict[str, float]:
    """F1 of each label."""
    out: dict[str, float] = {}
    for lab in labels:
        tp = sum(g == lab and p == lab for g, p in zip(gold, pred, strict=True))
        fp = sum(g != lab and p == lab for g, p in zip(gold, pred, strict=True))
        fn = sum(g == lab and p != lab for g, p in zip(gold, pred, strict=True))
        out[lab] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return out


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Iterable[str] | None = None) -> float:
    """Unweighted mean F1 over ``labels`` (default: labels seen in gold)."""
    labs = list(labels) if labels is not None else sorted(set(gold))
    per = f1_per_class(gold, pred, labs)
    return sum(per.values()) / len(per) if per else 0.0


def micro_prf(gold: Sequence[set[str]], pred: Sequence[set[str]]) -> tuple[float, float, float]:
    """Micro precision, recall, F1 over (item, label) pairs."""
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    np_ = sum(len(p) for p in pred)
    ng = sum(len(g) for g in gold)
    prec = tp / np_ if np_ else 0.0
    rec = tp / ng if ng else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)
