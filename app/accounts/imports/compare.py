"""CSV import, step two: resolve references (CSM emails, accounts by external id or domain) in bulk and
compare every row with what is stored, so the preview can say create / update (what changes) / unchanged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from app.accounts.imports.rows import ImportPlan, PlannedRow, show_value
from app.accounts.imports.rules import FIELD_LABELS, ImportSpec
from app.extensions import db
from app.models import Account, Contact, Lifecycle, Tier, User

CHUNK = 500


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted(set(values), key=str)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def compare(spec: ImportSpec, rows: list[PlannedRow], plan: ImportPlan) -> None:
    """Resolve references and set each row's action, target and changes; rows go into the plan."""
    if spec.kind == "accounts":
        names = _resolve_owners(rows, plan)
        existing = _load(Account, Account.external_id, [r.key for r in rows])
        keyed = {a.external_id: a for a in existing}
        _owner_emails(existing, names["csm_owner_id"])
    else:
        names = _resolve_accounts(rows, plan)
        existing = _load(Contact, Contact.email, [r.key for r in rows])
        keyed = {c.email: c for c in existing}
    for row in rows:
        if row.values.pop("_failed", False):
            continue
        target = keyed.get(row.key)
        if spec.kind == "accounts":
            _account_values(row, target, plan)
        else:
            _contact_values(row, target, plan)
        if row.values.pop("_failed", False):
            continue
        _decide(row, target, names)
        plan.rows.append(row)


def _load(model: type, column: Any, keys: list[str]) -> list[Any]:
    out: list[Any] = []
    for chunk in _chunks(keys):
        out += db.session.execute(sa.select(model).where(column.in_(chunk))).scalars().all()
    return out


def _resolve_owners(rows: list[PlannedRow], plan: ImportPlan) -> dict[str, dict[Any, str]]:
    """CSM owner emails → staff user ids; an unknown email is a row error."""
    wanted = {r.values["csm_owner"].lower() for r in rows if "csm_owner" in r.values}
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        stmt = sa.select(sa.func.lower(User.email), User.id).where(sa.func.lower(User.email).in_(chunk))
        found |= dict(db.session.execute(stmt).all())
    for row in rows:
        owner = row.values.pop("csm_owner", None)
        if owner is None:
            continue
        if owner.lower() in found:
            row.values["csm_owner_id"] = found[owner.lower()]
        else:
            plan.error(
                row.line, "csm_owner", f"No staff user has the email “{owner}”; add them under Users first."
            )
            row.values["_failed"] = True
    return {"csm_owner_id": {uid: email for email, uid in found.items()}}


def _owner_emails(accounts: list[Account], names: dict[Any, str]) -> None:
    """Emails of the owners the matched accounts have now, so the preview shows who is replaced."""
    wanted = {a.csm_owner_id for a in accounts if a.csm_owner_id is not None} - set(names)
    for chunk in _chunks(wanted):
        names.update(db.session.execute(sa.select(User.id, User.email).where(User.id.in_(chunk))).all())


def _resolve_accounts(rows: list[PlannedRow], plan: ImportPlan) -> dict[str, dict[Any, str]]:
    """Contacts name their account by external id or by domain; both must find exactly one account."""
    ext_ids = {r.values["account_external_id"] for r in rows if "account_external_id" in r.values}
    domains = {r.values["account_domain"] for r in rows if "account_domain" in r.values}
    by_ext: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(ext_ids):
        for aid, ext, name in db.session.execute(
            sa.select(Account.id, Account.external_id, Account.name).where(Account.external_id.in_(chunk))
        ):
            by_ext[ext] = (aid, name)
    by_domain: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for chunk in _chunks(domains):
        for aid, domain, name in db.session.execute(
            sa.select(Account.id, Account.domain, Account.name).where(Account.domain.in_(chunk))
        ):
            by_domain[domain].append((aid, name))
    names: dict[Any, str] = {}
    for row in rows:
        chosen = _pick_account(row, by_ext, by_domain, plan)
        if chosen is not None:
            row.values["account_id"] = chosen[0]
            names[chosen[0]] = chosen[1]
    return {"account_id": names}


def _pick_account(
    row: PlannedRow,
    by_ext: dict[str, tuple[int, str]],
    by_domain: dict[str, list[tuple[int, str]]],
    plan: ImportPlan,
) -> tuple[int, str] | None:
    """The account a contact row names: its external ID wins; a domain must then agree (when it is unique)."""
    ext, domain = row.values.pop("account_external_id", None), row.values.pop("account_domain", None)
    matches = by_domain.get(domain, []) if domain is not None else []
    if ext is not None:
        picked = by_ext.get(ext)
        if picked is None:
            return _fail(
                row,
                plan,
                "account_external_id",
                f"No account has the external ID “{ext}”. Import the accounts first, or fix the ID.",
            )
        if len(matches) == 1 and matches[0][0] != picked[0]:
            return _fail(
                row,
                plan,
                "account_domain",
                f"The external ID points to “{picked[1]}” but the domain "
                f"to “{matches[0][1]}”; give one or make them agree.",
            )
        return picked
    if domain is None:
        return None
    if len(matches) != 1:
        why = "No account has" if not matches else f"{len(matches)} accounts have"
        hint = "" if not matches else "; name the account by its external ID instead"
        return _fail(row, plan, "account_domain", f"{why} the domain “{domain}”{hint}.")
    return matches[0]


def _fail(row: PlannedRow, plan: ImportPlan, column: str, message: str) -> None:
    plan.error(row.line, column, message)
    row.values["_failed"] = True
    return None


def _account_values(row: PlannedRow, target: Account | None, plan: ImportPlan) -> None:
    values = row.values
    mrr = values.pop("mrr", None)
    if mrr is not None and "arr" not in values:
        values["arr"] = mrr * 12
    for field_name, enum_cls in (("tier", Tier), ("lifecycle_stage", Lifecycle)):
        if field_name in values:
            values[field_name] = enum_cls(values[field_name])
    if target is None and not values.get("name"):
        plan.error(row.line, "name", "A new account needs a name; this external ID is not in Clearloop yet.")
        values["_failed"] = True
    row.label = values.get("name") or (target.name if target else "")


def _contact_values(row: PlannedRow, target: Contact | None, plan: ImportPlan) -> None:
    values = row.values
    flag = values.pop("unsubscribed", None)
    if flag is not None:
        unsubscribe, when = flag
        if unsubscribe and (target is None or target.unsubscribed_at is None):
            values["unsubscribed_at"] = when.isoformat() if when else "now"
        elif not unsubscribe and target is not None and target.unsubscribed_at is not None:
            note = "An import never re-subscribes a contact: “not unsubscribed” cells were left as they are."
            if note not in plan.notes:
                plan.notes.append(note)
    if target is None:
        values.setdefault("locale", "en")
        values.setdefault("name", "")
    row.label = values.get("name") or (target.name if target else "")


def _decide(row: PlannedRow, target: Account | Contact | None, names: dict[str, dict[Any, str]]) -> None:
    """Create when new; otherwise update with the fields that differ, or nothing."""
    if target is None:
        row.action = "create"
        return
    row.target_id = target.id
    row.stored_attributes = dict(target.attributes or {})
    changes = []
    for key, new in row.values.items():
        old = getattr(target, key, None)
        if key == "unsubscribed_at" or old != new:
            lookup = names.get(key, {})
            changes.append(
                (
                    FIELD_LABELS.get(key, key),
                    lookup.get(old, show_value(old)),
                    lookup.get(new, show_value(new)),
                )
            )
    stored = target.attributes or {}
    for key, new in row.attributes.items():
        if str(stored.get(key, "")) != new:
            changes.append((f"Attribute “{key}”", show_value(stored.get(key)), new))
    row.changes = changes
    row.action = "update" if changes else "unchanged"
