"""What a CSV of accounts or of contacts may contain: columns, their aliases, and how each cell is read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from app.accounts.fields import MAX_ARR, clean_domain, clean_email
from app.accounts.imports.csv_format import normalise_header, parse_date, parse_flag, parse_money

TIER_WORDS = {
    "enterprise": ("enterprise", "ent", "large", "strategic"),
    "mid_market": ("mid_market", "midmarket", "mid", "mm", "mid_size", "midsize", "commercial"),
    "smb": ("smb", "small", "small_business", "smb_small", "startup", "self_serve"),
}
LIFECYCLE_WORDS = {
    "onboarding": ("onboarding", "new", "implementation"),
    "adoption": ("adoption", "adopting", "live"),
    "growth": ("growth", "growing", "active"),
    "renewal": ("renewal", "renewing", "up_for_renewal"),
    "expansion": ("expansion", "expanding", "upsell"),
    "at_risk": ("at_risk", "risk", "red", "churn_risk"),
    "churned": ("churned", "churn", "lost", "cancelled", "canceled"),
}
LOCALE_WORDS = {
    "en": ("en", "english", "en_us", "en_gb", "en_au", "en_ca", "en_ie", "en_in"),
    "de": ("de", "german", "deutsch", "de_de", "de_at", "de_ch"),
    "fr": ("fr", "french", "francais", "fran_ais", "fr_fr", "fr_be", "fr_ca", "fr_ch"),
    "es": ("es", "spanish", "espanol", "espa_ol", "castellano", "es_es", "es_mx", "es_ar", "es_419"),
}


@dataclass(frozen=True)
class Column:
    """A known column: the field it fills, its accepted header names, and how its cells are read."""

    field: str
    aliases: tuple[str, ...]
    kind: str = "text"  # text, money, date, choice, email, domain, locale, flag, ref
    max_len: int = 200
    required: bool = False
    choices: dict[str, tuple[str, ...]] | None = None

    def choice(self, raw: str) -> str:
        """The canonical value of a choice cell, or ValueError listing what is accepted."""
        folded = normalise_header(raw)
        for value, words in (self.choices or {}).items():
            if folded in words:
                return value
        raise ValueError(f"“{raw}” is not one of: {', '.join(self.choices or {})}.")


@dataclass(frozen=True)
class ImportSpec:
    """The columns of one kind of import, the upsert key, and names accepted but ignored."""

    kind: str
    key: str
    columns: tuple[Column, ...]
    ignored: tuple[str, ...]

    def lookup(self) -> dict[str, Column]:
        """Normalised header name → column."""
        return {alias: col for col in self.columns for alias in (col.field, *col.aliases)}

    def reserved_names(self) -> set[str]:
        """Every header name that means a real field or is deliberately ignored."""
        return set(self.lookup()) | set(self.ignored)

    def column(self, field: str) -> Column:
        """The column that fills ``field``."""
        return next(c for c in self.columns if c.field == field)


def _names(text: str) -> tuple[str, ...]:
    """Header names written as one space-separated string."""
    return tuple(text.split())


def _col(field: str, aliases: str, kind: str = "text", max_len: int = 200, **kw: Any) -> Column:
    """A column with its aliases written as one space-separated string."""
    return Column(field, _names(aliases), kind, max_len, **kw)


ACCOUNT_SPEC = ImportSpec(
    kind="accounts",
    key="external_id",
    columns=(
        _col(
            "external_id",
            "externalid ext_id account_id account_external_id crm_id customer_id "
            "salesforce_id sfdc_id hubspot_id",
            max_len=100,
            required=True,
        ),
        _col(
            "name",
            "company company_name account account_name organisation organization customer customer_name",
        ),
        _col("domain", "website web url company_domain account_domain email_domain", "domain", 253),
        _col(
            "arr",
            "arr_usd arr_eur arr_gbp annual_recurring_revenue annual_revenue arr_amount contract_value",
            "money",
        ),
        _col("mrr", "mrr_usd mrr_eur monthly_recurring_revenue", "money"),
        _col("plan", "plan_name subscription subscription_plan package edition", max_len=50),
        _col("tier", "segment customer_tier account_tier size", "choice", choices=TIER_WORDS),
        _col(
            "lifecycle_stage",
            "lifecycle stage customer_stage journey_stage",
            "choice",
            choices=LIFECYCLE_WORDS,
        ),
        _col(
            "renewal_date",
            "renewal renews_on renewal_on contract_end contract_end_date contract_renewal_date next_renewal",
            "date",
        ),
        _col(
            "csm_owner",
            "csm csm_email csm_owner_email owner owner_email account_owner customer_success_manager",
            "ref",
            254,
        ),
        _col("churned_on", "churn_date churned_at churned_date", "date"),
        _col("churn_reason", "reason_for_churn", max_len=500),
    ),
    ignored=_names("id created_at updated_at contacts latest_nps csm_owner_name"),
)

CONTACT_SPEC = ImportSpec(
    kind="contacts",
    key="email",
    columns=(
        _col(
            "email",
            "email_address e_mail mail work_email contact_email email_addr",
            "email",
            254,
            required=True,
        ),
        _col("name", "full_name contact_name contact"),
        _col("first_name", "firstname given_name first", max_len=100),
        _col("last_name", "lastname surname family_name last", max_len=100),
        _col("title", "job_title position job"),
        _col("role", "contact_role persona", max_len=100),
        _col("locale", "language lang preferred_language", "locale", 20),
        _col(
            "account_external_id",
            "account_id external_account_id account_ext_id company_id crm_account_id customer_id",
            "ref",
            100,
        ),
        _col("account_domain", "domain company_domain website", "domain", 253),
        _col("unsubscribed", "unsubscribed_at opted_out opt_out do_not_contact do_not_email", "flag", 40),
    ),
    ignored=_names(
        "id account_name account company company_name bounced_at bounced bounce_count last_surveyed_at "
        "created_at updated_at"
    ),
)

SPECS = {spec.kind: spec for spec in (ACCOUNT_SPEC, CONTACT_SPEC)}

# Fields shown in the preview, in this order, with people's names.
FIELD_LABELS = {
    "external_id": "External ID",
    "name": "Name",
    "domain": "Domain",
    "arr": "ARR",
    "plan": "Plan",
    "tier": "Tier",
    "lifecycle_stage": "Lifecycle",
    "renewal_date": "Renewal date",
    "csm_owner_id": "CSM owner",
    "churned_on": "Churned on",
    "churn_reason": "Churn reason",
    "email": "Email",
    "title": "Title",
    "role": "Role",
    "locale": "Language",
    "account_id": "Account",
    "unsubscribed_at": "Unsubscribed",
}


def parse_cell(column: Column, raw: str, day_first: bool | None = None) -> Any:
    """The typed value of a non-blank cell, or ValueError with a message for people."""
    if column.kind == "money":
        amount = parse_money(raw)
        if amount > MAX_ARR:
            raise ValueError(f"“{raw}” is more than the largest amount accepted.")
        return amount
    if column.kind == "date":
        return parse_date(raw, day_first)
    if column.kind == "choice":
        return column.choice(raw)
    if column.kind == "email":
        return clean_email(raw)
    if column.kind == "domain":
        return clean_domain(raw)
    if column.kind == "flag":
        return parse_flag(raw)
    if column.kind == "locale":
        return parse_locale(raw)
    if len(raw) > column.max_len:
        raise ValueError(
            f"The value is {len(raw)} characters long; {column.field} takes at most {column.max_len}."
        )
    return raw


def parse_locale(raw: str) -> str:
    """One of the app's languages from a code or name (en, en-GB, German, Français ...)."""
    folded = normalise_header(raw)
    for code, words in LOCALE_WORDS.items():
        if folded in words and code in current_app.config["LANGUAGES"]:
            return code
    raise ValueError(
        f"“{raw}” is not a language Clearloop speaks; use one of "
        f"{', '.join(current_app.config['LANGUAGES'])}."
    )
