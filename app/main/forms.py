"""The workspace settings form."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange


class SettingsForm(FlaskForm):
    """Workspace-wide settings an admin edits."""

    company_name = StringField(
        "Company name", validators=[DataRequired(), Length(max=120)], description="Shown in survey questions."
    )
    quarantine_days = IntegerField(
        "Survey quarantine (days)",
        validators=[NumberRange(min=0, max=365)],
        description="A contact surveyed more recently than this is skipped by new sends.",
    )
    reminder_delay_days = IntegerField(
        "Reminder after (days)",
        validators=[NumberRange(min=1, max=30)],
        description="One reminder to non-responders.",
    )
    invitation_expiry_days = IntegerField(
        "Invitations expire after (days)", validators=[NumberRange(min=1, max=365)]
    )
    followup_sla_business_days = IntegerField(
        "Follow-up SLA (business days)", validators=[NumberRange(min=1, max=30)]
    )
    alert_arr_threshold = IntegerField(
        "Detractor alert from ARR",
        validators=[NumberRange(min=0, max=10**12)],
        description="A detractor (NPS 0–6) at an account with at least this ARR emails the teams following "
        "its topics, once per account and day. 0 turns these alerts off.",
    )
    retention_months = IntegerField(
        "Keep responses for (months)",
        validators=[NumberRange(min=0, max=240)],
        description="Older responses are anonymised or deleted every night; the count goes to the audit log. "
        "0 keeps them forever.",
    )
    retention_mode = SelectField(
        "After that",
        choices=[
            ("anonymise", "Anonymise (keep scores, drop comments and who answered)"),
            ("delete", "Delete"),
        ],
    )
    timezone = SelectField(
        "Time zone",
        choices=sorted(available_timezones() - {"localtime", "Factory"}),
        description="Dates, weeks and follow-up deadlines are counted in this zone.",
    )
