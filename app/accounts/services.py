"""Account and contact use cases: create and update with allow-listed fields, shared value checks, audit.

Routes, CSV import and a future API call these; each write checks the same invariants (unique external
id and email, ARR not negative, known locale, custom attribute keys that do not shadow real fields).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app import queue
from app.accounts.arr import record_arr_changes
from app.accounts.fields import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    MAX_ARR,
    MAX_ATTRIBUTE_KEY,
    MAX_ATTRIBUTE_VALUE,
    MAX_ATTRIBUTES,
    RecordError,
    clean_domain,
    clean_email,
)
from app.accounts.imports.apply import (
    BACKGROUND_ROWS,
    ImportConflict,
    apply_batch,
    apply_queued,
    discard_batch,
    expire_stale_previews,
    queue_batch,
    queued_batches,
    store_batch,
)
from app.accounts.imports.csv_format import MAX_BYTES, MAX_ROWS, ImportFileError, normalise_header
from app.accounts.imports.plan import plan_upload
from app.accounts.imports.rules import ACCOUNT_SPEC, CONTACT_SPEC, SPECS
from app.audit import audit
from app.database import is_unique_violation
from app.extensions import db
from app.inputs import parse_id
from app.mail.services import suppress
from app.models import Account, ArrSource, Contact, Lifecycle, Tier, User, utcnow
from app.webhooks import services as webhooks

R = TypeVar("R", Account, Contact)

__all__ = [
    "ACCOUNT_FIELDS",
    "BACKGROUND_ROWS",
    "CONTACT_FIELDS",
    "MAX_ARR",
    "MAX_ATTRIBUTES",
    "MAX_ATTRIBUTE_KEY",
    "MAX_ATTRIBUTE_VALUE",
    "MAX_BYTES",
    "MAX_ROWS",
    "SPECS",
    "ImportConflict",
    "ImportFileError",
    "RecordError",
    "account_choices",
    "account_ref",
    "apply_batch",
    "apply_queued_import",
    "clean_attributes",
    "clean_domain",
    "clean_email",
    "confirm_in_background",
    "discard_batch",
    "expire_import_previews",
    "find_account_ref",
    "keep_types",
    "mark_unsubscribed",
    "plan_upload",
    "record_export",
    "save_account",
    "save_contact",
    "store_batch",
]


def reserved_attribute_keys() -> frozenset[str]:
    """Names custom attributes may not use because they mean a real field (or its CSV alias)."""
    names = set(ACCOUNT_FIELDS) | set(CONTACT_FIELDS) | {"id", "mrr"}
    for spec in (ACCOUNT_SPEC, CONTACT_SPEC):
        names |= spec.reserved_names()
    return frozenset(names)


def clean_attributes(pairs: dict[str, Any]) -> dict[str, Any]:
    """Check custom attributes: bounded keys and values, no key shadowing a real field."""
    if len(pairs) > MAX_ATTRIBUTES:
        raise RecordError("attributes", f"At most {MAX_ATTRIBUTES} custom attributes.")
    reserved = reserved_attribute_keys()
    out: dict[str, Any] = {}
    for key, value in pairs.items():
        key = str(key).strip()
        if not key:
            raise RecordError("attributes", "Every custom attribute needs a name.")
        if len(key) > MAX_ATTRIBUTE_KEY:
            raise RecordError("attributes", f"Attribute names are at most {MAX_ATTRIBUTE_KEY} characters.")
        if normalise_header(key) in reserved:
            raise RecordError("attributes", f"{key!r} is a standard field, not a custom attribute.")
        if isinstance(value, str) and len(value) > MAX_ATTRIBUTE_VALUE:
            raise RecordError("attributes", f"The value of {key!r} is over {MAX_ATTRIBUTE_VALUE} characters.")
        out[key] = value
    return out


def keep_types(new: dict[str, Any], stored: dict[str, Any] | None) -> dict[str, Any]:
    """Form fields are text: keep a stored number (e.g. seats: 155) when its text was not changed."""
    stored = stored or {}
    return {k: stored[k] if k in stored and str(stored[k]) == v else v for k, v in new.items()}


def _check_account(values: dict[str, Any], account_id: int | None) -> None:
    if "name" in values and not (values["name"] or "").strip():
        raise RecordError("name", "An account needs a name.")
    arr = values.get("arr")
    if arr is not None and not 0 <= arr <= MAX_ARR:
        raise RecordError("arr", "ARR must be between 0 and 1,000,000,000,000.")
    for field, enum_cls in (("tier", Tier), ("lifecycle_stage", Lifecycle)):
        if values.get(field) is not None:
            try:
                values[field] = enum_cls(values[field])
            except ValueError:
                raise RecordError(field, f"Unknown {field.replace('_', ' ')} {values[field]!r}.") from None
    if values.get("external_id"):
        clash = db.session.execute(
            sa.select(Account.name).where(
                Account.external_id == values["external_id"], Account.id != account_id
            )
        ).scalar()
        if clash is not None:
            raise RecordError("external_id", f"Account {clash!r} already uses that external ID.")
    if values.get("csm_owner_id") is not None and db.session.get(User, values["csm_owner_id"]) is None:
        raise RecordError("csm_owner_id", "That CSM owner does not exist.")


def save_account(
    account: Account | None,
    values: dict[str, Any],
    actor_id: int | None,
    source: ArrSource | str = ArrSource.EDIT,
) -> Account:
    """Create (``account`` None) or update an account from allow-listed values; commits. A change of ARR
    (or a new account's ARR) is recorded as an ArrChange from ``source`` in the same transaction."""
    values = {k: v for k, v in values.items() if k in ACCOUNT_FIELDS}
    if "domain" in values:
        try:
            values["domain"] = clean_domain(values["domain"])
        except ValueError as exc:
            raise RecordError("domain", str(exc)) from None
    if "external_id" in values:
        values["external_id"] = (values["external_id"] or "").strip() or None
    _check_account(values, account.id if account else None)
    old_arr = account.arr if account is not None else None

    def arr_change(row: Account) -> None:
        if account is None or "arr" in values:
            record_arr_changes([(row.id, old_arr, row.arr or 0)], source, actor_id)

    return _save(account, Account, "account", "external_id", values, actor_id, arr_change)


def save_contact(contact: Contact | None, values: dict[str, Any], actor_id: int | None) -> Contact:
    """Create (``contact`` None) or update a contact from allow-listed values; commits."""
    values = {k: v for k, v in values.items() if k in CONTACT_FIELDS}
    if "email" in values:
        try:
            values["email"] = clean_email(values["email"])
        except ValueError as exc:
            raise RecordError("email", str(exc)) from None
        clash = db.session.execute(
            sa.select(Contact.id).where(
                Contact.email == values["email"], Contact.id != (contact.id if contact else None)
            )
        ).scalar()
        if clash is not None:
            raise RecordError("email", f"Another contact already has the email {values['email']}.")
    if "locale" in values and values["locale"] not in current_app.config["LANGUAGES"]:
        raise RecordError("locale", f"Unknown language {values['locale']!r}.")
    if values.get("account_id") is not None and db.session.get(Account, values["account_id"]) is None:
        raise RecordError("account_id", "That account does not exist.")
    return _save(contact, Contact, "contact", "email", values, actor_id)


def _save(
    row: R | None,
    model: type[R],
    kind: str,
    unique: str,
    values: dict[str, Any],
    actor: int | None,
    also: Callable[[Any], None] | None = None,
) -> R:
    """The one save of an account or contact: custom attributes checked (stored types kept), allow-listed
    values applied, flushed (a unique clash on ``unique`` becomes a RecordError), ``also(row)`` run in the
    same transaction, then audited and committed."""
    if "attributes" in values:
        values["attributes"] = keep_types(
            clean_attributes(values["attributes"] or {}), row and row.attributes
        )
    created = row is None
    row = row or model()
    changed = _apply(row, values)
    if created:
        db.session.add(row)
    _commit(unique)
    if also is not None:
        also(row)
    audit(actor, f"{kind}.create" if created else f"{kind}.update", kind, row.id, fields=changed)
    db.session.commit()
    return row


def account_ref(account: Account) -> str:
    """How forms name an account: its external ID, else its domain, else ``#<id>``."""
    return account.external_id or account.domain or f"#{account.id}"


def find_account_ref(text: str | None) -> int | None:
    """The account a form names (external ID, ``#id``, domain or exact name), or None for blank."""
    text = (text or "").strip()
    if not text:
        return None
    if text.startswith("#") and parse_id(text[1:]) is not None:
        found = db.session.get(Account, parse_id(text[1:]))
        if found is not None:
            return found.id
    by_ext = db.session.execute(sa.select(Account.id).where(Account.external_id == text)).scalar()
    if by_ext is not None:
        return by_ext
    try:
        domain = clean_domain(text)
    except ValueError:
        domain = None
    for column, value in ((Account.domain, domain), (sa.func.lower(Account.name), text.lower())):
        if value is None:
            continue
        ids = db.session.execute(sa.select(Account.id).where(column == value).limit(2)).scalars().all()
        if len(ids) == 1:
            return ids[0]
        if len(ids) > 1:
            raise RecordError("account_id", f"More than one account matches “{text}”; use its external ID.")
    raise RecordError("account_id", f"No account matches “{text}”. Use its external ID or domain.")


def account_choices(limit: int = 1000) -> list[tuple[str, str]]:
    """Suggestions for the account field: (reference, name), the first ``limit`` by name."""
    rows = db.session.execute(sa.select(Account).order_by(Account.name, Account.id).limit(limit)).scalars()
    return [(account_ref(a), a.name) for a in rows]


def mark_unsubscribed(contact: Contact, actor_id: int | None) -> None:
    """Record that a contact asked (by other means) not to be surveyed; never undone by staff."""
    if contact.unsubscribed_at is None:
        contact.unsubscribed_at = utcnow()
        suppress(contact.email, "unsubscribe")  # kept even if the contact is erased later (rule 7)
        webhooks.emit("contact.unsubscribed", webhooks.contact_data(contact), contact.id)
        audit(actor_id, "contact.unsubscribe", "contact", contact.id)
        db.session.commit()


def _apply(row: Account | Contact, values: dict[str, Any]) -> list[str]:
    """Set the given values; return the names of the fields that changed."""
    changed = []
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed.append(key)
    return changed


def _commit(unique_field: str) -> None:
    """Flush, turning a unique-constraint race into a RecordError on the unique field."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        if is_unique_violation(exc):
            raise RecordError(unique_field, "Another record took that value a moment ago.") from None
        raise


# --- CSV imports (planned and applied in app/accounts/imports/) and exports --------------------------------


def confirm_in_background(batch_id: int, actor_id: int | None, ip: str | None) -> bool:
    """Hand a previewed big import to a worker (still one transaction); False when no longer pending."""
    if not queue_batch(batch_id):
        return False
    queue.enqueue("accounts.apply_import", batch_id, actor_id, ip)
    return True


def apply_queued_import(batch_id: int, actor_id: int | None, ip: str | None) -> dict[str, int] | None:
    """Apply a queued import (the worker's side); a conflict is kept on the batch for the person to read."""
    return apply_queued(batch_id, actor_id, ip)


def expire_import_previews() -> int:
    """Expire previews nobody confirmed within a day, and enqueue again queued imports whose job was lost."""
    for batch_id, actor_id in queued_batches():
        queue.enqueue("accounts.apply_import", batch_id, actor_id, None)
    return expire_stale_previews()


def record_export(kind: str, filters: dict[str, str], actor_id: int | None) -> None:
    """Audit an export before its first byte leaves (commits)."""
    audit(actor_id, f"{kind}.export", kind, None, filters=filters)
    db.session.commit()
