"""A tagging batch's rows are built by the analysing thread as tuples (``prepare_rows``) and written by the
writer in one statement per table (SQLite: over one JSON parameter). What is stored must be exactly what
the row-by-row write through SQLAlchemy stored before (issue 18 §3): every column of ``responses``,
``mentions``, ``response_intents`` and ``topic_hits``, compared as the database holds them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from app.analysis import tagging
from app.analysis.convert import sentence_intents
from app.analysis.pipeline import get_analyzer
from app.analysis.taxonomy_store import merge_redirects
from app.extensions import db
from app.insights import services as insights
from app.models import INTENTS, AnalysisState, Mention, MentionSource, Response, ResponseIntent, Topic
from tests.analysis.conftest import add_responses, topic_id

COMMENTS = [
    "Onboarding was smooth but invoices are wrong every month.",
    "The dashboard keeps crashing. Please add an export to Excel?",
    "Support took 5 days to answer; we are thinking about cancelling.",
    None,
    "Love it!!! Die Rechnung ist falsch, c'est très cher – 20 € de plus.",
    "The API docs are outdated and the SSO login fails on Mondays.",
    "ok",
]
NOW = datetime(2026, 12, 7, 20, 45, 1, 123456, tzinfo=tagging.utcnow().tzinfo)


def _reference_write(version: str, snapshots: list[tagging.Snapshot], results: dict) -> None:
    """The write as it was before the prepared rows: dicts per row, each value through SQLAlchemy."""
    vetoes = {
        (r, t)
        for r, t in db.session.execute(
            sa.select(Mention.response_id, Mention.topic_id).where(
                Mention.source == MentionSource.MANUAL, Mention.rejected.is_(True)
            )
        )
    }
    known = set(db.session.execute(sa.select(Topic.id)).scalars())
    redirects = merge_redirects()
    ids = [s.id for s in snapshots]
    insights.defer_topic_hits()
    db.session.execute(
        sa.delete(Mention).where(Mention.response_id.in_(ids), Mention.source != MentionSource.MANUAL)
    )
    db.session.execute(sa.delete(ResponseIntent).where(ResponseIntent.response_id.in_(ids)))
    for snap in snapshots:
        result = results[snap.id]
        if result is None:
            db.session.execute(
                sa.update(Response)
                .where(Response.id == snap.id)
                .values(
                    analysis_state=AnalysisState.SKIPPED,
                    sentiment_label=None,
                    sentiment_score=None,
                    analysis={},
                    analyzed_at=NOW,
                    analysis_error=None,
                    analysis_attempts=0,
                )
            )
            continue
        data = result.to_dict()
        db.session.execute(
            sa.update(Response)
            .where(Response.id == snap.id)
            .values(
                sentiment_label=result.sentiment.label,
                sentiment_score=float(result.sentiment.score),
                language=(result.language or "und")[:8],
                analyzer_version=version[:64],
                analysis={
                    "sentences": data["sentences"],
                    "keyphrases": data["keyphrases"],
                    "explanation": data["explanation"],
                    "truncated": bool(result.truncated),
                },
                analyzed_at=NOW,
                updated_at=NOW,
                analysis_state=AnalysisState.DONE,
                analysis_error=None,
                analysis_attempts=0,
            )
        )
        by_sentence = sentence_intents(data)
        spans = [(s["start"], s["end"]) for s in data["sentences"]]
        for m in data["mentions"]:
            topic = int(m["topic_id"])
            if topic not in known or (snap.id, topic) in vetoes:
                continue
            topic = redirects.get(topic, topic)
            if (snap.id, topic) in vetoes:
                continue
            sentence = next((k for k, (a, b) in enumerate(spans) if a <= m["start"] < b), None)
            db.session.execute(
                sa.insert(Mention).values(
                    response_id=snap.id,
                    topic_id=topic,
                    source=MentionSource.MODEL if m["source"] == "model" else MentionSource.PHRASE,
                    rejected=False,
                    sentiment_label=m["sentiment"]["label"],
                    sentiment_score=float(m["sentiment"]["score"]),
                    start=m["start"],
                    end=m["end"],
                    confidence=min(1.0, max(0.0, float(m["confidence"]))),
                    intent=by_sentence.get(sentence),
                    created_at=NOW,
                )
            )
        for i in data["intents"]:
            if i["label"] in INTENTS:
                db.session.execute(
                    sa.insert(ResponseIntent).values(
                        response_id=snap.id,
                        label=i["label"],
                        score=min(1.0, max(0.0, float(i["score"]))),
                        sentence_index=i["sentence"],
                        start=i["start"],
                        end=i["end"],
                        created_at=NOW,
                    )
                )
    insights.refresh_topic_hits(ids)
    db.session.commit()


def _raw(ids: list[int]) -> dict[str, list[tuple]]:
    """Every column of the tagged tables as stored (driver values), by position of the response in
    ``ids``; row ids left out (they differ between the two copies) and rows sorted."""
    conn = db.session.connection()
    where = "IN (" + ", ".join(str(i) for i in ids) + ")"
    position = {rid: k for k, rid in enumerate(ids)}
    out = {}
    skip = {"id", "created_at", "submission_id", "analysis_requested_at", "survey_id"}
    for table, key in (
        ("responses", "id"),
        ("mentions", "response_id"),
        ("response_intents", "response_id"),
        ("topic_hits", "response_id"),
    ):
        result = conn.exec_driver_sql(f"SELECT * FROM {table} WHERE {key} {where}")
        names = list(result.keys())
        rows = []
        for row in result:
            values = dict(zip(names, row, strict=True))
            rid = values[key]
            kept = {n: v for n, v in values.items() if n not in skip and n != key}
            if table in ("mentions", "response_intents") and values.get("source") != "manual":
                kept["created_at"] = values["created_at"]  # tagging's time (topic_hits: the response's)
            if values.get("analysis_state") == "skipped":
                del kept["updated_at"]  # the ORM's onupdate time, in both writes
            rows.append((position[rid], tuple(sorted(kept.items(), key=lambda kv: kv[0]))))
        out[table] = sorted(rows, key=repr)
    return out


def _tag_both_ways(
    monkeypatch: pytest.MonkeyPatch, rejected: tuple[tuple[int, int], ...] = (), analyzer: Any = None
) -> tuple[dict, dict]:
    """Tag a copy of COMMENTS each way; ``rejected``: (comment index, topic) a person rejected."""
    monkeypatch.setattr(tagging, "utcnow", lambda: NOW)
    analyzer = analyzer or get_analyzer()
    stored = []
    for write in (tagging.write_results, _reference_write):
        ids = add_responses(*COMMENTS)
        for k, topic in rejected:
            db.session.add(
                Mention(response_id=ids[k], topic_id=topic, source=MentionSource.MANUAL, rejected=True)
            )
        db.session.commit()
        snapshots = tagging.load_snapshots(ids)
        results = tagging.analyse_snapshots(analyzer, snapshots)
        write(analyzer.version, snapshots, results)
        stored.append(_raw(ids))
    return stored[0], stored[1]


def test_prepared_rows_store_exactly_what_sqlalchemy_stored(ctx, monkeypatch):
    new, reference = _tag_both_ways(monkeypatch)
    assert new == reference
    assert new["mentions"] and new["response_intents"] and new["topic_hits"]


def test_merged_and_vetoed_topics_are_written_as_before(ctx, monkeypatch):
    """A merge redirect (the analyser was built before the merge) and a person's rejection (of the topic a
    merged one moves to) apply to the prepared rows as they did to the dicts."""
    analyzer = get_analyzer()
    billing, invoices = topic_id("billing"), topic_id("billing.invoices")
    db.session.execute(sa.update(Topic).where(Topic.id == invoices).values(merged_into_id=billing))
    db.session.commit()
    plain, _ = _tag_both_ways(monkeypatch, analyzer=analyzer)
    vetoes = ((0, billing), (1, topic_id("reporting.dashboards")))
    new, reference = _tag_both_ways(monkeypatch, vetoes, analyzer)
    assert new == reference
    assert any(("topic_id", billing) in m for k, m in plain["mentions"] if k == 0)  # invoices' moved
    automatic = [m for k, m in new["mentions"] if k == 0 and ("source", "manual") not in m]
    assert automatic and all(("topic_id", billing) not in m for m in automatic)  # then vetoed


def test_sqlite_reads_back_json_numbers_exactly(ctx):
    """The doubles SQLite 3.40's own text conversion gets wrong come back exactly through JSON (else the
    writer would fall back to executemany)."""
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's JSON writes")
    assert tagging._json_writes()
    document = "[[0.707056753354459], [0.940030237150629]]"
    got = db.session.connection().exec_driver_sql(
        "SELECT json_extract(value, '$[0]') FROM json_each(?)", (document,)
    )
    assert [r[0] for r in got] == [0.707056753354459, 0.940030237150629]


def test_sqlite_writes_each_table_in_one_statement(ctx):
    """No executemany: the driver would release and re-take the GIL around every row."""
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's JSON writes")
    ids = add_responses(*COMMENTS)
    seen: list[tuple[str, bool]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        seen.append((statement.split("(")[0].strip(), many))

    engine = db.session.get_bind()
    engine = getattr(engine, "engine", engine)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        snapshots = tagging.load_snapshots(ids)
        tagging.tag_snapshots(get_analyzer(), snapshots)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert not [s for s, many in seen if many]
    inserts = [
        s for s, _ in seen if s.startswith("INSERT INTO mentions") or s.startswith("INSERT INTO response_")
    ]
    assert len(inserts) == 2


@pytest.mark.committed
def test_a_job_written_aside_runs_with_a_short_gil_switch_interval(app, monkeypatch):
    """The writer thread takes the GIL back after every statement: with Python's 5 ms interval it waited
    up to that long each time while the analyser computed. The interpreter's interval comes back after."""
    import sys

    from app.analysis import dispatch
    from app.analysis.taxonomy_store import ensure_taxonomy

    seen: list[float] = []
    real = dispatch.analyse_snapshots

    def record(*args: Any) -> Any:
        seen.append(sys.getswitchinterval())
        return real(*args)

    monkeypatch.setattr(dispatch, "analyse_snapshots", record)
    monkeypatch.setitem(app.config, "NLP_BATCH_SIZE", 2)
    before = sys.getswitchinterval()
    with app.app_context():
        ensure_taxonomy()
        ids = add_responses(*COMMENTS)
        outcome = dispatch.tag_ids(ids)
        db.session.remove()
    assert sorted(outcome.done + outcome.skipped) == ids
    assert seen and all(s == pytest.approx(app.config["NLP_WRITE_SWITCH_US"] / 1e6) for s in seen)
    assert sys.getswitchinterval() == before
