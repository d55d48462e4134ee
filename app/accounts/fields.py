"""The writable fields of accounts and contacts and the rules of their values, shared by the forms, the
services and CSV imports (no mass assignment: only these fields are ever written)."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

# Only these fields can be written through forms, imports or the API (no mass assignment).
ACCOUNT_FIELDS = (
    "name",
    "external_id",
    "domain",
    "arr",
    "plan",
    "tier",
    "lifecycle_stage",
    "renewal_date",
    "csm_owner_id",
    "churned_on",
    "churn_reason",
    "attributes",
)
CONTACT_FIELDS = ("email", "name", "title", "role", "locale", "account_id", "attributes")

MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_KEY = 100
MAX_ATTRIBUTE_VALUE = 1000
MAX_ARR = 10**12
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


class RecordError(ValueError):
    """A value a person must fix, with the field it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def clean_email(raw: str) -> str:
    """A syntactically valid email address, lower-cased; raises ValueError with a readable reason."""
    raw = (raw or "").strip()
    if not raw:
        raise ValueError("An email address is required.")
    if len(raw) > 254:
        raise ValueError("An email address is at most 254 characters.")
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(f"“{raw}” is not a valid email address: {exc}") from None


def clean_domain(raw: str | None) -> str | None:
    """A bare lower-case domain (scheme, www., path and port dropped), or None; raises ValueError."""
    value = (raw or "").strip().lower()
    if not value:
        return None
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value).split("/")[0].split(":")[0].strip(".")
    value = value.removeprefix("www.")
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"“{raw}” is not a valid domain.") from None
    if not _DOMAIN.match(value):
        raise ValueError(f"“{raw}” is not a valid domain (write it like example.com).")
    return value
