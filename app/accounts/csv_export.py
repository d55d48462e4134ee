"""CSV export of accounts and contacts under the list's current filters, streamed in keyset-paged chunks.

Cells that a spreadsheet would run as a formula (= + - @ tab CR) get a leading apostrophe; the importer
removes it again, so an export re-imports unchanged. Each chunk is its own short read, so a long export
never holds SQLite's write lock for its whole duration.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from app.accounts.contact_listing import ContactFilters
from app.accounts.listing import AccountFilters
from app.extensions import db
from app.models import Account, Contact, User
from app.spreadsheet import neutralise

CHUNK = 1000
ACCOUNT_HEADER = [
    "external_id",
    "name",
    "domain",
    "arr",
    "plan",
    "tier",
    "lifecycle_stage",
    "renewal_date",
    "csm_owner",
    "churned_on",
    "churn_reason",
]
CONTACT_HEADER = [
    "email",
    "name",
    "title",
    "role",
    "locale",
    "account_external_id",
    "account_name",
    "account_domain",
    "unsubscribed_at",
    "bounced_at",
    "last_surveyed_at",
]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return neutralise(value)


def _line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_cell(v) for v in values])
    return buffer.getvalue()


def _chunks(stmt: sa.Select, id_column: Any) -> Iterator[list[Any]]:
    """Rows of ``stmt`` by ascending id, CHUNK at a time, each chunk in its own short transaction."""
    last = 0
    while True:
        rows = db.session.execute(stmt.where(id_column > last).order_by(id_column).limit(CHUNK)).all()
        db.session.rollback()  # read-only: end the transaction (and SQLite's lock) between chunks
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _attribute_keys(stmt: sa.Select, id_column: Any) -> list[str]:
    """Every custom attribute name used by the exported rows, for the header."""
    keys: set[str] = set()
    for rows in _chunks(stmt, id_column):
        for row in rows:
            keys.update((row[1] or {}).keys())
    return sorted(keys)


def _write(stmt: sa.Select, header: list[str]) -> Iterator[str]:
    """The one CSV export writer: ``stmt`` selects (id, custom attributes, *cells); each custom attribute
    becomes a column after ``header``. A UTF-8 BOM first (for spreadsheets), then CHUNK rows at a time."""
    id_column, attributes = stmt.selected_columns[0], stmt.selected_columns[1]
    keys = _attribute_keys(stmt.with_only_columns(id_column, attributes), id_column)
    yield "\ufeff" + _line(header + keys)
    for rows in _chunks(stmt, id_column):
        yield "".join(_line(list(row[2:]) + [(row[1] or {}).get(k) for k in keys]) for row in rows)


def export_accounts(filters: AccountFilters) -> Iterator[str]:
    """CSV lines of the accounts the filters select (all pages), header first, with a UTF-8 BOM."""
    where = filters.where()
    stmt = (
        sa.select(
            Account.id,
            Account.attributes,
            Account.external_id,
            Account.name,
            Account.domain,
            Account.arr,
            Account.plan,
            Account.tier,
            Account.lifecycle_stage,
            Account.renewal_date,
            User.email,
            Account.churned_on,
            Account.churn_reason,
        )
        .outerjoin(User, Account.csm_owner_id == User.id)
        .where(*where)
    )
    return _write(stmt, ACCOUNT_HEADER)


def export_contacts(filters: ContactFilters) -> Iterator[str]:
    """CSV lines of the contacts the filters select (all pages), header first, with a UTF-8 BOM."""
    where = filters.where()
    stmt = (
        sa.select(
            Contact.id,
            Contact.attributes,
            Contact.email,
            Contact.name,
            Contact.title,
            Contact.role,
            Contact.locale,
            Account.external_id,
            Account.name,
            Account.domain,
            Contact.unsubscribed_at,
            Contact.bounced_at,
            Contact.last_surveyed_at,
        )
        .outerjoin(Account, Contact.account_id == Account.id)
        .where(*where)
    )
    return _write(stmt, CONTACT_HEADER)
