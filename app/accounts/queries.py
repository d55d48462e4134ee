"""Accounts read models, the feature's one read entry: the validated account and contact lists, the account
and contact pages, and CSV exports. The work is in ``listing``, ``contact_listing``, ``details`` and
``csv_export``; a bad filter or sort key raises ``QueryError`` (a 400 with a message)."""

from __future__ import annotations

from app.accounts.contact_listing import ContactFilters, list_contacts
from app.accounts.csv_export import export_accounts, export_contacts
from app.accounts.details import account_detail, contact_detail, nps_history, renewal_in_days
from app.accounts.listing import (
    CONTACT_STATUSES,
    AccountFilters,
    QueryError,
    account_filter_choices,
    csm_candidates,
    list_accounts,
)

__all__ = [
    "CONTACT_STATUSES",
    "AccountFilters",
    "ContactFilters",
    "QueryError",
    "account_detail",
    "account_filter_choices",
    "contact_detail",
    "csm_candidates",
    "export_accounts",
    "export_contacts",
    "list_accounts",
    "list_contacts",
    "nps_history",
    "renewal_in_days",
]
