"""Readers for labelled data sets: SemEval-2014 ABSA XML, VADER ground-truth files, generic JSONL."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Example:
    """One labelled text: sentiment label, topics and per-topic sentiment (any may be missing)."""

    text: str
    sentiment: str | None = None
    topics: list[str] = field(default_factory=list)
    topic_sentiments: dict[str, str] = field(default_factory=dict)
    terms: list[tuple[str, int, int, str]] = field(default_factory=list)  # SemEval aspect terms


def read_semeval(path: str | Path) -> list[Example]:
    """Read a SemEval-2014 Task 4 XML file (aspect categories with polarity, aspect terms)."""
    root = ET.parse(str(path)).getroot()  # noqa: S314
    out: list[Example] = []
    for sent in root.iter("sentence"):
        text = sent.findtext("text") or ""
        cats = {c.get("category", ""): c.get("polarity", "") for c in sent.iter("aspectCategory")}
        terms = [
            (t.get("term", ""), int(t.get("from", 0)), int(t.get("to", 0)), t.get("polarity", ""))
            for t in sent.iter("aspectTerm")
        ]
        out.append(Example(text, sentence_polarity(list(cats.values())), list(cats), cats, terms))
    return out


def sentence_polarity(polarities: list[str]) -> str | None:
    """A sentence label from its category polarities: the shared one, or None when they disagree."""
    distinct = set(polarities)
    if len(distinct) == 1 and next(iter(distinct)) in ("positive", "negative", "neutral"):
        return next(iter(distinct))
    return None


def vader_label(mean: float) -> str:
    """3-class label of a VADER ground-truth mean rating (-4..4): > 0.5 positive, < -0.5 negative."""
    if mean > 0.5:
        return "positive"
    if mean < -0.5:
        return "negative"
    return "neutral"


def read_vader(path: str | Path) -> list[Example]:
    """Read one VADER ground-truth file (id TAB mean TAB text)."""
    out: list[Example] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t", 2)
            if len(parts) == 3:
                try:
                    out.append(Example(parts[2], vader_label(float(parts[1]))))
                except ValueError:
                    continue
    return out


def vader_files(path: str | Path) -> list[Path]:
    """The ground-truth files at ``path`` (a file, or a directory of ``*_GroundTruth.txt``)."""
    p = Path(path)
    return sorted(p.glob("*GroundTruth*.txt")) if p.is_dir() else [p]


def read_labelled_tsv(path: str | Path) -> list[Example]:
    """Read ``label<TAB>text`` lines (``#`` comments and blank lines skipped), e.g. the feedback dev set."""
    out: list[Example] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip() or line.startswith("#"):
                continue
            label, _, text = line.rstrip("\n").partition("\t")
            out.append(Example(text, label.strip()))
    return out


def read_jsonl(path: str | Path) -> list[Example]:
    """Read JSONL lines {"text", "sentiment"?, "topics"?, "topic_sentiments"?}."""
    out: list[Example] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            d = json.loads(line)
            ts = {str(k): str(v) for k, v in (d.get("topic_sentiments") or {}).items()}
            topics = [str(t) for t in d.get("topics") or []] or list(ts)
            out.append(Example(str(d.get("text", "")), d.get("sentiment"), topics, ts))
    return out
