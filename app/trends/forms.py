"""The annotation form: a dated label admins put on the Trends charts (a release, an incident, a price
change), optionally about one segment."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.inputs import MAX_DAY, MIN_DAY, parse_id
from app.models import Lifecycle, Tier

SEGMENT_CHOICES = [
    SelectChoice(value, label)
    for value, label in (
        ("", "Everything (no segment)"),
        ("tier", "Tier"),
        ("plan", "Plan"),
        ("stage", "Lifecycle stage"),
        ("csm", "CSM (user id)"),
        ("survey", "Survey (id)"),
        ("account", "Account (id)"),
    )
]
ENUMS = {"tier": Tier, "stage": Lifecycle}


class AnnotationForm(FlaskForm):
    """Add an annotation."""

    day = DateField("Date", validators=[DataRequired(message="Give the day it happened (YYYY-MM-DD).")])
    label = StringField(
        "Label",
        validators=[DataRequired(message="Say what happened."), Length(max=120)],
        description="What happened, e.g. “Release 4.2”, “Billing outage”, “Price change”.",
    )
    segment = SelectField("Concerns", choices=SEGMENT_CHOICES, validate_choice=True, default="")
    segment_value = StringField(
        "Segment value",
        validators=[Length(max=100)],
        description="For a tier or stage its name (enterprise, onboarding…); "
        "for a CSM, survey or account its id.",
    )

    def validate_day(self, field: DateField) -> None:
        if field.data is not None and not MIN_DAY <= field.data <= MAX_DAY:
            raise ValidationError("That date is out of range.")

    def validate_segment_value(self, field: StringField) -> None:
        segment, value = self.segment.data or "", (field.data or "").strip()
        field.data = value or None
        if not segment:
            if value:
                raise ValidationError("Choose which segment this value belongs to, or leave it empty.")
            return
        if not value:
            raise ValidationError("Give the segment's value (or choose “Everything”).")
        if segment in ENUMS:
            allowed = [m.value for m in ENUMS[segment]]
            if value.lower() not in allowed:
                raise ValidationError(f"Use one of {', '.join(allowed)}.")
            field.data = value.lower()
        elif segment in ("csm", "survey", "account") and parse_id(value) is None:
            raise ValidationError("Give the id as a whole number.")
