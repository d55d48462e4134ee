"""The taxonomy in the database: seeding, conversion for the analyser, edits, and analyser rebuilds."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.analysis import pipeline
from app.analysis.editing import (
    TopicError,
    TopicInput,
    create_topic,
    restore_topic,
    retire_topic,
    split_terms,
    update_topic,
)
from app.analysis.pipeline import get_analyzer
from app.analysis.taxonomy_store import current_taxonomy, seed_default_taxonomy, slugify
from app.extensions import db
from app.models import AuditEvent, RetagRun, Topic
from nlp import Taxonomy
from tests.analysis.conftest import topic_id


def test_the_default_taxonomy_is_seeded_once_with_its_tree(app):
    with app.app_context():
        assert seed_default_taxonomy() == len(Taxonomy.default())
        assert seed_default_taxonomy() == 0
        invoices = db.session.get(Topic, topic_id("billing.invoices"))
        assert invoices.parent.key == "billing"
        assert "invoice" in invoices.phrases


def test_the_analyser_taxonomy_uses_row_ids(ctx):
    tax = current_taxonomy()
    invoices = topic_id("billing.invoices")
    spec = tax.get(str(invoices))
    assert spec.name == "Invoices" and spec.parent_id == str(topic_id("billing"))
    assert len(tax) == len(Taxonomy.default())


def test_retired_topics_leave_the_analyser_and_children_move_up(ctx):
    billing = topic_id("billing")
    db.session.get(Topic, billing).is_active = False  # only the parent, as a direct edit would
    db.session.commit()
    tax = current_taxonomy()
    assert str(billing) not in tax
    assert tax.get(str(topic_id("billing.invoices"))).parent_id is None


def test_an_edit_changes_the_version_and_rebuilds_the_analyser_once(ctx):
    first = get_analyzer()
    assert get_analyzer() is first  # nothing changed: the same pipeline
    update_topic(
        topic_id("billing"),
        TopicInput(name="Billing", phrases=["billing", "quokka fee"]),
        actor_id=None,
    )
    second = get_analyzer()
    assert second is not first and second.version != first.version
    assert [m.topic_name for m in second.analyze(["the quokka fee doubled"])[0].mentions] == ["Billing"]
    assert get_analyzer() is second


def test_the_same_content_under_a_new_stamp_keeps_the_pipeline(ctx):
    first = get_analyzer()
    topic = db.session.get(Topic, topic_id("billing"))
    topic.description = topic.description  # an update that changes nothing the analyser uses
    topic.updated_at = topic.updated_at.replace(year=2030)
    db.session.commit()
    assert get_analyzer() is first


def test_a_new_topic_model_rebuilds_the_analyser(ctx, tmp_path, monkeypatch):
    monkeypatch.setitem(ctx.config, "NLP_TOPIC_MODEL_PATH", str(tmp_path))
    first = get_analyzer()
    (tmp_path / "v1").mkdir()
    (tmp_path / "CURRENT").write_text("v1")  # not a loadable model: phrases only, but noticed
    assert pipeline.installed_topic_model() == tmp_path / "v1"
    second = get_analyzer()
    assert second is not first


def test_creating_a_topic_audits_and_queues_a_re_tag(ctx):
    topic = create_topic(
        TopicInput(name="Quokka fees", parent_id=topic_id("billing"), phrases=["quokka fee"]),
        actor_id=None,
    )
    assert topic.key == "billing.quokka-fees"
    events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "topic.create")).scalars()
    assert [e.target_id for e in events] == [str(topic.id)]
    assert db.session.execute(sa.select(sa.func.count(RetagRun.id))).scalar_one() == 1
    assert str(topic.id) in current_taxonomy()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (TopicInput(name="   "), "Give the topic a name"),
        (TopicInput(name="x" * 121), "under 120"),
        (TopicInput(name="Billing"), "already a topic called"),
        (TopicInput(name="New", key="billing"), "key “billing” already exists"),
        (TopicInput(name="New", key="Bad Key!"), "lower-case letters"),
        (TopicInput(name="New", phrases=["the"]), "only common words"),
        (TopicInput(name="New", patterns=["... slow"]), "not valid"),
        (TopicInput(name="New", phrases=["x" * 121]), "too long"),
        (TopicInput(name="New", parent_id=999_999), "active parent"),
    ],
)
def test_bad_topic_input_is_refused_with_a_message(ctx, data, message):
    before = db.session.execute(sa.select(sa.func.count(Topic.id))).scalar_one()
    with pytest.raises(TopicError, match=message):
        create_topic(data, actor_id=None)
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count(Topic.id))).scalar_one() == before


def test_a_topic_cannot_move_under_itself_or_its_child(ctx):
    billing, invoices = topic_id("billing"), topic_id("billing.invoices")
    with pytest.raises(TopicError, match="under itself or one of its own subtopics"):
        update_topic(billing, TopicInput(name="Billing", parent_id=invoices), actor_id=None)
    with pytest.raises(TopicError, match="under itself"):
        update_topic(billing, TopicInput(name="Billing", parent_id=billing), actor_id=None)


def test_retire_takes_the_subtree_and_restore_needs_the_parent(ctx):
    billing, invoices = topic_id("billing"), topic_id("billing.invoices")
    assert retire_topic(billing, actor_id=None) >= 2
    assert str(invoices) not in current_taxonomy()
    with pytest.raises(TopicError, match="Restore its parent"):
        restore_topic(invoices, actor_id=None)
    restore_topic(billing, actor_id=None)
    restore_topic(invoices, actor_id=None)
    assert str(invoices) in current_taxonomy()


def test_terms_are_one_per_line_without_repeats():
    assert split_terms("invoice\n  Invoice \n\nbilling   page\r\n") == ["invoice", "billing page"]
    assert slugify("Billing & Invoices!") == "billing-invoices"
