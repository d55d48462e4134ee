"""Forms for accounts, contacts and CSV uploads. Fields are an allow-list; services re-check invariants."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.accounts.services import MAX_ARR, MAX_ATTRIBUTE_KEY, MAX_ATTRIBUTE_VALUE
from app.models import Lifecycle, Tier

TIER_LABELS = {tier: tier.label for tier in Tier}
LIFECYCLE_LABELS = {stage: stage.label for stage in Lifecycle}
LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish"}
BLANK_ATTRIBUTE_ROWS = 3


class AttributeRow(Form):
    """One custom attribute: a name and a value (no CSRF of its own; the parent form has it)."""

    key = StringField("Name", validators=[Optional(), Length(max=MAX_ATTRIBUTE_KEY)])
    value = StringField("Value", validators=[Optional(), Length(max=MAX_ATTRIBUTE_VALUE)])


class AttributesMixin:
    """Custom attributes as key/value rows, with a few blank rows to add new ones."""

    def attribute_dict(self) -> dict[str, str]:
        """The filled-in rows as a dict (rows without a name are dropped)."""
        out: dict[str, str] = {}
        for entry in self.attributes.entries:  # type: ignore[attr-defined]
            key = (entry.form.key.data or "").strip()
            if key:
                out[key] = (entry.form.value.data or "").strip()
        return out

    def fill_attributes(self, attributes: dict[str, Any]) -> None:
        """Show the stored attributes plus blank rows."""
        field = self.attributes  # type: ignore[attr-defined]
        while field.entries:
            field.pop_entry()
        for key, value in sorted((attributes or {}).items()):
            field.append_entry({"key": key, "value": "" if value is None else str(value)})
        for _ in range(BLANK_ATTRIBUTE_ROWS):
            field.append_entry({})


def _choices(labels: dict[Any, str]) -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [SelectChoice(key.value, label) for key, label in labels.items()]


class AccountForm(AttributesMixin, FlaskForm):
    """Create or edit an account."""

    name = StringField("Name", validators=[DataRequired("An account needs a name."), Length(max=200)])
    external_id = StringField(
        "External ID",
        validators=[Optional(), Length(max=100)],
        description="The ID in your CRM or billing system; CSV imports match accounts on it.",
    )
    domain = StringField(
        "Domain", validators=[Optional(), Length(max=253)], description="For example acme.com"
    )
    arr = IntegerField(
        "ARR",
        default=0,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_ARR, message="ARR must be 0 or more (whole units)."),
        ],
        description="Annual recurring revenue in whole currency units; MRR is ARR / 12.",
    )
    plan = StringField("Plan", validators=[Optional(), Length(max=50)])
    tier = SelectField("Tier", choices=_choices(TIER_LABELS), validate_choice=True)
    lifecycle_stage = SelectField("Lifecycle stage", choices=_choices(LIFECYCLE_LABELS))
    renewal_date = DateField("Renewal date", validators=[Optional()])
    csm_owner_id = SelectField("CSM owner", choices=[SelectChoice("", "—")])
    churned_on = DateField("Churned on", validators=[Optional()])
    churn_reason = TextAreaField("Churn reason", validators=[Optional(), Length(max=500)])
    attributes = FieldList(FormField(AttributeRow), min_entries=0, max_entries=60)

    def values(self) -> dict[str, Any]:
        """The submitted values for services.save_account (allow-listed there again)."""
        return {
            "name": self.name.data.strip(),
            "external_id": self.external_id.data,
            "domain": self.domain.data,
            "arr": self.arr.data or 0,
            "plan": (self.plan.data or "").strip() or None,
            "tier": self.tier.data or None,
            "lifecycle_stage": self.lifecycle_stage.data or None,
            "renewal_date": self.renewal_date.data,
            "csm_owner_id": int(self.csm_owner_id.data) if self.csm_owner_id.data else None,
            "churned_on": self.churned_on.data,
            "churn_reason": (self.churn_reason.data or "").strip() or None,
            "attributes": self.attribute_dict(),
        }


class ContactForm(AttributesMixin, FlaskForm):
    """Create or edit a contact. The account is named by external ID, domain or #id (with suggestions)."""

    email = StringField("Email", validators=[DataRequired("An email address is required."), Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    title = StringField("Title", validators=[Optional(), Length(max=200)])
    role = StringField(
        "Role",
        validators=[Optional(), Length(max=100)],
        description="e.g. admin, end user, executive sponsor",
    )
    locale = SelectField("Language")
    account = StringField(
        "Account",
        validators=[Optional(), Length(max=260)],
        description="The account's external ID or domain; start typing its name to pick it.",
    )
    unsubscribed = BooleanField("Mark as unsubscribed (they asked not to be surveyed)")
    attributes = FieldList(FormField(AttributeRow), min_entries=0, max_entries=60)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locale.choices = [
            SelectChoice(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]
        ]


class ImportForm(FlaskForm):
    """Upload a CSV file to preview."""

    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload.")])


class ConfirmForm(FlaskForm):
    """Confirm or discard a pending import (CSRF only)."""


class ExportForm(FlaskForm):
    """The export button: the list's filters travel as hidden fields (CSRF only here)."""
