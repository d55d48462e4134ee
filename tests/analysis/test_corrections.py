"""Correcting the taxonomy: a preview before saving, merges that keep every mention, cycles refused, and
manual corrections that survive a re-tag."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.analysis.editing import TopicError, TopicInput, update_topic
from app.analysis.merging import merge_topics
from app.analysis.preview import preview_edit, preview_merge
from app.analysis.services import add_manual_topic, reject_mention
from app.extensions import db
from app.models import AuditEvent, Mention, Team, Topic
from app.tasks import analysis as jobs
from tests.analysis.conftest import add_responses, topic_id
from tests.helpers import text


def _topic(key: str) -> Topic:
    return db.session.get(Topic, topic_id(key))


def _input(topic: Topic, **changes) -> TopicInput:
    values = {
        "name": topic.name,
        "parent_id": topic.parent_id,
        "phrases": list(topic.phrases),
        "patterns": list(topic.patterns),
        "description": topic.description or "",
    }
    values.update(changes)
    return TopicInput(**values)


def _mentions(topic: int) -> list[tuple[int, str, bool]]:
    rows = db.session.execute(
        sa.select(Mention.response_id, Mention.source, Mention.rejected).where(Mention.topic_id == topic)
    ).all()
    return sorted((r.response_id, r.source.value, r.rejected) for r in rows)


def test_the_preview_lists_comments_that_start_and_stop_matching_and_writes_nothing(ctx):
    ids = add_responses(
        "The invoices are wrong",
        "Invoice totals never add up",
        "We want a kanban view for each project",
        "Kanban is missing",
        "Great onboarding",
    )
    jobs.analyze_responses(ids)
    invoices = _topic("billing.invoices")
    add_manual_topic(ids[4], invoices.id, None)  # a person tagged it: kept whatever the phrases say
    before = (db.session.execute(sa.select(sa.func.count(Mention.id))).scalar_one(), invoices.phrases)
    preview = preview_edit(invoices.id, _input(invoices, phrases=["kanban"], patterns=[]))
    assert preview.error is None and preview.scanned == 5
    assert {r.id for r in preview.start} == {ids[2], ids[3]} and preview.start_count == 2
    assert {r.id for r in preview.stop} == {ids[0], ids[1]} and preview.manual == 1
    db.session.expire_all()
    after = (
        db.session.execute(sa.select(sa.func.count(Mention.id))).scalar_one(),
        _topic("billing.invoices").phrases,
    )
    assert after == before


def test_a_preview_of_a_new_topic_and_of_a_rejected_comment(ctx):
    ids = add_responses("The kanban board is slow", "Kanban boards please", "Nothing to say")
    jobs.analyze_responses(ids)
    preview = preview_edit(None, TopicInput(name="Kanban", phrases=["kanban board"]))
    assert {r.id for r in preview.start} == {ids[0], ids[1]} and preview.stop == []
    billing = _topic("billing")
    reject_mention(ids[0], billing.id, None)
    preview = preview_edit(billing.id, _input(billing, phrases=["kanban board"]))
    assert preview.vetoed == 1 and {r.id for r in preview.start} == {ids[1]}


def test_a_move_says_which_comments_change_parent_and_cycles_are_refused(ctx):
    ids = add_responses("The invoices are wrong")
    jobs.analyze_responses(ids)
    invoices, billing, pricing = _topic("billing.invoices"), _topic("billing"), _topic("pricing")
    preview = preview_edit(invoices.id, _input(invoices, parent_id=pricing.id))
    assert preview.moved == 1 and preview.old_path == "Billing" and preview.new_path == "Pricing"
    refused = preview_edit(billing.id, _input(billing, parent_id=invoices.id))
    assert refused.error and "under itself or one of its own subtopics" in refused.error
    with pytest.raises(TopicError, match="own subtopics"):
        update_topic(billing.id, _input(billing, parent_id=invoices.id), None)
    assert preview_merge(billing.id, invoices.id).error.startswith(
        "A topic cannot be merged into one of its own"
    )


def test_a_merge_keeps_every_mention_and_survives_a_re_tag(ctx):
    ids = add_responses("The invoices are wrong", "Refund took weeks", "Refund and invoice both broken", "Hi")
    jobs.analyze_responses(ids)
    invoices, refunds, billing = _topic("billing.invoices"), _topic("billing.refunds"), _topic("billing")
    add_manual_topic(ids[3], refunds.id, None)  # manual on the source only
    add_manual_topic(ids[2], refunds.id, None)  # manual on both: one row must remain
    add_manual_topic(ids[2], invoices.id, None)
    team = Team(name="Finance squad")
    team.topics = [refunds]
    db.session.add(team)
    db.session.commit()
    source_responses = {r for r, _, rejected in _mentions(refunds.id) if not rejected}
    preview = preview_merge(refunds.id, invoices.id)
    assert preview.start_count == len(source_responses - {ids[0], ids[2]})
    result = merge_topics(refunds.id, invoices.id, None)  # inline: the re-tag runs now
    db.session.expire_all()
    assert result.responses == len(source_responses) == 3
    assert _mentions(refunds.id) == []
    tagged = {r for r, _, rejected in _mentions(invoices.id) if not rejected}
    assert tagged >= source_responses | {ids[0]}  # every response that had either topic has the target
    manual = [(r, s) for r, s, _ in _mentions(invoices.id) if s == "manual"]
    assert sorted(manual) == sorted([(ids[2], "manual"), (ids[3], "manual")])
    source = db.session.get(Topic, refunds.id)
    assert not source.is_active and source.merged_into_id == invoices.id
    assert "refund" in [p.lower() for p in db.session.get(Topic, invoices.id).phrases]
    assert [t.id for t in db.session.get(Team, team.id).topics] == [invoices.id]
    assert db.session.get(Topic, invoices.id).parent_id == billing.id
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "topic.merge")).scalar_one()


def test_after_a_merge_tagging_maps_the_old_topic_to_the_new_one(ctx):
    from app.analysis.tagging import _redirected

    refunds, invoices = _topic("billing.refunds"), _topic("billing.invoices")
    refunds.merged_into_id = invoices.id
    rows = [{"response_id": 1, "topic_id": refunds.id}, {"response_id": 2, "topic_id": refunds.id}]
    from app.analysis.taxonomy_store import merge_redirects

    out = _redirected(rows, merge_redirects(), vetoes={(2, invoices.id)})
    assert out == [{"response_id": 1, "topic_id": invoices.id}]


def test_the_pages_preview_and_merge(app, pm_client, viewer_client):
    from app.analysis.taxonomy_store import ensure_taxonomy

    with app.app_context():  # no context stays pushed while the clients make requests
        ensure_taxonomy()
        jobs.analyze_responses(add_responses("Kanban is missing", "The invoices are wrong"))
        invoices, refunds, billing = (
            topic_id("billing.invoices"),
            topic_id("billing.refunds"),
            topic_id("billing"),
        )
    form = {"name": "Invoices", "parent_id": billing, "phrases": "kanban", "patterns": ""}
    fragment = pm_client.post(
        f"/topics/{invoices}/preview",
        data=form,
        headers={"X-Requested-With": "fetch"},
        page=f"/topics/{invoices}",
    )
    assert (
        fragment.status_code == 200
        and "1 start matching" in text(fragment)
        and "Kanban is missing" in text(fragment)
    )
    assert "<html" not in fragment.get_data(as_text=True)
    full = pm_client.post(f"/topics/{invoices}/preview", data=form)
    assert "Before you save" in text(full) and "1 stop matching" in text(full)
    new = pm_client.post(
        "/topics/preview",
        data={"name": "Kanban", "phrases": "kanban", "parent_id": "0"},
        headers={"X-Requested-With": "fetch"},
        page="/topics",
    )
    assert "1 start matching" in text(new)
    page = pm_client.get(f"/topics/{refunds}/merge?into={invoices}")
    assert page.status_code == 200 and "What changes" in text(page)
    assert pm_client.post(f"/topics/{refunds}/merge", data={"into": refunds}).status_code == 422
    assert pm_client.post(f"/topics/{refunds}/merge", data={"into": invoices}).status_code == 303
    with app.app_context():
        assert db.session.get(Topic, refunds).merged_into_id == invoices
    for path in (f"/topics/{invoices}/preview", "/topics/preview", f"/topics/{invoices}/merge"):
        assert viewer_client.post(path, data=form, csrf="session").status_code == 403
    assert viewer_client.get(f"/topics/{invoices}/merge").status_code == 403


def test_suggestions_need_five_comments_from_three_accounts_and_show_redacted_examples(ctx):
    from app.analysis.suggestions import refresh_suggestions
    from tests.factories import make_account, make_contact, make_response, make_survey

    survey = make_survey()
    accounts = [make_account() for _ in range(3)]
    ana = make_contact(accounts[0], name="Ana Quist", email="ana.quist@example.com")
    texts = [
        "Our quokka garden stalls, mail ana.quist@example.com or ask Ana Quist",
        "The quokka garden is purple",
        "Please fix the quokka garden",
        "the quokka garden again",
        "our quokka garden needs colours",
    ]
    ids = []
    for i, comment in enumerate(texts):
        account = accounts[0] if i < 3 else accounts[i - 2]  # three accounts in all
        contact = ana if i == 0 else None
        ids.append(
            make_response(
                survey, comment=comment, account_id=account.id, contact_id=contact.id if contact else None
            ).id
        )
    for _ in range(5):  # one account's rant about another thing
        ids.append(make_response(survey, comment="The wombat chart is slow", account_id=accounts[1].id).id)
    db.session.commit()
    jobs.analyze_responses(ids)
    items = {i["label"]: i for i in refresh_suggestions()["items"]}
    assert "wombat chart" not in items
    garden = items["quokka garden"]
    assert garden["count"] == 5 and garden["groups"] == 3
    joined = " ".join(garden["examples"])
    assert "ana.quist@example.com" not in joined and "Ana Quist" not in joined
