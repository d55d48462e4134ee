"""Account and contact writes for the API: the accounts feature's services, with its errors as 422s."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError

from app.accounts import services as accounts
from app.api.schemas import ContactInSchema
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
        return accounts.save_account(row, data, actor)
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
    """Upsert each row by email on its own: a bad row (or an email repeated in the batch) fails alone."""
    schema = ContactInSchema()
    seen: dict[str, int] = {}
    results = []
    counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
    for index, raw in enumerate(rows):
        result = _one(schema, index, raw, seen, actor)
        counts[result["status"]] += 1
        results.append(result)
    return {"results": results, "counts": counts}


def _one(schema: ContactInSchema, index: int, raw: Any, seen: dict[str, int], actor: int) -> dict[str, Any]:
    try:
        data = schema.load(raw if isinstance(raw, dict) else {})
    except ValidationError as exc:
        return {"index": index, "status": "error", "id": None, "errors": exc.normalized_messages()}
    if not data.get("email"):
        return {"index": index, "status": "error", "id": None, "errors": {"email": ["An email is required."]}}
    try:
        key = accounts.clean_email(data["email"])
    except ValueError as exc:
        return {"index": index, "status": "error", "id": None, "errors": {"email": [str(exc)]}}
    if key in seen:
        message = f"This email is already in row {seen[key]} of this batch."
        return {"index": index, "status": "error", "id": None, "errors": {"email": [message]}}
    seen[key] = index
    existing = contact_by_email(key)
    before = _snapshot(existing)
    try:
        saved = accounts.save_contact(existing, _account_id(data), actor)
    except accounts.RecordError as exc:
        db.session.rollback()
        return {"index": index, "status": "error", "id": None, "errors": {exc.field: [exc.message]}}
    status = "created" if before is None else "unchanged" if before == _snapshot(saved) else "updated"
    return {"index": index, "status": status, "id": saved.id, "errors": {}}
