"""Train a tiny model end-to-end, load it, and check model mentions and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

from nlp import Analyzer, Taxonomy, TopicSpec


def test_tiny_model_is_saved_with_metadata(tiny_model):
    path, meta = tiny_model
    assert (path / "clearloop_topic_model.json").exists() and (path / "textcat").is_dir()
    assert (path / "polarity.npz").exists() and (path / "linear.npz").exists()
    assert meta["fingerprint"] and meta["arch"] == "bow"
    assert sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) < 20_000_000


def test_model_adds_mentions_the_phrases_missed(tiny_model):
    path, _ = tiny_model
    tax = Taxonomy([TopicSpec("billing", "Billing", phrases=["invoice"])])
    an = Analyzer(taxonomy=tax, topic_model_path=path)
    r = an.analyze_one("Everything is sluggish and pages take ages to render")
    model = [m for m in r.mentions if m.source == "model"]
    assert [m.topic_id for m in model] == ["speed"]
    assert model[0].topic_name == "Speed" and 0.0 < model[0].confidence <= 1.0
    assert model[0].sentiment.label == "negative"


def test_phrase_matches_win_over_model_guesses(tiny_model):
    path, _ = tiny_model
    tax = Taxonomy([TopicSpec("billing", "Billing", phrases=["invoice"])])
    an = Analyzer(taxonomy=tax, topic_model_path=path)
    r = an.analyze_one("The invoice total was wrong again, we were billed twice")
    billing = [m for m in r.mentions if m.topic_id == "billing"]
    assert len(billing) == 1 and billing[0].source == "phrase"


def test_version_changes_with_model_and_taxonomy(tiny_model):
    path, _ = tiny_model
    a = Analyzer(taxonomy=Taxonomy([]))
    b = Analyzer(taxonomy=Taxonomy([]), topic_model_path=path)
    c = Analyzer(taxonomy=Taxonomy([TopicSpec("1", "X", phrases=["x"])]))
    assert len({a.version, b.version, c.version}) == 3
    assert a.version == Analyzer(taxonomy=Taxonomy([])).version


def test_cli_help():
    out = subprocess.run(
        [sys.executable, "-m", "nlp.train", "--help"], capture_output=True, text=True, check=True
    )
    assert "JSONL" in out.stdout and "--output" in out.stdout


def test_cli_trains_from_jsonl(tmp_path, tiny_training_data):
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps({"text": t, "topics": ts}) for t, ts in tiny_training_data))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "nlp.train",
            str(data),
            "-o",
            str(tmp_path / "m"),
            "--arch",
            "bow",
            "--epochs",
            "3",
            "--no-polarity",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1])["n_train"] > 0
    assert (tmp_path / "m" / "clearloop_topic_model.json").exists()
