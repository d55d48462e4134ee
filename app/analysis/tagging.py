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

from app.analysis.convert import (
    DONE_COLUMNS,
    INTENT_COLUMNS,
    MENTION_COLUMNS,
    done_row,
    intent_tuples,
    mention_tuples,
)
from app.analysis.taxonomy_store import follow_merges
from app.extensions import db
from app.insights import services as insights
from app.models import AnalysisState, Mention, MentionSource, Response, ResponseIntent, utcnow
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
    costs the job only what is not hidden behind the next batch's analysis (issue 18 §3). The rows are
    built before the hand-off, in the analysing thread (``prepare_rows``), so the writer's own Python
    work - which holds the GIL the analysis needs - is a few reads and one ``json.dumps`` per table; on
    SQLite each table is then one statement that runs without the GIL. A writer process instead of the
    thread was measured slower (pickling each batch's analyses cost more than it freed; docs/benchmarks.md,
    2026-12-07). At most one write is
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
        rows = prepare_rows(snapshots, results)  # here, in the analysing thread (see ``PreparedRows``)
        if not self.aside:
            self._outcome = write_results(version, snapshots, rows)
            return
        self._thread = threading.Thread(
            target=self._write, args=(version, snapshots, rows), name="tagging-writer", daemon=True
        )
        self._thread.start()

    def _write(self, version: str, snapshots: list[Snapshot], rows: PreparedRows) -> None:
        try:
            assert self._app is not None
            with self._app.app_context():
                try:
                    self._outcome = write_results(version, snapshots, rows)
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


@dataclass
class PreparedRows:
    """A batch's rows, built by the analysing thread straight after the analysis (``prepare_rows``), so
    the writer thread's own Python work - which holds the GIL the next batch's analysis needs - is only to
    read the locked rows, filter these by what it read, and hand each table to the driver in one parameter
    (issue 18 §3). Tuples in the column orders of ``app.analysis.convert``; ``analysis_texts``: each done
    row's analysis as its JSON column stores it (SQLite's one-statement writes; None elsewhere)."""

    results: Results  # exceptions (failures) and None (nothing to analyse) are read from here
    done: dict[int, tuple] = field(default_factory=dict)
    mentions: list[tuple] = field(default_factory=list)
    intents: list[tuple] = field(default_factory=list)
    topics: set[int] = field(default_factory=set)  # every topic id of ``mentions``
    analysis_texts: dict[int, str] | None = None


def prepare_rows(snapshots: list[Snapshot], results: Results) -> PreparedRows:
    """The rows of every analysed result of the batch; the writer drops those of rows that changed since
    their snapshot and mentions of vetoed or unknown topics, under its lock."""
    rows = PreparedRows(results)
    for snap in snapshots:
        result = results.get(snap.id)
        if result is None or isinstance(result, Exception):
            continue
        data = result.to_dict()  # once: every row below is read from it
        rows.done[snap.id] = done_row(snap.id, result, data)
        rows.mentions += mention_tuples(snap.id, data)
        rows.intents += intent_tuples(snap.id, data)
    rows.topics = {m[1] for m in rows.mentions}
    if _json_writes():
        serialise = _json_serializer()
        rows.analysis_texts = {i: serialise(row[4]) for i, row in rows.done.items()}
    return rows


def _json_serializer() -> Any:
    """What SQLAlchemy's JSON type stores through this engine (``json_serializer``, else ``json.dumps``)."""
    return getattr(db.session.get_bind().dialect, "_json_serializer", None) or json.dumps


@dataclass(frozen=True)
class Locked:
    """A row as re-read under the write lock (its state as stored: ``AnalysisState`` compares equal)."""

    id: int
    comment: str | None
    requested_at: datetime | None
    state: str
    attempts: int


# The writer's reads, on the driver: the ids as one parameter (SQLite: JSON text; PostgreSQL: an array).
_LOCK_SQL = {
    "sqlite": "SELECT id, comment, analysis_requested_at, analysis_state, analysis_attempts FROM responses"
    " WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
    "postgresql": "SELECT id, comment, analysis_requested_at, analysis_state, analysis_attempts"
    " FROM responses WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE",
}
_VETO_SQL = {
    "sqlite": "SELECT response_id, topic_id FROM mentions WHERE source = 'manual' AND rejected"
    " AND response_id IN (SELECT value FROM json_each(?))",
    "postgresql": "SELECT response_id, topic_id FROM mentions WHERE source = 'manual' AND rejected"
    " AND response_id = ANY(%(ids)s)",
}


def _driver_ids(dialect: str, ids: list[int]) -> Any:
    """A batch's ids as the one parameter of ``_LOCK_SQL`` / ``_VETO_SQL``."""
    if dialect == "postgresql":
        return {"ids": ids}
    return (json.dumps(ids),)


def _lock_rows(ids: list[int]) -> dict[int, Locked]:
    """Re-read the rows under a lock, in id order (a fixed order avoids deadlocks between jobs); one
    statement on the driver, times converted by the column's own result processor (once per distinct
    stored value: a batch's requests mostly share theirs)."""
    conn = db.session.connection()
    dialect = conn.dialect
    rows = conn.exec_driver_sql(_LOCK_SQL[dialect.name], _driver_ids(dialect.name, ids)).fetchall()
    convert = Response.__table__.c.analysis_requested_at.type._cached_result_processor(dialect, None)
    times: dict[Any, Any] = {}
    locked = {}
    for rid, comment, raw, state, attempts in rows:
        if raw is not None and convert is not None:
            when = times.get(raw)
            if when is None:
                when = times[raw] = convert(raw)
        else:
            when = raw
        locked[rid] = Locked(rid, comment, when, state, attempts)
    return locked


def _vetoes(ids: list[int]) -> set[tuple[int, int]]:
    """(response, topic) pairs a person rejected: automatic tagging must not bring them back."""
    conn = db.session.connection()
    name = conn.dialect.name
    return {(r, t) for r, t in conn.exec_driver_sql(_VETO_SQL[name], _driver_ids(name, ids)).fetchall()}


def _topics() -> tuple[set[int], dict[int, int]]:
    """Every topic id, and merge redirects (merged topic -> the active topic its mentions belong to)."""
    links = db.session.connection().exec_driver_sql("SELECT id, merged_into_id FROM topics").fetchall()
    return {t for t, _ in links}, follow_merges({t: m for t, m in links if m is not None})


def write_results(
    version: str,
    snapshots: list[Snapshot],
    results: Results | PreparedRows,
    retag: bool = False,
) -> BatchResult:
    """Write a batch's results in one transaction, skipping rows changed since their snapshot.
    ``results``: the analyses, or the rows ``prepare_rows`` built from them."""
    outcome = BatchResult()
    if not snapshots:
        return outcome
    rows = results if isinstance(results, PreparedRows) else prepare_rows(snapshots, results)
    locked = _lock_rows([s.id for s in snapshots])
    vetoes = _vetoes(list(locked))
    known, redirects = _topics()
    now = utcnow()
    for snap in snapshots:
        row = locked.get(snap.id)
        if row is None:
            continue  # deleted meanwhile (erasure): nothing to tag
        if (row.comment, row.requested_at, row.state) != (snap.comment, snap.requested_at, snap.state):
            outcome.changed.append(snap.id)  # edited or re-requested: a newer job owns it
            continue
        result = rows.results.get(snap.id)
        if isinstance(result, Exception):
            _record_failure(outcome, row, result, retag)
        elif result is None:
            outcome.skipped.append(snap.id)
        else:
            outcome.done.append(snap.id)
    done = outcome.done
    mentions, intents = rows.mentions, rows.intents
    if len(done) != len(rows.done):  # some rows changed or vanished: their rows are not written
        keep = set(done)
        mentions = [m for m in mentions if m[0] in keep]
        intents = [i for i in intents if i[0] in keep]
    if vetoes or redirects or not rows.topics <= known:
        mentions = _allowed(mentions, known, vetoes, redirects)
    _announce(done, rows, mentions)
    _apply(outcome, rows, mentions, intents, version, now, _analysed_changes(outcome, locked))
    db.session.commit()
    return outcome


def _allowed(
    mentions: list[tuple], known: set[int], vetoes: set[tuple[int, int]], redirects: dict[int, int]
) -> list[tuple]:
    """Mentions of known topics that no person rejected, then moved off merged topics (``_redirected``)."""
    kept = [m for m in mentions if m[1] in known and (m[0], m[1]) not in vetoes]
    return _redirected(kept, redirects, vetoes)


def _redirected(rows: list, redirects: dict[int, int], vetoes: set[tuple[int, int]]) -> list:
    """Mentions of a merged topic belong to the topic it was merged into (unless a person rejected that).
    Rows: ``MENTION_COLUMNS`` tuples, or dicts with ``response_id`` and ``topic_id``."""
    if not redirects:
        return rows
    out = []
    for row in rows:
        if isinstance(row, dict):
            row["topic_id"] = redirects.get(row["topic_id"], row["topic_id"])
            pair = (row["response_id"], row["topic_id"])
        else:
            if row[1] in redirects:
                row = (row[0], redirects[row[1]], *row[2:])
            pair = (row[0], row[1])
        if pair not in vetoes:
            out.append(row)
    return out


def _analysed_changes(outcome: BatchResult, locked: dict[int, Locked]) -> dict[int, int]:
    """How each row's ``analysed`` count changes when the batch's done and skipped rows are written: +1 for
    a row becoming done, -1 for a done row becoming skipped (the states read under the rows' lock)."""
    changes = {i: 1 for i in outcome.done if locked[i].state != AnalysisState.DONE}
    changes.update({i: -1 for i in outcome.skipped if locked[i].state == AnalysisState.DONE})
    return changes


def _announce(done: list[int], rows: PreparedRows, mentions: list[tuple]) -> None:
    """``response.analyzed`` for each tagged response, in the transaction that stores its tags (nothing
    built when no endpoint listens)."""
    if not done:
        return
    endpoints = webhooks.listeners("response.analyzed")
    if not endpoints:
        return
    topics: dict[int, set[int]] = {}
    for m in mentions:
        topics.setdefault(m[0], set()).add(m[1])
    events = []
    for rid in done:
        row = rows.done[rid]
        data = {
            "id": rid,
            "sentiment": row[1],
            "sentiment_score": row[2],
            "topic_ids": sorted(topics.get(rid, ())),
        }
        events.append((data, None, rid))
    webhooks.emit_many("response.analyzed", events, endpoint_ids=endpoints)


def _record_failure(outcome: BatchResult, row: Locked, exc: Exception, retag: bool) -> None:
    """Count a failed attempt on one row; at the cap (or in a re-tag, which does not retry) it fails."""
    attempts = row.attempts + 1
    if retag or attempts >= MAX_ATTEMPTS:
        outcome.failed[row.id] = error_text(exc)
    else:
        outcome.retry[row.id] = error_text(exc)


def _done_shared(version: str, now: datetime) -> dict[str, Any]:
    """The columns every done row of a batch shares."""
    return {
        "analyzer_version": version[:64],
        "analyzed_at": now,
        "updated_at": now,  # written explicitly: the batch's update statements bypass the ORM's onupdate
        "analysis_state": AnalysisState.DONE,
        "analysis_error": None,
        "analysis_attempts": 0,
    }


def _dicts(columns: tuple[str, ...], rows: list[tuple], shared: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows as dicts of column values (PostgreSQL's recordset writes and the driver's executemany)."""
    return [{**dict(zip(columns, row, strict=True)), **shared} for row in rows]


def _apply(
    outcome: BatchResult,
    rows: PreparedRows,
    mentions: list[tuple],
    intents: list[tuple],
    version: str,
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
    json_writes = not postgres and rows.analysis_texts is not None and _json_writes()
    # topic_day_totals (PostgreSQL): the done and skipped rows' analysed counts in one grouped statement
    # after their updates, not two upserts of the same (day, survey) cell per row in the row trigger
    deferred = bool(cleared) and insights.defer_day_totals()
    if outcome.done:
        done = [rows.done[i] for i in outcome.done]
        if json_writes:
            _update_done_json(done, rows.analysis_texts or {}, version, now)
        else:
            done_rows = _dicts(DONE_COLUMNS, done, _done_shared(version, now))
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
    for table, columns, table_rows in (
        (Mention.__table__, MENTION_COLUMNS, mentions),
        (ResponseIntent.__table__, INTENT_COLUMNS, intents),
    ):
        if not table_rows:
            continue
        shared: dict[str, Any] = {"created_at": now}
        if table is Mention.__table__:
            shared["rejected"] = False
        if json_writes:
            _insert_json(table, columns, table_rows, shared)
        elif postgres:
            _insert_postgres(table, _dicts(columns, table_rows, shared))
        else:
            _executemany(table, _dicts(columns, table_rows, shared))
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


# SQLite write path: each table in ONE statement over one JSON parameter (``json_each``), so the writer
# thread holds the GIL for a ``json.dumps`` (C) and the driver runs the whole statement - rows, triggers,
# indexes - with the GIL released. The driver's executemany released and re-took the GIL around every
# row's step, and each re-take waited for the analysing thread to let go of it (issue 18 §3). What every
# row shares (time, state, version) is a parameter of its own, converted by the column's own bind
# processor, so the stored values are the ones SQLAlchemy would store.
_JSON_SQL: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}
_JSON_EXACT: dict[str, bool] = {}
# Doubles SQLite's own text-to-float conversion (``CAST``, SQL literals) got wrong by one unit in the
# last place on SQLite 3.40: its JSON reader must return each exactly, else the batch is written with
# executemany (bound doubles are exact).
FLOAT_PROBES = (0.707056753354459, 0.940030237150629, 0.610096720368348, 0.1, 1 / 3, 2.2250738585072014e-308)


def _json_writes() -> bool:
    """Whether this SQLite reads JSON numbers back exactly (checked once per process and library)."""
    bind = db.session.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    version = bind.dialect.dbapi.sqlite_version  # type: ignore[union-attr]
    if version not in _JSON_EXACT:
        import sqlite3

        probe = sqlite3.connect(":memory:")
        try:
            document = json.dumps([[v] for v in FLOAT_PROBES])
            read = probe.execute("SELECT json_extract(value, '$[0]') FROM json_each(?)", (document,))
            got = [r[0] for r in read]
            exact = got == list(FLOAT_PROBES) and sqlite3.sqlite_version_info >= (3, 33)
        finally:
            probe.close()
        if not exact:
            log.warning("SQLite %s: tagging writes row by row (its JSON numbers are not exact)", version)
        _JSON_EXACT[version] = exact
    return _JSON_EXACT[version]


def _shared_params(table: sa.Table, shared: dict[str, Any]) -> list[Any]:
    """The shared values converted by their columns' bind processors (SQLite), in ``shared``'s order."""
    dialect = db.session.get_bind().dialect
    out = []
    for name, value in shared.items():
        process = table.c[name].type._cached_bind_processor(dialect)
        out.append(value if process is None else process(value))
    return out


def _json_sql(table: sa.Table, columns: tuple[str, ...], shared: tuple[str, ...], update: bool) -> str:
    """``INSERT … SELECT … FROM json_each(?)`` or ``UPDATE … FROM (SELECT … FROM json_each(?))``: each
    element of the parameter is one row's values in ``columns``' order; ``shared``: ``?`` parameters
    after it (update: first, numbered, so that the statement can start ``UPDATE responses SET``)."""
    key = (table.name, columns, shared)
    if key not in _JSON_SQL:
        quote = db.session.get_bind().dialect.identifier_preparer.quote
        values = ", ".join(f"json_extract(value, '$[{k}]') AS {quote(c)}" for k, c in enumerate(columns))
        source = f"(SELECT {values} FROM json_each(?{len(shared) + 1 if update else ''}))"  # noqa: S608
        if update:
            sets = [f"{quote(c)} = v.{quote(c)}" for c in columns if c != "id"]
            sets += [f"{quote(c)} = ?{k + 1}" for k, c in enumerate(shared)]
            target = quote(table.name)
            sql = f"UPDATE {target} SET {', '.join(sets)} FROM {source} AS v WHERE {target}.id = v.id"  # noqa: S608 (names from the model)
        else:
            names = ", ".join(quote(c) for c in (*columns, *shared))
            picks = ", ".join([*(f"v.{quote(c)}" for c in columns), *("?" for _ in shared)])
            sql = f"INSERT INTO {quote(table.name)} ({names}) SELECT {picks} FROM {source} AS v"  # noqa: S608 (as above)
        _JSON_SQL[key] = sql
    return _JSON_SQL[key]


def _insert_json(
    table: sa.Table, columns: tuple[str, ...], rows: list[tuple], shared: dict[str, Any]
) -> None:
    """Insert rows (``columns``' tuples, plus ``shared`` on each) in one statement."""
    sql = _json_sql(table, columns, tuple(shared), update=False)
    params = (*_shared_params(table, shared), json.dumps(rows))
    db.session.connection().exec_driver_sql(sql, params)


def _update_done_json(done: list[tuple], texts: dict[int, str], version: str, now: datetime) -> None:
    """Mark a batch's tagged responses done in one statement; each analysis as the JSON text SQLAlchemy
    would store (built by ``prepare_rows``), carried as a JSON string and read back verbatim."""
    table = Response.__table__
    shared = _done_shared(version, now)
    rows = [(*row[:4], texts[row[0]]) for row in done]
    sql = _json_sql(table, DONE_COLUMNS, tuple(shared), update=True)
    params = (*_shared_params(table, shared), json.dumps(rows))
    db.session.connection().exec_driver_sql(sql, params)


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
