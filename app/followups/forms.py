"""Forms of the follow-up pages: a rule, the follow-up settings, and the CSRF-carrying action form."""

from __future__ import annotations

from babel import Locale
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.followups.rules import BANDS, SENTIMENTS
from app.followups.sla import MAX_DAYS, supported_countries
from app.models import INTENTS, Tier


def _country(code: str) -> str:
    return Locale("en").territories.get(code, code)


class ActionForm(FlaskForm):
    """Only the CSRF token: the follow-up service checks each action's own fields."""


class Checkboxes(SelectMultipleField):
    """A multiple choice shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RuleForm(FlaskForm):
    """A follow-up rule: a name and its conditions (all must hold; at least one is needed)."""

    name = StringField("Name", validators=[DataRequired("Give the rule a name."), Length(max=50)])
    enabled = BooleanField("Enabled", default=True)
    position = IntegerField("Order", default=0, validators=[Optional(), NumberRange(0, 999)])
    bands = Checkboxes("Score band", choices=list(BANDS.items()))
    sentiment = SelectField(
        "Comment sentiment",
        validate_choice=False,  # Conditions.parse checks it (a missing field must mean "any")
        choices=[("", "Any (not a condition)")] + [(s, s.capitalize()) for s in SENTIMENTS],
    )
    topic_ids = SelectMultipleField("Mentions any of these topics", coerce=int)
    topic_negative = BooleanField("…and the topic is mentioned negatively")
    intents = Checkboxes("Intent", choices=[(i, i.replace("_", " ")) for i in INTENTS])
    tiers = Checkboxes("Account tier", choices=[(t.value, t.value.capitalize()) for t in Tier])
    min_arr = IntegerField("Account ARR at least", validators=[Optional(), NumberRange(0, 10**12)])
    survey_ids = SelectMultipleField("Only these surveys", coerce=int)

    def conditions(self) -> dict:
        """The submitted conditions, as the rules module stores them."""
        return {
            "bands": self.bands.data or [],
            "sentiment": self.sentiment.data or None,
            "topic_ids": self.topic_ids.data or [],
            "topic_negative": bool(self.topic_negative.data),
            "intents": self.intents.data or [],
            "tiers": self.tiers.data or [],
            "min_arr": self.min_arr.data,
            "survey_ids": self.survey_ids.data or [],
        }


class SettingsForm(FlaskForm):
    """The SLA, its calendar, the default owner and the admins' escalation delay."""

    sla_days = IntegerField(
        "Resolve within (business days)",
        validators=[DataRequired("Give the SLA in business days."), NumberRange(1, MAX_DAYS)],
    )
    holiday_country = SelectField("Public holidays of", default="", choices=[])
    day_start_hour = IntegerField("Business day starts at (hour, 0–23)", validators=[NumberRange(0, 23)])
    default_owner = SelectField("Default owner (accounts without a CSM)", coerce=int, choices=[])
    admin_days = IntegerField(
        "Escalate to admins after (business days overdue)", validators=[NumberRange(0, MAX_DAYS)]
    )

    def set_choices(self, owners: list[tuple[int, str]]) -> None:
        """Countries the holidays package knows, and the users who may own follow-ups."""
        self.holiday_country.choices = [("", "None (weekends only)")] + [
            (c, c) for c in supported_countries()
        ]
        self.default_owner.choices = [(0, "The first admin"), *owners]

    def validate_holiday_country(self, field: SelectField) -> None:
        """(The select already refuses unknown codes; this keeps the message readable.)"""
        if field.data and field.data not in supported_countries():
            raise ValidationError("Choose a country from the list.")
