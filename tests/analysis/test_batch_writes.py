"""A tagging batch's write (issue 18 §3): PostgreSQL writes each table from one JSON parameter
(``json_to_recordset``), and a job writes batch k on a connection of its own while it analyses batch k+1
(``BatchWriter``). Both must store exactly what a row-by-row write stores, on both databases; a failed
aside write fails the job with nothing half-written, and the rest is tagged once on the next run."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from app.analysis import tagging
from app.analysis.dispatch import tag_ids
from app.analysis.taxonomy_store import ensure_taxonomy
from app.extensions import db
from app.models import AnalysisState, Mention, Response, ResponseIntent, Topic
from tests.analysis.conftest import add_responses

COMMENTS = [
    "Onboarding was smooth but invoices are wrong every month.",
    "The dashboard keeps crashing. Please add an export to Excel?",
    "Support took 5 days to answer; we are thinking about cancelling.",
    None,  # nothing to tag: skipped
    "Love it!!!",
    "The API docs are outdated and the SSO login fails on Mondays.",
    "ok",
]


def _stored(ids: list[int]) -> list[dict[str, Any]]:
    """What tagging stored for these responses, in order, without ids and times (compared across copies)."""
    db.session.expire_all()
    keys = {}
    for row in db.session.execute(sa.select(Topic.id, Topic.key)):
        keys[row.id] = row.key
    out = []
    for rid in ids:
        r = db.session.get(Response, rid)
        mentions = db.session.execute(sa.select(Mention).where(Mention.response_id == rid)).scalars().all()
        intents = (
            db.session.execute(sa.select(ResponseIntent).where(ResponseIntent.response_id == rid))
            .scalars()
            .all()
        )
        assert all(m.created_at == r.analyzed_at for m in mentions)
        assert all(i.created_at == r.analyzed_at for i in intents)
        assert r.analyzed_at is not None
        assert r.analysis_state != AnalysisState.DONE or r.updated_at == r.analyzed_at
        out.append(
            {
                "state": r.analysis_state,
                "sentiment": (r.sentiment_label, r.sentiment_score),
                "language": r.language,
                "version": r.analyzer_version,
                "analysis": r.analysis,
                "error": (r.analysis_error, r.analysis_attempts),
                "mentions": sorted(
                    (
                        keys[m.topic_id],
                        m.source.value,
                        m.rejected,
                        m.sentiment_label,
                        m.sentiment_score,
                        m.start,
                        m.end,
                        m.confidence,
                        m.intent,
                        m.created_by_id,
                    )
                    for m in mentions
                ),
                "intents": sorted((i.label, i.score, i.sentence_index, i.start, i.end) for i in intents),
            }
        )
    return out


def _row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Write every batch row by row through SQLAlchemy: the reference the batch statements must equal."""

    def update(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            values = {k: v for k, v in row.items() if k != "id"}
            db.session.execute(sa.update(Response).where(Response.id == row["id"]).values(**values))

    def insert(table: sa.Table, rows: list[dict[str, Any]], update_rows: bool = False) -> None:
        if update_rows:
            return update(rows)
        for row in rows:
            db.session.execute(table.insert().values(**row))
        return None

    monkeypatch.setattr(tagging, "_update_done_postgres", update)
    monkeypatch.setattr(tagging, "_insert_postgres", insert)
    monkeypatch.setattr(tagging, "_json_writes", lambda: False)  # SQLite: through _executemany, patched here
    monkeypatch.setattr(
        tagging, "_executemany", lambda table, rows, update=False: insert(table, rows, update)
    )


def test_a_batch_write_stores_what_a_row_by_row_write_stores(ctx, monkeypatch):
    batch = add_responses(*COMMENTS)
    assert tag_ids(batch).counts()["done"] == len(COMMENTS) - 1
    with monkeypatch.context() as patch:
        _row_by_row(patch)
        reference = add_responses(*COMMENTS)
        tag_ids(reference)
    with monkeypatch.context() as patch:  # SQLite whose JSON numbers are not exact: the executemany fallback
        patch.setattr(tagging, "_json_writes", lambda: False)
        fallback = add_responses(*COMMENTS)
        tag_ids(fallback)
    stored = _stored(batch)
    assert stored == _stored(reference)
    assert stored == _stored(fallback)
    assert stored[0]["mentions"] and stored[1]["intents"] and stored[3]["state"] == AnalysisState.SKIPPED


def test_rows_are_built_from_to_dict_without_the_result_s_item_objects(ctx, monkeypatch):
    """The writer reads each result once through ``to_dict()`` (built straight from the analyser's compact
    rows); the per-item objects that ``.mentions``, ``.sentences``, ``.explanation`` and ``.intents`` build
    on every access are never made, and what is stored is the same."""
    from nlp.results import CompactAnalysis

    reference = add_responses(*COMMENTS)
    tag_ids(reference)

    def unused(self):
        raise AssertionError("built per-item objects")

    for name in ("mentions", "sentences", "explanation", "intents"):
        monkeypatch.setattr(CompactAnalysis, name, property(unused))
    batch = add_responses(*COMMENTS)
    assert tag_ids(batch).counts()["done"] == len(COMMENTS) - 1
    assert _stored(batch) == _stored(reference)


def test_json_cannot_carry_nan_so_such_a_batch_takes_the_array_path(ctx):
    assert tagging._recordset_document([{"a": float("nan")}]) is None
    assert tagging._recordset_document([{"a": 1.5, "b": None}]) == '[{"a":1.5,"b":null}]'
    if db.session.get_bind().dialect.name != "postgresql":
        return
    (rid,) = add_responses("The invoices are wrong every month.")
    topic = db.session.execute(sa.select(Topic.id).limit(1)).scalar_one()
    now = tagging.utcnow()
    rows = [
        {
            "response_id": rid,
            "topic_id": topic,
            "source": tagging.MentionSource.PHRASE,
            "rejected": False,
            "sentiment_label": "neutral",
            "sentiment_score": score,
            "start": 0,
            "end": 3,
            "confidence": 0.5,
            "intent": None,
            "created_at": now,
        }
        for score in (float("nan"), 0.25)
    ]
    tagging._insert_postgres(Mention.__table__, rows)
    scores = db.session.execute(
        sa.select(Mention.sentiment_score).where(Mention.response_id == rid)
    ).scalars()
    assert sorted(str(s) for s in scores) == ["0.25", "nan"]


def test_a_test_s_single_connection_is_never_written_aside(ctx):
    """The rolled-back test transaction is one connection: a second one would not see its rows."""
    assert not tagging.can_write_aside()


@pytest.mark.committed
class TestWrittenAside:
    """Committed for real: the writer's own connection sees the rows, as in a worker."""

    def _tag(self, app, monkeypatch, overlap: bool) -> tuple[list[int], set[str]]:
        app.config["NLP_BATCH_SIZE"] = 2
        app.config["NLP_WRITE_OVERLAP"] = overlap
        writers: set[str] = set()

        def record(conn, cursor, statement, params, context, executemany):
            if statement.startswith("UPDATE responses SET"):
                writers.add(threading.current_thread().name)

        with app.app_context():
            ensure_taxonomy()
            ids = add_responses(*COMMENTS)
            sa.event.listen(db.engine, "before_cursor_execute", record)
            try:
                assert tagging.can_write_aside() is overlap
                outcome = tag_ids(ids)
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", record)
            assert sorted(outcome.done + outcome.skipped) == ids and not outcome.changed
        return ids, writers

    def test_batches_written_aside_equal_batches_written_in_line(self, app, monkeypatch):
        try:
            aside, aside_threads = self._tag(app, monkeypatch, overlap=True)
            in_line, in_line_threads = self._tag(app, monkeypatch, overlap=False)
        finally:
            app.config["NLP_BATCH_SIZE"] = 256
            app.config["NLP_WRITE_OVERLAP"] = True
        assert aside_threads == {"tagging-writer"}  # every batch's write ran aside
        assert in_line_threads == {threading.current_thread().name}
        with app.app_context():
            assert _stored(aside) == _stored(in_line)
            db.session.remove()

    def test_a_failed_aside_write_fails_the_job_and_a_rerun_tags_the_rest_once(self, app, monkeypatch):
        app.config["NLP_BATCH_SIZE"] = 2
        real = tagging.write_results
        calls: list[list[int]] = []

        def second_fails(version, snapshots, results, retag=False):
            calls.append([s.id for s in snapshots])
            if len(calls) == 2:
                db.session.execute(sa.update(Response).where(Response.id == snapshots[0].id).values(score=1))
                raise RuntimeError("database gone mid-batch")
            return real(version, snapshots, results, retag)

        try:
            with app.app_context():
                ensure_taxonomy()
                ids = add_responses(*COMMENTS)
                monkeypatch.setattr(tagging, "write_results", second_fails)
                with pytest.raises(RuntimeError, match="database gone"):
                    tag_ids(ids)
                db.session.rollback()
                states = dict(db.session.execute(sa.select(Response.id, Response.analysis_state)).all())
                assert [states[i] for i in calls[0]] == [AnalysisState.DONE] * 2  # committed before
                assert {states[i] for i in ids[2:]} == {AnalysisState.PENDING}  # nothing half-written
                assert db.session.get(Response, calls[1][0]).score != 1  # the failed batch rolled back
                monkeypatch.setattr(tagging, "write_results", real)
                again = tag_ids(ids)
                assert sorted(again.done + again.skipped) == ids[2:]
                assert tag_ids(ids).counts()["done"] == 0  # idempotent: nothing left to tag
                stored = _stored(ids)
                db.session.remove()
            in_line, _ = self._tag(app, monkeypatch, overlap=False)
            with app.app_context():
                assert stored == _stored(in_line)  # each response's tags exactly once
                db.session.remove()
        finally:
            app.config["NLP_BATCH_SIZE"] = 256
            app.config["NLP_WRITE_OVERLAP"] = True


def test_a_batch_s_ids_travel_as_one_parameter(ctx):
    """The batch statements that select rows by id (lock, vetoes, clearing) carry the ids as one parameter
    (an array on PostgreSQL, a JSON text on SQLite), not one rendered placeholder per id."""
    ids = add_responses(*COMMENTS)
    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not executemany:
            seen.append((statement, parameters))

    engine = db.session.get_bind()
    engine = getattr(engine, "engine", engine)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert tag_ids(ids).counts()["done"] == len(COMMENTS) - 1
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert any(str(ids[0]) in str(parameters) for _, parameters in seen)
    for statement, parameters in seen:
        values = parameters.values() if isinstance(parameters, dict) else parameters
        assert len([v for v in values if isinstance(v, int) and v in ids]) <= 1, statement


def test_a_job_reads_its_rows_once_however_many_batches(ctx, monkeypatch):
    """One snapshot read per job: a sparse bucket is one short batch, not a read per NLP_BATCH_SIZE ids."""
    monkeypatch.setitem(ctx.config, "NLP_BATCH_SIZE", 2)
    ids = add_responses(*COMMENTS)
    reads = []

    def record(conn, cursor, statement, params, context, executemany):
        snapshot = (
            statement.startswith("SELECT responses.id, responses.comment") and "FOR UPDATE" not in statement
        )
        if snapshot and "analysis_state =" in statement.partition("WHERE")[2]:  # pending rows: load_snapshots
            reads.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        outcome = tag_ids([*ids, *range(ids[-1] + 1, ids[-1] + 500)])  # and ids of no row
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert sorted(outcome.done + outcome.skipped) == ids
    assert len(reads) == 1
