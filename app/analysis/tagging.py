"""Tag a batch of responses: read a snapshot, analyse without holding a lock, write in one transaction.

The write re-reads each row under a row lock (``FOR UPDATE`` on PostgreSQL; SQLite's immediate write
transaction serialises writers) and skips any row whose comment, request time or state moved since the
snapshot, so an edited comment is never marked done with stale results and two jobs racing on the same
rows cannot both insert mentions. Automatic mentions (phrase/model) are replaced; manual ones are kept,
and a manual rejection vetoes that topic.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from rq.timeouts import JobTimeoutException
from sqlalchemy.dialects.postgresql import ARRAY

from app.analysis.convert import done_values, intent_rows, mention_rows
from app.analysis.taxonomy_store import merge_redirects
from app.extensions import db
from app.insights import services as insights
from app.models import AnalysisState, Mention, MentionSource, Response, ResponseIntent, Topic, utcnow
from app.webhooks import services as webhooks
from nlp import Analyzer, TextAnalysis

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # a comment that fails this many times is marked failed and shown to admins
AUTO_SOURCES = (MentionSource.PHRASE, MentionSource.MODEL)
ERROR_CHARS = 2000


@dataclass(frozen=True)
class Snapshot:
    """What the job read before analysing: the write must find the row unchanged."""

    id: int
    comment: str | None
    requested_at: datetime | None
    state: AnalysisState
    attempts: int
    locale: str | None = None  # the language the survey was answered in: the analyser's stated language


@dataclass
class BatchResult:
    """What one batch did, by response id."""

    done: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    retry: dict[int, str] = field(default_factory=dict)  # raised, still pending: a retry will try again

    def counts(self) -> dict[str, int]:
        """Numbers for logs and job results."""
        return {
            "done": len(self.done),
            "skipped": len(self.skipped),
            "changed": len(self.changed),
            "failed": len(self.failed),
            "retry": len(self.retry),
        }

    def add(self, other: BatchResult) -> None:
        """Merge another batch's outcome into this one."""
        self.done += other.done
        self.skipped += other.skipped
        self.changed += other.changed
        self.failed.update(other.failed)
        self.retry.update(other.retry)


def _columns() -> tuple:
    return (
        Response.id,
        Response.comment,
        Response.analysis_requested_at,
        Response.analysis_state,
        Response.analysis_attempts,
        Response.locale,
    )


def _snapshot(row: Any) -> Snapshot:
    return Snapshot(
        row.id, row.comment, row.analysis_requested_at, row.analysis_state, row.analysis_attempts, row.locale
    )


def _id_in(column: Any, ids: list[int]) -> Any:
    """``column IN ids``. PostgreSQL: ``column = ANY(:ids)``, one ``integer[]`` parameter — an IN list of a
    batch's 256 ids cost SQLAlchemy a rendered placeholder and psycopg a parsed and dumped parameter each, on
    every statement (client CPU that the analyser's thread waits for). The parameter is a typed array, not
    text cast to one: in a prepared statement's generic plan a cast would be evaluated for every row.
    SQLite: ``column IN (SELECT value FROM json_each(:ids))``, one JSON text parameter, for the same reason
    (SQLAlchemy expanded an IN list placeholder by placeholder on every execution)."""
    if db.session.get_bind().dialect.name != "postgresql":
        document = sa.literal(json.dumps([int(i) for i in ids]), sa.String())
        return column.in_(sa.select(sa.literal_column("value")).select_from(sa.func.json_each(document)))
    return column == sa.any_(sa.literal([int(i) for i in ids], ARRAY(sa.Integer())))


def load_snapshots(ids: list[int], retag_version: str | None = None) -> list[Snapshot]:
    """Rows still needing tagging: pending ones, or (re-tag) done ones tagged by another analyser version."""
    query = sa.select(*_columns()).where(_id_in(Response.id, ids))
    if retag_version is None:
        query = query.where(Response.analysis_state == AnalysisState.PENDING)
    else:
        query = query.where(
            Response.analysis_state == AnalysisState.DONE,
            sa.or_(Response.analyzer_version.is_(None), Response.analyzer_version != retag_version),
        )
    rows = db.session.execute(query.order_by(Response.id)).all()
    db.session.commit()  # end the read: analysis must not hold a transaction (or SQLite's write lock)
    return [_snapshot(r) for r in rows]


def has_text(comment: str | None) -> bool:
    """Whether a comment has anything to analyse."""
    return bool(comment and comment.strip())


def analyze_isolated(
    analyzer: Analyzer, texts: list[str], languages: list[str | None] | None = None
) -> list[TextAnalysis | Exception]:
    """Analyse a batch; if it raises, redo text by text so one poison comment cannot sink the rest.
    ``languages``: each text's stated language (the survey's locale), or None."""
    try:
        return list(analyzer.analyze(texts, languages))
    except JobTimeoutException:
        raise
    except Exception:
        log.exception("batch analysis of %d texts raised; isolating the culprit", len(texts))
    results: list[TextAnalysis | Exception] = []
    for k, text in enumerate(texts):
        try:
            results.append(analyzer.analyze([text], None if languages is None else [languages[k]])[0])
        except JobTimeoutException:
            raise
        except Exception as exc:
            results.append(exc)
    if len(texts) > 1 and all(isinstance(r, Exception) for r in results):
        raise results[0]  # every text failed: the analyser is broken, not the comments (retry the job)
    return results


def error_text(exc: BaseException) -> str:
    """A short error text for admins."""
    return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]


Results = dict[int, TextAnalysis | Exception | None]


def analyse_snapshots(analyzer: Analyzer, snapshots: list[Snapshot]) -> Results:
    """Each row's result: an analysis, the exception its comment raised, or None (nothing to analyse)."""
    with_text = [s for s in snapshots if has_text(s.comment)]
    analysed = analyze_isolated(analyzer, [s.comment or "" for s in with_text], [s.locale for s in with_text])
    results: dict[int, TextAnalysis | Exception | None] = dict.fromkeys(s.id for s in snapshots)
    results.update({s.id: r for s, r in zip(with_text, analysed, strict=True)})
    return results


def tag_snapshots(analyzer: Analyzer, snapshots: list[Snapshot], retag: bool = False) -> BatchResult:
    """Analyse these rows and write the results in one transaction."""
    return write_results(analyzer.version, snapshots, analyse_snapshots(analyzer, snapshots), retag)


def can_write_aside() -> bool:
    """Whether a batch can be written on a connection of its own (``BatchWriter``): the session is bound to
    an engine (not to one connection, as a test's rolled-back transaction is) whose connections all see the
    same database (not SQLite in memory), and ``NLP_WRITE_OVERLAP`` is on."""
    bind = db.session.get_bind()
    if not current_app.config.get("NLP_WRITE_OVERLAP", True) or not isinstance(bind, sa.Engine):
        return False
    return bind.dialect.name != "sqlite" or bind.url.database not in (None, "", ":memory:")


class BatchWriter:
    """Writes a job's batches one at a time in a thread of its own while the job analyses the next batch.

    The thread has its own app context, hence its own session and pooled connection; ``write_results`` runs
    there unchanged (row locks, the snapshot check, one transaction per batch). While it waits on
    PostgreSQL (or SQLite works: both drivers release the GIL there) the analyser runs, so a batch's write
    costs the job only what is not hidden behind the next batch's analysis (issue 18 §3). The write's
    Python work (building rows, binding parameters) still holds the GIL, about as much CPU as the
    analysis, and is not hidden; a writer process instead of the thread was measured slower (pickling
    each batch's analyses cost more than it freed; docs/benchmarks.md, 2026-12-07). At most one write is
    in flight; ``wait`` returns its outcome or raises its error, so a job still ends only after all its
    batches are committed (commit before enqueue), and a crash loses at most the uncommitted batches,
    which stay pending as before. ``aside`` false: ``submit`` writes in the caller's session at once.
    """

    def __init__(self, aside: bool) -> None:
        self.aside = aside
        self._app = current_app._get_current_object() if aside else None
        self._thread: threading.Thread | None = None
        self._outcome: BatchResult | None = None
        self._error: BaseException | None = None

    def submit(
        self, version: str, snapshots: list[Snapshot], results: dict[int, TextAnalysis | Exception | None]
    ) -> None:
        """Write this batch (aside: start writing it; the previous write must have been waited for)."""
        if self._thread is not None or self._outcome is not None:
            raise RuntimeError("wait for the batch in flight first")
        if not self.aside:
            self._outcome = write_results(version, snapshots, results)
            return
        self._thread = threading.Thread(
            target=self._write, args=(version, snapshots, results), name="tagging-writer", daemon=True
        )
        self._thread.start()

    def _write(
        self, version: str, snapshots: list[Snapshot], results: dict[int, TextAnalysis | Exception | None]
    ) -> None:
        try:
            assert self._app is not None
            with self._app.app_context():
                try:
                    self._outcome = write_results(version, snapshots, results)
                finally:
                    db.session.remove()  # rolls back whatever a failed write left open
        except BaseException as exc:  # handed to the job's thread by ``wait``
            self._error = exc

    def wait(self) -> BatchResult | None:
        """The outcome of the batch in flight (None if there is none); its error is raised here."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        outcome, error = self._outcome, self._error
        self._outcome = self._error = None
        if error is not None:
            raise error
        return outcome

    def close(self) -> None:
        """On the job's way out by an error: let a write in flight finish (committed or rolled back)."""
        with contextlib.suppress(Exception):
            self.wait()


def _lock_rows(ids: list[int]) -> dict[int, Snapshot]:
    """Re-read the rows under a lock, in id order (a fixed order avoids deadlocks between jobs)."""
    query = sa.select(*_columns()).where(_id_in(Response.id, ids)).order_by(Response.id).with_for_update()
    return {r.id: _snapshot(r) for r in db.session.execute(query).all()}


def _vetoes(ids: list[int]) -> set[tuple[int, int]]:
    """(response, topic) pairs a person rejected: automatic tagging must not bring them back."""
    rows = db.session.execute(
        sa.select(Mention.response_id, Mention.topic_id).where(
            _id_in(Mention.response_id, ids),
            Mention.source == MentionSource.MANUAL,
            Mention.rejected.is_(True),
        )
    ).all()
    return {(r.response_id, r.topic_id) for r in rows}


def write_results(
    version: str,
    snapshots: list[Snapshot],
    results: dict[int, TextAnalysis | Exception | None],
    retag: bool = False,
) -> BatchResult:
    """Write a batch's results in one transaction, skipping rows changed since their snapshot."""
    outcome = BatchResult()
    if not snapshots:
        return outcome
    locked = _lock_rows([s.id for s in snapshots])
    vetoes = _vetoes(list(locked))
    known_topics = set(db.session.execute(sa.select(Topic.id)).scalars())
    redirects = merge_redirects()
    now = utcnow()
    done_rows: list[dict[str, Any]] = []
    mentions: list[dict[str, Any]] = []
    intents: list[dict[str, Any]] = []
    for snap in snapshots:
        row = locked.get(snap.id)
        if row is None:
            continue  # deleted meanwhile (erasure): nothing to tag
        if (row.comment, row.requested_at, row.state) != (snap.comment, snap.requested_at, snap.state):
            outcome.changed.append(snap.id)  # edited or re-requested: a newer job owns it
            continue
        result = results.get(snap.id)
        if isinstance(result, Exception):
            _record_failure(outcome, row, result, retag)
        elif result is None:
            outcome.skipped.append(snap.id)
        else:
            data = result.to_dict()  # once: every row below is read from it
            done_rows.append(done_values(snap.id, result, data, version, now))
            mentions += _redirected(mention_rows(snap.id, data, vetoes, known_topics, now), redirects, vetoes)
            intents += intent_rows(snap.id, data, now)
            outcome.done.append(snap.id)
    _announce(done_rows, mentions)  # before _apply, which consumes the rows' ids
    _apply(outcome, done_rows, mentions, intents, now, _analysed_changes(outcome, locked))
    db.session.commit()
    return outcome


def _analysed_changes(outcome: BatchResult, locked: dict[int, Snapshot]) -> dict[int, int]:
    """How each row's ``analysed`` count changes when the batch's done and skipped rows are written: +1 for
    a row becoming done, -1 for a done row becoming skipped (the states read under the rows' lock)."""
    changes = {i: 1 for i in outcome.done if locked[i].state != AnalysisState.DONE}
    changes.update({i: -1 for i in outcome.skipped if locked[i].state == AnalysisState.DONE})
    return changes


def _announce(done_rows: list[dict[str, Any]], mentions: list[dict[str, Any]]) -> None:
    """``response.analyzed`` for each tagged response, in the transaction that stores its tags."""
    topics: dict[int, list[int]] = {}
    for m in mentions:
        topics.setdefault(m["response_id"], []).append(m["topic_id"])
    webhooks.emit_many(
        "response.analyzed",
        [
            (
                {
                    "id": r["id"],
                    "sentiment": r["sentiment_label"],
                    "sentiment_score": r["sentiment_score"],
                    "topic_ids": sorted(set(topics.get(r["id"], []))),
                },
                None,
                r["id"],
            )
            for r in done_rows
        ],
    )


def _redirected(rows: list[dict], redirects: dict[int, int], vetoes: set[tuple[int, int]]) -> list[dict]:
    """Mentions of a merged topic belong to the topic it was merged into (unless a person rejected that)."""
    if not redirects:
        return rows
    out = []
    for row in rows:
        row["topic_id"] = redirects.get(row["topic_id"], row["topic_id"])
        if (row["response_id"], row["topic_id"]) not in vetoes:
            out.append(row)
    return out


def _record_failure(outcome: BatchResult, row: Snapshot, exc: Exception, retag: bool) -> None:
    """Count a failed attempt on one row; at the cap (or in a re-tag, which does not retry) it fails."""
    attempts = row.attempts + 1
    if retag or attempts >= MAX_ATTEMPTS:
        outcome.failed[row.id] = error_text(exc)
    else:
        outcome.retry[row.id] = error_text(exc)


def _apply(
    outcome: BatchResult,
    done_rows: list[dict],
    mentions: list[dict],
    intents: list[dict],
    now: datetime,
    analysed: dict[int, int],
) -> None:
    """The batch's statements: replace automatic mentions and intents, update the rows, record failures.
    ``analysed``: the done and skipped rows' changes of the day totals' analysed counts."""
    cleared = outcome.done + outcome.skipped
    if cleared:
        # topic_hits: refreshed once for the batch at the end, not per mention (SQLite's row triggers)
        insights.defer_topic_hits()
        db.session.execute(
            sa.delete(Mention).where(_id_in(Mention.response_id, cleared), Mention.source.in_(AUTO_SOURCES))
        )
        db.session.execute(sa.delete(ResponseIntent).where(_id_in(ResponseIntent.response_id, cleared)))
    postgres = db.session.get_bind().dialect.name == "postgresql"
    # topic_day_totals (PostgreSQL): the done and skipped rows' analysed counts in one grouped statement
    # after their updates, not two upserts of the same (day, survey) cell per row in the row trigger
    deferred = bool(cleared) and insights.defer_day_totals()
    if done_rows:
        if postgres:
            _update_done_postgres(done_rows)
        else:
            _executemany(Response.__table__, done_rows, update=True)
    if outcome.skipped:
        db.session.execute(
            sa.update(Response)
            .where(Response.id.in_(outcome.skipped))
            .values(
                analysis_state=AnalysisState.SKIPPED,
                sentiment_label=None,
                sentiment_score=None,
                analysis={},
                analyzed_at=now,
                analysis_error=None,
                analysis_attempts=0,
            )
        )
    if deferred:
        insights.add_analysed(analysed)  # ends the deferral: nothing else here is deferred
    for table, rows in ((Mention.__table__, mentions), (ResponseIntent.__table__, intents)):
        if rows and postgres:
            _insert_postgres(table, rows)
        elif rows:
            _executemany(table, rows)
    if cleared:
        insights.refresh_topic_hits(cleared)
    for ids, state in ((outcome.failed, AnalysisState.FAILED), (outcome.retry, AnalysisState.PENDING)):
        for response_id, error in ids.items():
            db.session.execute(
                sa.update(Response)
                .where(Response.id == response_id)
                .values(
                    analysis_state=state,
                    analysis_error=error,
                    analysis_attempts=Response.analysis_attempts + 1,
                )
            )


_COMPILED: dict[tuple[str, tuple[str, ...], bool], tuple[str, list[str]]] = {}


def _executemany(table: sa.Table, rows: list[dict[str, Any]], update: bool = False) -> None:
    """SQLite: the driver's executemany (a loop in C) on values converted here, each distinct value once.

    Through SQLAlchemy every row's every value goes through its type's converter (a batch's shared time,
    state and version included), which cost as much as SQLite's own work. The statement is compiled once
    by SQLAlchemy (quoting, parameter order) and the converters are the columns' own for this dialect, so
    the stored values are the ones ``session.execute`` would store. ``update``: rows are keyed by ``id``.
    """
    conn = db.session.connection()
    dialect = conn.dialect
    names = tuple(n for n in rows[0] if not (update and n == "id"))
    key = (table.name, names, update)
    if key not in _COMPILED:
        values = {n: sa.bindparam(n) for n in names}
        stmt = (
            table.update().where(table.c.id == sa.bindparam("_id")).values(values)
            if update
            else table.insert().values(values)
        )
        compiled = stmt.compile(dialect=dialect)
        _COMPILED[key] = (compiled.string, list(compiled.positiontup or ()))
    sql, order = _COMPILED[key]
    columns = ["id" if name == "_id" else name for name in order]
    converters = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    # Column by column: a converter runs once per distinct value (the batch's time, state, version),
    # or once per row where values do not repeat (JSON); rows are zipped back into tuples in C.
    by_column = []
    for column, convert in zip(columns, converters, strict=True):
        raw = [row[column] for row in rows]
        by_column.append(raw if convert is None else _converted(raw, convert))
    params = list(zip(*by_column, strict=True))
    conn.exec_driver_sql(sql, params)


def _converted(values: list[Any], convert: Any) -> list[Any]:
    """``convert`` applied to each value, once per distinct value when the values are hashable."""
    try:
        distinct = set(values)
    except TypeError:  # unhashable (a JSON dict): each its own
        return [convert(v) for v in values]
    if len(distinct) * 2 > len(values):
        return [convert(v) for v in values]
    mapping = {v: convert(v) for v in distinct}
    return [mapping[v] for v in values]


# PostgreSQL write path: one statement per batch and table, whatever the number of rows. psycopg's
# executemany sends one Bind/Execute per row (pipelined, but with per-row Python work on both sides); here
# each column travels as one array parameter and the server unnests them: ``INSERT … SELECT … FROM
# unnest(:a, :b, …)`` and ``UPDATE responses … FROM unnest(…) WHERE responses.id = v.id``.
DONE_VARYING = ("id", "sentiment_label", "sentiment_score", "language", "analysis")


def _unnest(columns: list[tuple[str, sa.types.TypeEngine, list[Any]]]) -> Any:
    """``unnest(CAST(:c1 AS t1[]), …) AS v(c1, …)``: one array parameter per column, rows zipped."""
    arrays = [
        sa.cast(sa.bindparam(f"v_{name}", values, type_=ARRAY(kind)), ARRAY(kind))
        for name, kind, values in columns
    ]
    return sa.func.unnest(*arrays).table_valued(*(name for name, _, _ in columns)).render_derived(name="v")


def _insert_unnest(table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (all with the same keys) in one ``INSERT … SELECT FROM unnest(…)`` statement."""
    names = list(rows[0])
    source = _unnest([(n, table.c[n].type, [r[n] for r in rows]) for n in names])
    db.session.execute(table.insert().from_select(names, sa.select(*(source.c[n] for n in names))))


def _update_done_unnest(done_rows: list[dict[str, Any]]) -> None:
    """Mark a batch's tagged responses done in one ``UPDATE … FROM unnest(…)``; what is the same for every
    row of the batch (analyser version, time, state) is a plain parameter. The JSON analysis travels as
    text and is cast back, so psycopg never has to guess an array-of-json type."""
    table = Response.__table__
    shared = {k: v for k, v in done_rows[0].items() if k not in DONE_VARYING}
    if any({k: r[k] for k in shared} != shared for r in done_rows):
        raise ValueError("done rows of one batch must share version, time and state")
    columns: list[tuple[str, sa.types.TypeEngine, list[Any]]] = [
        (n, table.c[n].type, [r[n] for r in done_rows]) for n in DONE_VARYING if n != "analysis"
    ]
    columns.append(("analysis", sa.Text(), [json.dumps(r["analysis"]) for r in done_rows]))
    source = _unnest(columns)
    values = {n: source.c[n] for n in DONE_VARYING if n not in ("id", "analysis")}
    values["analysis"] = sa.cast(source.c.analysis, table.c.analysis.type)
    db.session.execute(table.update().where(table.c.id == source.c.id).values(**values, **shared))


# The batch's rows as one JSON document, turned into rows by the server (``json_to_recordset``): one
# ``json.dumps`` (C) on the client instead of psycopg dumping an array parameter per column element by
# element in Python, which cost as much as the server's work (issue 18 §3). A batch whose values JSON cannot
# carry exactly (NaN, infinities) takes the array path above.
_RECORDSET_SQL: dict[tuple[str, tuple[str, ...], bool], str] = {}


def _json_value(value: Any, texts: dict[datetime, str] | None = None) -> Any:
    """``json.dumps``' fallback: timestamps as ISO 8601 text, which the server reads back exactly; each
    distinct one formatted once when ``texts`` caches them (a batch's rows share its time)."""
    if isinstance(value, datetime):
        if texts is None:
            return value.isoformat()
        text = texts.get(value)
        if text is None:
            text = texts[value] = value.isoformat()
        return text
    raise TypeError(f"{type(value).__name__} in a tagging row")


def _recordset_document(rows: list[dict[str, Any]]) -> str | None:
    """The rows as one JSON array of objects, or None when a value has no exact JSON form (NaN)."""
    texts: dict[datetime, str] = {}
    try:
        return json.dumps(
            rows, default=lambda v: _json_value(v, texts), allow_nan=False, separators=(",", ":")
        )
    except ValueError:
        return None


def _recordset_sql(table: sa.Table, names: tuple[str, ...], update: bool) -> str:
    """``INSERT … SELECT … FROM json_to_recordset(…)`` or ``UPDATE … FROM json_to_recordset(…)`` for
    these columns (``update``: keyed by ``id``), compiled once per table and column set."""
    key = (table.name, names, update)
    if key not in _RECORDSET_SQL:
        dialect = db.session.get_bind().dialect
        quote = dialect.identifier_preparer.quote
        types = ", ".join(f"{quote(n)} {table.c[n].type.compile(dialect=dialect)}" for n in names)
        source = f"json_to_recordset(CAST(%(rows)s AS json)) AS v({types})"
        if update:
            sets = ", ".join(f"{quote(n)} = v.{quote(n)}" for n in names if n != "id")
            target = quote(table.name)
            sql = f"UPDATE {target} SET {sets} FROM {source} WHERE {target}.id = v.id"  # noqa: S608 (names from the model)
        else:
            columns = ", ".join(quote(n) for n in names)
            values = ", ".join(f"v.{quote(n)}" for n in names)
            sql = f"INSERT INTO {quote(table.name)} ({columns}) SELECT {values} FROM {source}"  # noqa: S608 (as above)
        _RECORDSET_SQL[key] = sql
    return _RECORDSET_SQL[key]


def _insert_postgres(table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (all with the same keys) in one statement from one JSON parameter."""
    document = _recordset_document(rows)
    if document is None:
        _insert_unnest(table, rows)
        return
    sql = _recordset_sql(table, tuple(rows[0]), update=False)
    db.session.connection().exec_driver_sql(sql, {"rows": document})


def _update_done_postgres(done_rows: list[dict[str, Any]]) -> None:
    """Mark a batch's tagged responses done in one ``UPDATE … FROM json_to_recordset(…)``."""
    document = _recordset_document(done_rows)
    if document is None:
        _update_done_unnest(done_rows)
        return
    sql = _recordset_sql(Response.__table__, tuple(done_rows[0]), update=True)
    db.session.connection().exec_driver_sql(sql, {"rows": document})


def charge_failure(ids: list[int], error: str) -> None:
    """A whole job failed (timeout, crash): count an attempt on its pending rows; fail them at the cap."""
    if not ids:
        return
    pending = sa.and_(Response.id.in_(ids), Response.analysis_state == AnalysisState.PENDING)
    db.session.execute(
        sa.update(Response)
        .where(pending)
        .values(analysis_attempts=Response.analysis_attempts + 1, analysis_error=error[:ERROR_CHARS])
    )
    db.session.execute(
        sa.update(Response)
        .where(pending, Response.analysis_attempts >= MAX_ATTEMPTS)
        .values(analysis_state=AnalysisState.FAILED)
    )
    db.session.commit()
