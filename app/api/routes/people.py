"""Accounts and contacts: list (sync with ``updated_since``), get, create, upsert, bulk upsert."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.api import people
from app.api.core import actor_id, blueprint, fail, scoped
from app.api.listing import page_by_update
from app.api.schemas import (
    AccountInSchema,
    AccountPage,
    AccountSchema,
    BulkContactsSchema,
    BulkResultSchema,
    ContactExportSchema,
    ContactInSchema,
    ContactPage,
    ContactSchema,
    PageArgs,
)
from app.dataprotection import services as dataprotection
from app.extensions import db
from app.models import Account, Contact

bp = blueprint("people", "Accounts (customer companies) and contacts (people at them)")


def _get(model: Any, object_id: int, what: str) -> Any:
    row = db.session.get(model, object_id)
    if row is None:
        fail(404, f"No {what} with id {object_id}.")
    return row


@bp.route("/accounts", methods=["GET"])
@scoped("read")
@bp.arguments(PageArgs, location="query")
@bp.response(200, AccountPage)
def list_accounts(args: dict[str, Any]):
    """List accounts, oldest change first; pass ``updated_since`` to sync changes."""
    return page_by_update(Account, args)


@bp.route("/accounts", methods=["POST"])
@scoped("write")
@bp.arguments(AccountInSchema)
@bp.response(201, AccountSchema)
def create_account(data: dict[str, Any]):
    """Create an account (``name`` required; ``external_id`` must be unused)."""
    if not data.get("name"):
        fail(422, "An account needs a name.")
    return people.save_account(None, data, actor_id())


@bp.route("/accounts/upsert", methods=["POST"])
@scoped("write")
@bp.arguments(AccountInSchema)
@bp.response(200, AccountSchema)
def upsert_account(data: dict[str, Any]):
    """Create or update the account with this ``external_id``."""
    if not data.get("external_id"):
        fail(422, "An upsert needs the account's external_id.")
    found = db.session.execute(sa.select(Account).where(Account.external_id == data["external_id"])).scalar()
    if found is None and not data.get("name"):
        fail(422, "No account has that external_id yet; give a name to create it.")
    return people.save_account(found, data, actor_id())


@bp.route("/accounts/<int:account_id>", methods=["GET"])
@scoped("read")
@bp.response(200, AccountSchema)
def get_account(account_id: int):
    """One account."""
    return _get(Account, account_id, "account")


@bp.route("/accounts/<int:account_id>", methods=["PATCH"])
@scoped("write")
@bp.arguments(AccountInSchema)
@bp.response(200, AccountSchema)
def update_account(data: dict[str, Any], account_id: int):
    """Change some fields of an account."""
    return people.save_account(_get(Account, account_id, "account"), data, actor_id())


@bp.route("/contacts", methods=["GET"])
@scoped("read")
@bp.arguments(PageArgs, location="query")
@bp.response(200, ContactPage)
def list_contacts(args: dict[str, Any]):
    """List contacts, oldest change first; pass ``updated_since`` to sync changes."""
    return page_by_update(Contact, args)


@bp.route("/contacts", methods=["POST"])
@scoped("write")
@bp.arguments(ContactInSchema)
@bp.response(201, ContactSchema)
def create_contact(data: dict[str, Any]):
    """Create a contact (``email`` required and unused)."""
    if not data.get("email"):
        fail(422, "A contact needs an email address.")
    return people.save_contact(None, data, actor_id())


@bp.route("/contacts/upsert", methods=["POST"])
@scoped("write")
@bp.arguments(ContactInSchema)
@bp.response(200, ContactSchema)
def upsert_contact(data: dict[str, Any]):
    """Create or update the contact with this email."""
    if not data.get("email"):
        fail(422, "An upsert needs the contact's email.")
    return people.save_contact(people.contact_by_email(data["email"]), data, actor_id())


@bp.route("/contacts/bulk", methods=["POST"])
@scoped("write")
@bp.arguments(BulkContactsSchema)
@bp.response(200, BulkResultSchema)
def bulk_contacts(data: dict[str, Any]):
    """Create or update up to 1,000 contacts by email; each row gets its own result."""
    return people.bulk_upsert(data["contacts"], actor_id())


@bp.route("/contacts/<int:contact_id>", methods=["GET"])
@scoped("read")
@bp.response(200, ContactSchema)
def get_contact(contact_id: int):
    """One contact."""
    return _get(Contact, contact_id, "contact")


@bp.route("/contacts/<int:contact_id>", methods=["PATCH"])
@scoped("write")
@bp.arguments(ContactInSchema)
@bp.response(200, ContactSchema)
def update_contact(data: dict[str, Any], contact_id: int):
    """Change some fields of a contact."""
    return people.save_contact(_get(Contact, contact_id, "contact"), data, actor_id())


@bp.route("/contacts/<int:contact_id>/export", methods=["GET"])
@scoped("privacy")
@bp.response(200, ContactExportSchema)
def export_contact(contact_id: int):
    """Everything stored about a contact (a data-subject access request); audited."""
    try:
        return dataprotection.export_contact(contact_id, actor_id())
    except dataprotection.NotFound:
        fail(404, f"No contact with id {contact_id}.")


@bp.route("/contacts/<int:contact_id>", methods=["DELETE"])
@scoped("privacy")
@bp.response(204)
def erase_contact(contact_id: int):
    """Erase a contact and every trace of them (responses anonymised, the address kept only as a suppression
    hash); a tombstone appears in /tombstones. Erasing again is a no-op; an unknown id is 404."""
    try:
        dataprotection.erase_contact(contact_id, actor_id())
    except dataprotection.NotFound:
        fail(404, f"No contact with id {contact_id}.")
