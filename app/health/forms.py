"""Forms of the health pages: the model (weights, anchors, stage profiles), an override, churn."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.health import model

MAX_OVERRIDE_DAYS = 90
AT_MOST_500 = "At most 500 characters."
OVERRIDE_BANDS = [("healthy", "Healthy"), ("watch", "Watch"), ("at_risk", "At risk")]


class WeightField(FloatField):
    """A weight shown as 25, not 25.0."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data:g}" if self.data is not None else ""


class _ModelFormBase(FlaskForm):
    """Weights (w_<key>), anchors (a_<key>) and stage profiles (p_<stage>_<key>); fields added below."""

    def keys(self) -> list[str]:
        """The components, in the model's order."""
        return [c.key for c in model.COMPONENTS]

    def fill(self, spec: model.Spec) -> None:
        """Show ``spec`` in the form (a GET)."""
        for c in model.COMPONENTS:
            getattr(self, f"w_{c.key}").data = spec.weights.get(c.key, 0.0)
            getattr(self, f"a_{c.key}").data = model.format_anchors(spec.anchors.get(c.key, c.anchors))
            for stage in model.PROFILE_STAGES:
                profile = spec.profiles.get(stage)
                getattr(self, f"p_{stage}_{c.key}").data = profile.get(c.key, 0.0) if profile else None

    def spec(self) -> tuple[model.Spec | None, list[str]]:
        """The submitted model, or the form-level problems (field errors are added to their fields)."""
        problems: list[str] = []
        weights: dict[str, float] = {}
        anchors: dict[str, list[tuple[float, float]]] = {}
        for key in self.keys():
            w = getattr(self, f"w_{key}")
            if w.data is None and not w.errors:
                w.errors = [*w.errors, "Give a weight (0 leaves the component out)."]
            weights[key] = w.data or 0.0
            field = getattr(self, f"a_{key}")
            try:
                anchors[key] = model.parse_anchors(field.data or "")
            except ValueError as exc:
                field.errors = [*field.errors, str(exc)]
                continue
            for problem in model.validate_anchors(key, anchors[key]):
                field.errors = [*field.errors, problem]
        total = sum(weights.values())
        if abs(total - 100) > 1e-6:
            problems.append(f"Weights must add up to 100; these add up to {total:g}.")
        profiles: dict[str, dict[str, float]] = {}
        for stage in model.PROFILE_STAGES:
            values = {k: getattr(self, f"p_{stage}_{k}").data for k in self.keys()}
            if all(v is None for v in values.values()):
                continue  # no profile: the stage uses the base weights
            profile = {k: v or 0.0 for k, v in values.items()}
            ptotal = sum(profile.values())
            if abs(ptotal - 100) > 1e-6:
                problems.append(
                    f"{stage.capitalize()} profile: weights must add up to 100; these add up to {ptotal:g}."
                )
            profiles[stage] = profile
        field_errors = any(f.errors for f in self if f.name != "csrf_token")
        if problems or field_errors:
            return None, problems
        return model.Spec("new", weights, anchors, profiles), []


def _build_model_form() -> type[FlaskForm]:
    attrs: dict[str, Any] = {}
    for c in model.COMPONENTS:
        attrs[f"w_{c.key}"] = WeightField(
            f"{c.label}: weight", validators=[Optional(), NumberRange(0, 100, "Between 0 and 100.")]
        )
        attrs[f"a_{c.key}"] = StringField(f"{c.label}: anchors", validators=[Length(max=400)])
        for stage in model.PROFILE_STAGES:
            attrs[f"p_{stage}_{c.key}"] = WeightField(
                f"{c.label}: weight when {stage}",
                validators=[Optional(), NumberRange(0, 100, "Between 0 and 100.")],
            )
    return type("HealthModelForm", (_ModelFormBase,), attrs)


HealthModelForm = _build_model_form()


class OverrideForm(FlaskForm):
    """A manual band with a reason and an expiry at most 90 days ahead."""

    band = SelectField("Band", choices=OVERRIDE_BANDS)
    override_reason = TextAreaField(
        "Reason",
        validators=[DataRequired("Say why health is overridden."), Length(max=500, message=AT_MOST_500)],
    )
    expires_on = DateField(
        "Until (at most 90 days)",
        validators=[InputRequired("Give the date the override ends (at most 90 days).")],
    )

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or date.today()

    def validate_override_reason(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Say why health is overridden.")

    def validate_expires_on(self, field: DateField) -> None:
        if field.data is None:
            return
        if field.data <= self.today:
            raise ValidationError("The expiry must be after today.")
        if field.data > self.today + timedelta(days=MAX_OVERRIDE_DAYS):
            raise ValidationError(
                f"An override lasts at most {MAX_OVERRIDE_DAYS} days (until "
                f"{(self.today + timedelta(days=MAX_OVERRIDE_DAYS)).isoformat()})."
            )


class ChurnForm(FlaskForm):
    """When the account churned and why."""

    churned_on = DateField("Churned on", validators=[InputRequired("Give the date the account churned.")])
    churn_reason = TextAreaField(
        "Reason",
        validators=[DataRequired("Say why the account churned."), Length(max=500, message=AT_MOST_500)],
    )

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or date.today()

    def validate_churn_reason(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Say why the account churned.")

    def validate_churned_on(self, field: DateField) -> None:
        if field.data is not None and field.data > self.today:
            raise ValidationError("Churn is recorded once it happened: the date cannot be in the future.")


class BacktestForm(FlaskForm):
    """The backtest's range (a GET form: no CSRF needed)."""

    class Meta:
        csrf = False

    months = IntegerField("Monthly as-of dates", default=12, validators=[Optional(), NumberRange(1, 24)])
    horizon = IntegerField("Churn within (days)", default=90, validators=[Optional(), NumberRange(30, 365)])
