"""CSV import, step three: keep a clean upload as a pending ImportBatch, then apply it in ONE transaction.

Confirming plans the stored text again inside the transaction that writes it. If the database changed
since the preview (the plan's fingerprint differs, or rows now fail), nothing is written and the person
sees the new preview. The batch is claimed with a conditional UPDATE, so a double click applies it once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.accounts.arr import record_arr_changes
from app.accounts.imports.plan import plan_text
from app.accounts.imports.rows import ImportPlan, PlannedRow
from app.audit import audit
from app.extensions import db
from app.mail.queries import email_hash, suppressed_hashes
from app.models import Account, ArrSource, Contact, ImportBatch, Suppression, utcnow

PREVIEW_TTL = timedelta(hours=24)
# Files with more rows than this are applied by a worker, not inside the confirming request (a 50k-row
# file takes ~12 s; gunicorn's default timeout is 30 s).
BACKGROUND_ROWS = 5_000
MODELS = {"accounts": Account, "contacts": Contact}


class ImportConflict(RuntimeError):
    """A pending import cannot be applied as previewed; the message says what to do."""

    def __init__(self, message: str, replanned: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.replanned = replanned


def store_batch(plan: ImportPlan, text: str, actor_id: int | None) -> ImportBatch:
    """Keep a clean upload until it is confirmed or discarded; commits."""
    batch = ImportBatch(
        kind=plan.kind,
        filename=plan.filename[:255],
        content=text,
        state="preview",
        summary=preview_summary(plan),
        created_by_id=actor_id,
    )
    db.session.add(batch)
    db.session.commit()
    return batch


def apply_batch(
    batch_id: int, actor_id: int | None, ip: str | None = None, from_state: str = "preview"
) -> dict[str, int]:
    """Apply a previewed (or queued) import in one transaction; the counts, or raises ImportConflict."""
    claimed = db.session.execute(
        sa.update(ImportBatch)
        .where(ImportBatch.id == batch_id, ImportBatch.state == from_state)
        .values(state="applied", applied_at=utcnow())
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        if db.session.get(ImportBatch, batch_id).state == "expired":
            raise ImportConflict("This preview is more than a day old. Upload the file again.")
        raise ImportConflict("This import was already applied or discarded.")
    batch = db.session.get(ImportBatch, batch_id, populate_existing=True)
    if batch.created_at < utcnow() - PREVIEW_TTL:
        db.session.rollback()
        raise ImportConflict("This preview is more than a day old. Upload the file again.")
    plan = plan_text(batch.kind, batch.filename, batch.content)
    if plan.error_count or plan.digest() != batch.summary.get("digest"):
        _replan(batch_id, plan)
    try:
        _write(plan, actor_id)
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ImportConflict(
            "Another change to the same records happened at the same time. "
            "Nothing was imported; confirm again."
        ) from None
    counts = plan.counts()
    batch.content = ""  # the file's personal data is not kept once applied
    batch.summary = {**{k: v for k, v in batch.summary.items() if k != "error"}, "result": counts}
    audit(
        actor_id, f"{batch.kind}.import", "import_batch", batch.id, ip=ip, filename=batch.filename, **counts
    )
    db.session.commit()
    return counts


def _replan(batch_id: int, plan: ImportPlan) -> None:
    """Undo the claim, keep the new preview, and tell the person to look again."""
    db.session.rollback()
    batch = db.session.get(ImportBatch, batch_id)
    if plan.error_count:
        batch.state = "rejected"
        batch.content = ""
        db.session.commit()
        raise ImportConflict(
            f"The data changed since the preview and {plan.error_count} rows would now fail. "
            "Nothing was imported; upload the file again to see why."
        )
    batch.summary = preview_summary(plan)
    batch.state = "preview"  # a queued batch comes back to the person too
    db.session.commit()
    raise ImportConflict(
        "The data changed since the preview. Here is the new preview; check it and confirm again.",
        replanned=True,
    )


def discard_batch(batch_id: int, actor_id: int | None) -> bool:
    """Drop a pending import (and its file contents); False when it was no longer pending."""
    done = db.session.execute(
        sa.update(ImportBatch)
        .where(ImportBatch.id == batch_id, ImportBatch.state == "preview")
        .values(state="discarded", content="")
    ).rowcount
    if done:
        audit(actor_id, "import.discard", "import_batch", batch_id)
    db.session.commit()
    return bool(done)


def queue_batch(batch_id: int) -> bool:
    """Hand a previewed import to a worker (big files); False when it was no longer pending. Commits."""
    queued = db.session.execute(
        sa.update(ImportBatch)
        .where(ImportBatch.id == batch_id, ImportBatch.state == "preview")
        .values(state="queued")
    ).rowcount
    db.session.commit()
    return queued == 1


def apply_queued(batch_id: int, actor_id: int | None, ip: str | None) -> dict[str, int] | None:
    """Apply a queued import (the worker's side); a conflict is kept on the batch for the person to read."""
    try:
        return apply_batch(batch_id, actor_id, ip, from_state="queued")
    except ImportConflict as exc:
        batch = db.session.get(ImportBatch, batch_id, populate_existing=True)
        if batch is not None and batch.state in ("queued", "preview"):  # not when another run applied it
            batch.state = "preview"
            batch.summary = {**batch.summary, "error": exc.message}
            db.session.commit()
        return None


def queued_batches() -> list[tuple[int, int | None]]:
    """Queued imports as (id, who uploaded them): the sweeper enqueues them again (a lost job is harmless)."""
    rows = db.session.execute(
        sa.select(ImportBatch.id, ImportBatch.created_by_id).where(ImportBatch.state == "queued")
    ).all()
    return [(r.id, r.created_by_id) for r in rows]


def expire_stale_previews() -> int:
    """Forget previews nobody confirmed within PREVIEW_TTL (their files hold personal data); commits."""
    expired = db.session.execute(
        sa.update(ImportBatch)
        .where(ImportBatch.state == "preview", ImportBatch.created_at < utcnow() - PREVIEW_TTL)
        .values(state="expired", content="")
    ).rowcount
    db.session.commit()
    return expired


def _write(plan: ImportPlan, actor_id: int | None = None) -> None:
    """Insert the new rows and update the changed ones, in bulk, in the caller's transaction; ARR
    changes of accounts are recorded as ArrChange rows (source ``import``) in the same transaction."""
    model = MODELS[plan.kind]
    now = utcnow()
    creates = [
        _row_values(r, now) | {"created_at": now, "attributes": dict(r.attributes)}
        for r in plan.rows
        if r.action == "create"
    ]
    updates = []
    for row in plan.rows:
        if row.action == "update":
            values = _row_values(row, now) | {"id": row.target_id}
            if row.attributes:  # merged into what the plan read, in this same transaction
                values["attributes"] = {**row.stored_attributes, **row.attributes}
            updates.append(values)
    old_arr = _stored_arr([u["id"] for u in updates if "arr" in u]) if plan.kind == "accounts" else {}
    for start in range(0, len(creates), 1000):
        db.session.execute(sa.insert(model), creates[start : start + 1000])
    for start in range(0, len(updates), 1000):  # ORM bulk UPDATE by primary key: one executemany per chunk
        db.session.execute(sa.update(model), updates[start : start + 1000])
    if plan.kind == "accounts":
        _record_arr(creates, updates, old_arr, actor_id)
    _suppress_unsubscribed(plan)


def _stored_arr(ids: list[int]) -> dict[int, int]:
    """The ARR the given accounts have before the import writes."""
    out: dict[int, int] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        out |= dict(db.session.execute(sa.select(Account.id, Account.arr).where(Account.id.in_(chunk))).all())
    return out


def _record_arr(
    creates: list[dict[str, Any]], updates: list[dict[str, Any]], old: dict[int, int], actor_id: int | None
) -> None:
    """ArrChange rows for the accounts the import created with an ARR and those whose ARR it changed."""
    created = [c for c in creates if c.get("arr")]
    ids: dict[str, int] = {}
    keys = [c["external_id"] for c in created]
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        stmt = sa.select(Account.external_id, Account.id).where(Account.external_id.in_(chunk))
        ids |= dict(db.session.execute(stmt).all())
    changes = [(ids[c["external_id"]], None, c["arr"]) for c in created if c["external_id"] in ids]
    changes += [(u["id"], old.get(u["id"]), u["arr"]) for u in updates if "arr" in u]
    record_arr_changes(changes, ArrSource.IMPORT, actor_id)


def _suppress_unsubscribed(plan: ImportPlan) -> None:
    """Contacts an import marks unsubscribed go on the suppression list too (it outlives erasure)."""
    emails = [r.key for r in plan.rows if r.action != "unchanged" and "unsubscribed_at" in r.values]
    known = suppressed_hashes([email_hash(e) for e in emails])
    fresh = {email_hash(e) for e in emails} - known
    if fresh:
        db.session.execute(
            sa.insert(Suppression), [{"email_hash": h, "reason": "unsubscribe"} for h in sorted(fresh)]
        )


def _row_values(row: PlannedRow, now: datetime) -> dict[str, Any]:
    values = dict(row.values)
    if "unsubscribed_at" in values:
        when = values["unsubscribed_at"]
        values["unsubscribed_at"] = (
            now
            if when == "now"
            else datetime.combine(date.fromisoformat(when), datetime.min.time(), tzinfo=UTC)
        )
    values["updated_at"] = now
    return values


def preview_summary(plan: ImportPlan, limit: int = 200) -> dict[str, Any]:
    """What the preview page shows, as JSON kept with the pending batch."""
    creates = [r for r in plan.rows if r.action == "create"]
    updates = [r for r in plan.rows if r.action == "update"]
    return {
        "counts": plan.counts(),
        "rows": len(plan.rows),
        "digest": plan.digest(),
        "creates": [{"line": r.line, "key": r.key, "label": r.label} for r in creates[:limit]],
        "updates": [
            {"line": r.line, "key": r.key, "label": r.label, "changes": r.changes} for r in updates[:limit]
        ],
        "attribute_columns": plan.attribute_columns,
        "ignored_columns": plan.ignored_columns,
        "notes": plan.notes,
        "delimiter": plan.delimiter,
    }
