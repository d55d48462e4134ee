"""Fixtures for the nlp library tests (no Flask app involved)."""

from __future__ import annotations

import pytest

from nlp import Analyzer, Taxonomy


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    """One analyser with the default SaaS taxonomy, shared by the session (as a worker would)."""
    return Analyzer(taxonomy=Taxonomy.default())


@pytest.fixture(scope="session")
def topics_of(analyzer):
    """Return the topic ids found in a text."""

    def _topics(text: str) -> list[str]:
        return analyzer.analyze_one(text).topic_ids

    return _topics


@pytest.fixture(scope="session")
def mention(analyzer):
    """Return the mention of a topic in a text (or None)."""

    def _mention(text: str, topic_id: str):
        return next((m for m in analyzer.analyze_one(text).mentions if m.topic_id == topic_id), None)

    return _mention


TRAIN = [
    ("The invoice total was wrong again", ["billing"]),
    ("We were billed twice this month", ["billing"]),
    ("Charged for seats we never used", ["billing"]),
    ("The receipts never arrive", ["billing"]),
    ("Great money value overall", ["billing"]),
    ("The payment page rejected my card", ["billing"]),
    ("The app is so slow to open", ["speed"]),
    ("Pages take ages to render", ["speed"]),
    ("Everything is sluggish after login", ["speed"]),
    ("Loading the board takes a minute", ["speed"]),
    ("It feels snappy now, well done", ["speed"]),
    ("The whole thing lags a lot", ["speed"]),
] * 3


@pytest.fixture(scope="session")
def tiny_training_data() -> list[tuple[str, list[str]]]:
    """The handful of (text, topics) examples the tiny model is trained on."""
    return list(TRAIN)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A tiny topic + polarity model trained on a handful of examples (seconds)."""
    from nlp.train import train_topic_model

    out = tmp_path_factory.mktemp("tiny_model")
    pol = [
        (t, ts[0], "positive" if any(w in t for w in ("Great", "snappy")) else "negative") for t, ts in TRAIN
    ]
    meta = train_topic_model(
        TRAIN,
        out,
        arch="bow",
        epochs=8,
        dev_share=0.25,
        polarity_examples=pol,
        label_names={"billing": "Billing", "speed": "Speed"},
        log=lambda s: None,
    )
    return out, meta
