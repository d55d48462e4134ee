"""Account and contact writes for the API: the accounts feature's services, with its errors as 422s."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from app.accounts import services as accounts
from app.api.schemas import ContactInSchema
from app.audit import audit
from app.extensions import db
from app.models import Account, Contact

COMPARED = ("email", "name", "title", "role", "locale", "account_id", "attributes")


def _account_id(data: dict[str, Any]) -> dict[str, Any]:
    """Resolve ``account_external_id`` to ``account_id`` (a RecordError when unknown)."""
    data = dict(data)
    ext = data.pop("account_external_id", None)
    if ext is not None:
        found = db.session.execute(sa.select(Account.id).where(Account.external_id == ext)).scalar()
        if found is None:
            raise accounts.RecordError("account_external_id", f"No account has the external id {ext!r}.")
        data["account_id"] = found
    return data


def save_account(row: Account | None, data: dict[str, Any], actor: int) -> Account:
    """Create or update an account; a value the service refuses is a 422 naming the field."""
    try:
        return accounts.save_account(row, data, actor, source="api")
    except accounts.RecordError as exc:
        db.session.rollback()
        raise_field(exc)
    raise AssertionError("unreachable")  # pragma: no cover


def save_contact(row: Contact | None, data: dict[str, Any], actor: int) -> Contact:
    """Create or update a contact; a value the service refuses is a 422 naming the field."""
    try:
        return accounts.save_contact(row, _account_id(data), actor)
    except accounts.RecordError as exc:
        db.session.rollback()
        raise_field(exc)
    raise AssertionError("unreachable")  # pragma: no cover


def raise_field(exc: accounts.RecordError) -> None:
    """A RecordError as a 422 problem with ``errors: {field: [message]}``."""
    from flask import abort
    from werkzeug.exceptions import HTTPException

    try:
        abort(422, exc.message)
    except HTTPException as http_exc:
        http_exc.data = {"messages": {exc.field: [exc.message]}}  # type: ignore[attr-defined]
        raise


def contact_by_email(email: str) -> Contact | None:
    """The contact with this address (compared as stored: cleaned and lower-cased)."""
    try:
        clean = accounts.clean_email(email)
    except ValueError:
        return None
    return db.session.execute(sa.select(Contact).where(Contact.email == clean)).scalar_one_or_none()


def _snapshot(row: Contact | None) -> dict[str, Any] | None:
    return None if row is None else {f: getattr(row, f) for f in COMPARED}


def bulk_upsert(rows: list[dict[str, Any]], actor: int) -> dict[str, Any]:
    """Upsert each row by email: a bad row (or an email repeated in the batch) fails alone; the good rows
    are written in one transaction (existing contacts and accounts read with one query each) and audited
    as one event. Should another writer take an email meanwhile, the batch is redone row by row."""
    parsed, results = _parse_rows(rows)
    try:
        written = _write_batch(parsed, actor)
    except IntegrityError:
        db.session.rollback()
        written = {index: {**_slow_one(data, actor), "index": index} for index, data in parsed}
    results.update(written)
    ordered = [results[i] for i in range(len(rows))]
    counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
    for r in ordered:
        counts[r["status"]] += 1
    return {"results": ordered, "counts": counts}


def _error(index: int, field: str, message: Any) -> dict[str, Any]:
    errors = message if isinstance(message, dict) else {field: [message]}
    return {"index": index, "status": "error", "id": None, "errors": errors}


def _parse_rows(rows: list[Any]) -> tuple[list[tuple[int, dict[str, Any]]], dict[int, dict[str, Any]]]:
    """Each row checked on its own: (index, clean data) for good rows, and an error result for the rest."""
    schema = ContactInSchema()
    seen: dict[str, int] = {}
    good: list[tuple[int, dict[str, Any]]] = []
    errors: dict[int, dict[str, Any]] = {}
    for index, raw in enumerate(rows):
        try:
            data = schema.load(raw if isinstance(raw, dict) else {})
            if not data.get("email"):
                raise accounts.RecordError("email", "An email is required.")
            data["email"] = accounts.clean_email(data["email"])
            if data.get("attributes") is not None:
                data["attributes"] = accounts.clean_attributes(data["attributes"])
            if "locale" in data and data["locale"] not in current_app.config["LANGUAGES"]:
                raise accounts.RecordError("locale", f"Unknown language {data['locale']!r}.")
        except ValidationError as exc:
            errors[index] = _error(index, "", exc.normalized_messages())
            continue
        except accounts.RecordError as exc:
            errors[index] = _error(index, exc.field, exc.message)
            continue
        except ValueError as exc:
            errors[index] = _error(index, "email", str(exc))
            continue
        if data["email"] in seen:
            errors[index] = _error(
                index, "email", f"This email is already in row {seen[data['email']]} of this batch."
            )
            continue
        seen[data["email"]] = index
        good.append((index, data))
    return good, errors


def _accounts_for(parsed: list[tuple[int, dict[str, Any]]]) -> tuple[dict[str, int], set[int]]:
    """External ids → account ids, and which account ids exist, for every row at once."""
    exts = {d["account_external_id"] for _, d in parsed if d.get("account_external_id")}
    ids = {d["account_id"] for _, d in parsed if d.get("account_id") is not None}
    by_ext = (
        dict(
            db.session.execute(
                sa.select(Account.external_id, Account.id).where(Account.external_id.in_(exts))
            ).all()
        )
        if exts
        else {}
    )
    known = (
        set(db.session.execute(sa.select(Account.id).where(Account.id.in_(ids))).scalars()) if ids else set()
    )
    return by_ext, known


def _write_batch(parsed: list[tuple[int, dict[str, Any]]], actor: int) -> dict[int, dict[str, Any]]:
    emails = [d["email"] for _, d in parsed]
    existing = (
        {
            c.email: c
            for c in db.session.execute(sa.select(Contact).where(Contact.email.in_(emails))).scalars()
        }
        if emails
        else {}
    )
    by_ext, known = _accounts_for(parsed)
    out: dict[int, dict[str, Any]] = {}
    touched: list[tuple[int, Contact, str]] = []
    for index, data in parsed:
        values = {k: v for k, v in data.items() if k in accounts.CONTACT_FIELDS}
        ext = data.get("account_external_id")
        if ext is not None:
            if ext not in by_ext:
                out[index] = _error(index, "account_external_id", f"No account has the external id {ext!r}.")
                continue
            values["account_id"] = by_ext[ext]
        elif values.get("account_id") is not None and values["account_id"] not in known:
            out[index] = _error(index, "account_id", "That account does not exist.")
            continue
        row = existing.get(data["email"])
        if "attributes" in values:
            values["attributes"] = accounts.keep_types(
                values["attributes"] or {}, row.attributes if row else None
            )
        if row is None:
            row = Contact(**{"name": "", "locale": "en", "attributes": {}, **values})
            db.session.add(row)
            touched.append((index, row, "created"))
            continue
        changed = [k for k, v in values.items() if getattr(row, k) != v]
        for k in changed:
            setattr(row, k, values[k])
        touched.append((index, row, "updated" if changed else "unchanged"))
    db.session.flush()
    for index, row, status in touched:
        out[index] = {"index": index, "status": status, "id": row.id, "errors": {}}
    counts = {s: sum(1 for *_, st in touched if st == s) for s in ("created", "updated", "unchanged")}
    audit(actor, "contact.bulk_upsert", "contact", None, **counts, errors=len(parsed) - len(touched))
    db.session.commit()
    return out


def _slow_one(data: dict[str, Any], actor: int) -> dict[str, Any]:
    """One row through the accounts service (after a concurrent writer broke the batch)."""
    existing = contact_by_email(data["email"])
    before = _snapshot(existing)
    try:
        saved = accounts.save_contact(existing, _account_id(data), actor)
    except accounts.RecordError as exc:
        db.session.rollback()
        return {"index": -1, "status": "error", "id": None, "errors": {exc.field: [exc.message]}}
    status = "created" if before is None else "unchanged" if before == _snapshot(saved) else "updated"
    return {"index": -1, "status": status, "id": saved.id, "errors": {}}
