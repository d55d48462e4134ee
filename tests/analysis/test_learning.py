"""Suggested topics, training the topic model from confirmed tags, and the ``flask topics`` commands."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.analysis import services, training
from app.analysis.pipeline import get_analyzer, installed_topic_model
from app.analysis.suggestions import refresh_suggestions, stored_suggestions
from app.extensions import db
from app.models import Mention, MentionSource, RetagRun, RetagState, Setting, Topic
from app.tasks import analysis as jobs
from tests.analysis.conftest import add_responses, topic_id

GARDEN = [
    "The quokka garden keeps stalling overnight",
    "quokka garden stalled again",
    "Our quokka garden never finishes",
    "Can the quokka garden grow hourly?",
    "Please fix the quokka garden",
]


def test_suggestions_come_from_recent_untagged_comments(ctx):
    jobs.analyze_responses(add_responses(*GARDEN, "The invoices are wrong", "hello"))
    value = refresh_suggestions()
    assert value["scanned"] == 6  # the invoices comment has a topic
    (item,) = [i for i in value["items"] if i["label"] == "quokka garden"]
    assert item["count"] >= 3 and item["examples"]
    assert stored_suggestions() == value


def test_editors_refresh_suggestions_and_viewers_cannot(app, pm_client, viewer_client):
    from app.analysis.taxonomy_store import ensure_taxonomy

    with app.app_context():
        ensure_taxonomy()
        jobs.analyze_responses(add_responses(*GARDEN))
    assert viewer_client.post("/topics/suggestions/refresh", csrf="session").status_code == 403
    page = pm_client.post("/topics/suggestions/refresh", follow_redirects=True, page="/topics")
    assert page.status_code == 200 and "quokka garden" in page.get_data(as_text=True)


def test_tag_all_pending_tags_everything_and_suggests(ctx):
    ids = add_responses(*GARDEN, "The invoices are wrong", None)
    counts = services.tag_all_pending()
    assert counts["done"] == 6 and counts["skipped"] == 1
    assert stored_suggestions()["items"]
    assert services.tag_all_pending()["done"] == 0
    assert ids


def _label_world() -> dict[str, int]:
    billing, support, security = topic_id("billing"), topic_id("support"), topic_id("security")
    ids = add_responses("The billing is confusing", "Support was kind", "hello there", "billing and support")
    jobs.analyze_responses(ids)
    services.add_manual_topic(ids[2], security, None)  # reviewed: a manual tag on an untagged comment
    services.reject_mention(ids[3], support, None)  # reviewed: a phrase tag rejected
    db.session.add(Mention(response_id=ids[1], topic_id=security, source=MentionSource.MODEL, confidence=0.9))
    db.session.commit()
    return {
        "billing": billing,
        "support": support,
        "security": security,
        **{f"r{i}": r for i, r in enumerate(ids)},
    }


def test_training_labels_use_confirmed_tags_never_model_tags(ctx, monkeypatch):
    monkeypatch.setattr(training, "MIN_PER_LABEL", 1)
    w = _label_world()
    examples, stats = training.training_examples()
    by_text = dict(examples)
    assert by_text["hello there"] == [str(w["security"])]  # manual tag
    assert by_text["billing and support"] == [str(w["billing"])]  # rejection removed support
    assert by_text["Support was kind"] == [str(w["support"])]  # weak phrase label; the model tag is ignored
    assert stats["reviewed"] == 2
    monkeypatch.setattr(training, "MIN_REVIEWED", 2)  # enough reviews: only reviewed responses are used
    examples, _ = training.training_examples()
    assert sorted(t for t, _ in examples) == ["billing and support", "hello there"]


def test_training_refuses_with_too_few_examples(ctx):
    with pytest.raises(services.AnalysisError, match="Not enough confirmed tags"):
        training.train_and_install(epochs=1, log=lambda *_: None)


def test_training_installs_a_model_that_workers_load_and_re_tags(ctx, tmp_path, monkeypatch):
    monkeypatch.setitem(ctx.config, "NLP_TOPIC_MODEL_PATH", str(tmp_path / "topic_model"))
    monkeypatch.setattr(training, "MIN_EXAMPLES", 20)
    texts = [f"The billing page double charged us, case {i}" for i in range(15)]
    texts += [f"Support answered my ticket quickly, case {i}" for i in range(15)]
    jobs.analyze_responses(add_responses(*texts))
    before = get_analyzer().version
    info = training.train_and_install(epochs=2, log=lambda *_: None)
    assert info["examples"] == 30 and info["labels"] >= 2
    assert installed_topic_model() == tmp_path / "topic_model" / info["folder"]
    assert db.session.get(Setting, training.SETTING_KEY).value["folder"] == info["folder"]
    after = get_analyzer()
    assert after.version != before and "topics=-" not in after.version
    run = db.session.execute(sa.select(RetagRun)).scalar_one()
    assert run.state == RetagState.DONE and "topic model retrained" in run.reason


def test_the_topics_commands(app, monkeypatch):
    runner = app.test_cli_runner()
    with app.app_context():
        first = runner.invoke(args=["topics", "seed"])
        assert first.exit_code == 0 and "created" in first.output
        assert "exist already" in runner.invoke(args=["topics", "seed"]).output
        add_responses(*GARDEN, "The invoices are wrong")
        tagged = runner.invoke(args=["topics", "tag-pending"])
        assert json.loads(tagged.output)["done"] == 6
        retag = runner.invoke(args=["topics", "retag"])
        assert retag.exit_code == 0 and "done, 6 of 6" in retag.output
        assert "quokka garden" in runner.invoke(args=["topics", "suggest"]).output
        train = runner.invoke(args=["topics", "train", "--epochs", "1"])
        assert train.exit_code == 1 and "Not enough confirmed tags" in train.output
        assert db.session.execute(sa.select(sa.func.count(Topic.id))).scalar_one() > 20
