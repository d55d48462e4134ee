"""The tagging job: its writes, idempotence, manual tags, stale snapshots, truncation, poison comments."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.analysis import dispatch, services
from app.analysis.pipeline import get_analyzer
from app.analysis.tagging import MAX_ATTEMPTS
from app.extensions import db
from app.models import AnalysisState, Mention, MentionSource, Response
from app.tasks import analysis as jobs
from tests.analysis.conftest import add_responses, backdate, mentions_of, state_of, topic_id

MIXED = "Onboarding was smooth but invoices are wrong every month"


def test_a_comment_gets_sentiment_topics_and_evidence(ctx):
    (rid,) = add_responses(MIXED)
    services.enqueue_tagging([rid])  # inline in the embedded default
    response = state_of(rid)
    assert response.analysis_state == AnalysisState.DONE
    # "but" weighs what follows: the complaint about invoices decides the whole comment
    assert response.sentiment_label == "negative" and -0.7 < response.sentiment_score < -0.3
    assert response.language == "en"
    assert response.analyzer_version == get_analyzer().version
    assert response.analyzed_at is not None
    assert set(response.analysis) >= {"sentences", "keyphrases", "explanation", "truncated"}
    by_topic = {m.topic.key: m for m in response.mentions}
    assert set(by_topic) == {"onboarding", "billing.invoices"}
    assert by_topic["onboarding"].sentiment_label == "positive"
    assert by_topic["billing.invoices"].sentiment_label == "negative"
    invoices = by_topic["billing.invoices"]
    assert MIXED[invoices.start : invoices.end].lower().startswith("invoice")
    assert all(m.source == MentionSource.PHRASE for m in response.mentions)


def test_the_clause_after_but_decides_the_stored_sentiment_in_both_orders(ctx):
    praise_last = "Invoices are wrong every month but onboarding was smooth"
    rid_neg, rid_pos = add_responses(MIXED, praise_last)
    services.enqueue_tagging([rid_neg, rid_pos])
    assert state_of(rid_neg).sentiment_label == "negative" and state_of(rid_neg).sentiment_score < 0
    assert state_of(rid_pos).sentiment_label == "positive" and state_of(rid_pos).sentiment_score > 0


def test_a_response_without_a_comment_is_skipped(ctx):
    empty, blank = add_responses(None, "   ")
    services.enqueue_tagging([empty, blank])
    assert state_of(empty).analysis_state == AnalysisState.SKIPPED
    assert state_of(blank).analysis_state == AnalysisState.SKIPPED


def test_running_the_job_twice_gives_the_same_rows(ctx):
    ids = add_responses(MIXED, "The billing page is slow and support never answers", "Great tool")
    jobs.analyze_responses(ids)
    first = {rid: mentions_of(rid) for rid in ids}
    versions = {rid: state_of(rid).analyzed_at for rid in ids}
    jobs.analyze_responses(ids)  # nothing pending any more: a no-op
    assert {rid: mentions_of(rid) for rid in ids} == first
    assert {rid: state_of(rid).analyzed_at for rid in ids} == versions
    # A forced re-analysis (the comment re-requested) replaces the automatic tags without duplicating them.
    for rid in ids:
        services.request_analysis(state_of(rid))
    db.session.commit()
    jobs.analyze_responses(ids)
    jobs.analyze_responses(ids)
    assert {rid: mentions_of(rid) for rid in ids} == first
    assert first[ids[0]], "the mixed comment has topics"


def test_manual_tags_are_kept_and_rejections_respected_on_re_tag(ctx):
    (rid,) = add_responses(MIXED)
    jobs.analyze_responses([rid])
    onboarding, invoices, security = (
        topic_id("onboarding"),
        topic_id("billing.invoices"),
        topic_id("security"),
    )
    services.add_manual_topic(rid, security, actor_id=None)
    services.reject_mention(rid, invoices, actor_id=None)
    assert {m[0] for m in mentions_of(rid) if not m[2]} == {onboarding, security}

    services.request_analysis(state_of(rid))
    db.session.commit()
    jobs.analyze_responses([rid])
    rows = mentions_of(rid)
    assert (security, "manual", False, None, None) in rows
    assert (invoices, "manual", True, None, None) in rows
    assert not [m for m in rows if m[0] == invoices and m[1] != "manual"], "a rejected topic came back"
    assert [m for m in rows if m[0] == onboarding and m[1] == "phrase"]

    services.remove_manual_tag(rid, invoices, actor_id=None)  # lifting the veto re-tags: the topic returns
    assert [m for m in mentions_of(rid) if m[0] == invoices and m[1] == "phrase"]


def test_manual_tagging_refuses_unknown_rows_and_topics(ctx):
    (rid,) = add_responses("fine")
    with pytest.raises(services.AnalysisError, match="does not exist"):
        services.add_manual_topic(999_999, topic_id("billing"), None)
    with pytest.raises(services.AnalysisError, match="active topic"):
        services.add_manual_topic(rid, 999_999, None)
    with pytest.raises(services.AnalysisError, match="no manual tag"):
        services.remove_manual_tag(rid, topic_id("billing"), None)


def test_a_comment_edited_while_it_was_analysed_is_not_marked_done(ctx, monkeypatch):
    (rid,) = add_responses("The invoices are wrong")
    analyzer = get_analyzer()
    real = analyzer.analyze

    def edit_meanwhile(texts, languages=None):
        response = db.session.get(Response, rid)
        response.comment = "Support was wonderful"
        services.request_analysis(response)
        db.session.commit()
        return real(texts, languages)

    monkeypatch.setattr(analyzer, "analyze", edit_meanwhile)
    outcome = dispatch.tag_ids([rid])
    assert outcome.changed == [rid]
    response = state_of(rid)
    assert response.analysis_state == AnalysisState.PENDING
    assert mentions_of(rid) == []
    monkeypatch.setattr(analyzer, "analyze", real)
    jobs.analyze_responses([rid])
    assert {m[0] for m in mentions_of(rid)} == {topic_id("support")}


def test_a_100_kb_comment_is_analysed_truncated(ctx):
    comment = "The invoices are wrong. " + "word " * 20_000 + " the onboarding was great"
    assert len(comment) > 100_000
    (rid,) = add_responses(comment)
    jobs.analyze_responses([rid])
    response = state_of(rid)
    assert response.analysis_state == AnalysisState.DONE
    assert response.analysis["truncated"] is True
    assert {m.topic.key for m in response.mentions} == {"billing.invoices"}  # the tail was cut off
    assert all(m.end <= 10_000 for m in response.mentions)


def _poisoned(monkeypatch):
    analyzer = get_analyzer()
    real = analyzer.analyze

    def analyze(texts, languages=None):
        if any("POISON" in t for t in texts):
            raise RuntimeError("analyser exploded")
        return real(texts, languages)

    monkeypatch.setattr(analyzer, "analyze", analyze)


def test_a_poison_comment_is_isolated_retried_then_failed_visibly(ctx, monkeypatch):
    _poisoned(monkeypatch)
    good1, poison, good2 = add_responses("Invoices are wrong", "POISON pill", "Support was great")
    services.enqueue_tagging([good1, poison, good2])
    assert state_of(good1).analysis_state == AnalysisState.DONE
    assert state_of(good2).analysis_state == AnalysisState.DONE
    response = state_of(poison)
    assert (response.analysis_state, response.analysis_attempts) == (AnalysisState.PENDING, 1)
    assert "analyser exploded" in response.analysis_error

    for attempt in range(2, MAX_ATTEMPTS + 1):  # the sweeper brings it back until the cap
        backdate([poison])
        assert jobs.sweep_pending_analysis()["pending"] == 1
        assert state_of(poison).analysis_attempts == attempt
    response = state_of(poison)
    assert response.analysis_state == AnalysisState.FAILED
    assert "RuntimeError: analyser exploded" in response.analysis_error
    backdate([poison])
    assert jobs.sweep_pending_analysis()["pending"] == 0  # never re-enqueued endlessly
    assert state_of(good1).analysis_state == AnalysisState.DONE


def test_suspects_are_tagged_alone_so_neighbours_are_not_failed(ctx, monkeypatch):
    ids = add_responses("Invoices are wrong", "POISON pill", "Support was great")
    db.session.execute(sa.update(Response).where(Response.id.in_(ids)).values(analysis_attempts=1))
    db.session.commit()
    _poisoned(monkeypatch)
    jobs.analyze_responses(ids)  # the batch splits: each suspect runs as its own (inline) job
    assert [state_of(i).analysis_state for i in ids] == [
        AnalysisState.DONE,
        AnalysisState.PENDING,
        AnalysisState.DONE,
    ]
    assert state_of(ids[1]).analysis_attempts == 2
    from rq.job import Job

    from app.queue import redis_connection

    assert Job.fetch(f"analysis-one-{ids[1]}", connection=redis_connection()).func_name.endswith(
        "analyze_responses"
    )


def test_a_job_that_dies_counts_an_attempt_on_its_pending_rows(ctx, monkeypatch):
    ids = add_responses("Invoices are wrong", "Support was great")
    slow = TimeoutError("slow")
    monkeypatch.setattr(dispatch, "analyse_snapshots", lambda *a, **k: (_ for _ in ()).throw(slow))
    services.enqueue_tagging(ids)  # inline: RQ runs the failure callback at once
    for rid in ids:
        response = state_of(rid)
        assert response.analysis_state == AnalysisState.PENDING
        assert response.analysis_attempts == 1
        assert response.analysis_error == "TimeoutError: slow"


def test_a_broken_analyser_fails_the_job_not_every_comment(ctx, monkeypatch):
    ids = add_responses("one", "two", "three")
    monkeypatch.setattr(get_analyzer(), "analyze", lambda texts, languages=None: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        jobs.analyze_responses(ids)
    assert all(state_of(i).analysis_state == AnalysisState.PENDING for i in ids)


def test_mentions_have_no_duplicates_after_many_runs(ctx):
    ids = add_responses(*[f"{MIXED} #{i}" for i in range(30)])
    for _ in range(3):
        for rid in ids:
            services.request_analysis(state_of(rid))
        db.session.commit()
        jobs.analyze_responses(ids)
    dupes = db.session.execute(
        sa.select(Mention.response_id, Mention.topic_id, Mention.start, sa.func.count())
        .where(Mention.response_id.in_(ids))
        .group_by(Mention.response_id, Mention.topic_id, Mention.start)
        .having(sa.func.count() > 1)
    ).all()
    assert dupes == []


def test_the_hand_off_never_fails_when_redis_is_down(app, database_uri, caplog):
    from app import create_app
    from tests.conftest import test_config

    down = create_app({**test_config(database_uri), "REDIS_URL": "redis://127.0.0.1:1/0"})
    with down.app_context():
        services.enqueue_tagging([1, 2, 3])  # nothing raised: the rows stay pending for the sweeper
    assert "the sweeper will pick it up" in caplog.text


def test_a_batch_is_written_in_one_statement_per_table_with_the_orm_s_values(ctx):
    """Issue 18 §3: each table of a batch gets one statement (PostgreSQL: one multi-row statement, never a
    row-by-row executemany); the values read back are the ones the ORM would have written."""
    from sqlalchemy import event

    ids = add_responses(*[f"{MIXED} Ticket {i}." for i in range(12)])
    seen: list[tuple[str, bool]] = []

    def record(conn, cursor, statement, params, context, executemany):
        words = statement.split()
        if words[0] in ("INSERT", "UPDATE"):
            seen.append((" ".join(words[:3]), executemany))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        jobs.analyze_responses(ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    tables = ("INSERT INTO mentions", "INSERT INTO response_intents", "UPDATE responses SET")
    writes = [(s, many) for s, many in seen if s in tables]
    assert sorted(s for s, _ in writes) == sorted({s for s, _ in writes}), seen  # one per table and batch
    assert {"INSERT INTO mentions", "UPDATE responses SET"} <= {s for s, _ in writes}
    if db.engine.dialect.name == "postgresql":
        assert not any(many for _, many in writes), "PostgreSQL: multi-row statements, not executemany"
    for rid in ids:
        response = state_of(rid)
        assert response.analysis_state == AnalysisState.DONE and response.language == "en"
        assert response.analyzed_at.tzinfo is not None and response.updated_at >= response.analyzed_at
        assert response.analysis["sentences"] and isinstance(response.analysis["truncated"], bool)
        assert {m.topic.key for m in response.mentions} >= {"onboarding", "billing.invoices"}
        assert all(m.created_at == response.analyzed_at and not m.rejected for m in response.mentions)


def test_the_survey_language_is_stated_to_the_analyser(ctx):
    """A comment too short to tell its language is analysed in the language the survey was answered in;
    a comment clearly in another language is still detected."""
    from tests.factories import make_response, make_survey

    survey = make_survey()
    ids = [
        make_response(survey, comment="Top!", locale="fr").id,
        make_response(survey, comment="Top!", locale="en").id,
        make_response(survey, comment="The export to Excel is broken.", locale="de").id,
    ]
    db.session.commit()
    services.enqueue_tagging(ids)
    assert [state_of(i).language for i in ids] == ["fr", "en", "en"]
    assert all(state_of(i).analysis_state == AnalysisState.DONE for i in ids)
