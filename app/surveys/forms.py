"""Staff forms: a survey's texts and settings, and a send (audience, schedule, reminder, expiry)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.models import Lifecycle, Tier

KIND_CHOICES = [
    SelectChoice("nps", "NPS: likelihood to recommend, 0–10"),
    SelectChoice("csat", "CSAT: satisfaction, 1–5"),
    SelectChoice("ces", "CES: effort, agreement 1–7"),
    SelectChoice("form", "Feedback form: category and message"),
]
TRANSLATION_LANGUAGES = {"de": "German", "fr": "French", "es": "Spanish"}
TRANSLATION_FIELDS = {
    "question": "Question",
    "followup_question": "Follow-up question",
    "thank_you": "Thank-you text",
}
TEXT_MAX = 1000


class SurveyForm(FlaskForm):
    """Create or edit a survey. Empty texts mean the standard, translated wording."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)], description="Only staff see it.")
    kind = SelectField("Kind", choices=KIND_CHOICES)
    status = SelectField(
        "Status", choices=[SelectChoice("active", "Active"), SelectChoice("archived", "Archived (closed)")]
    )
    question = TextAreaField("Question", validators=[Optional(), Length(max=TEXT_MAX)])
    followup_question = TextAreaField("Follow-up question", validators=[Optional(), Length(max=TEXT_MAX)])
    followup_low = StringField("Follow-up after a low score", validators=[Optional(), Length(max=TEXT_MAX)])
    followup_mid = StringField(
        "Follow-up after a middle score", validators=[Optional(), Length(max=TEXT_MAX)]
    )
    followup_high = StringField("Follow-up after a high score", validators=[Optional(), Length(max=TEXT_MAX)])
    thank_you = TextAreaField("Thank-you text", validators=[Optional(), Length(max=TEXT_MAX)])
    reminder_delay_days = IntegerField(
        "Reminder after (days)",
        validators=[Optional(), NumberRange(min=1, max=30)],
        description="Empty: the workspace setting.",
    )
    expiry_days = IntegerField(
        "Invitations expire after (days)",
        validators=[Optional(), NumberRange(min=1, max=365)],
        description="Empty: the workspace setting.",
    )
    public_link_enabled = BooleanField("Public link and embed enabled")

    def translation_fields(self, lang: str) -> list:
        """The translation inputs of one language."""
        return [getattr(self, f"tr_{lang}_{name}") for name in TRANSLATION_FIELDS]

    def translations(self) -> dict[str, dict[str, str]]:
        """Translation inputs as {lang: {field: text}}."""
        return {
            lang: {name: getattr(self, f"tr_{lang}_{name}").data or "" for name in TRANSLATION_FIELDS}
            for lang in TRANSLATION_LANGUAGES
        }

    def fill_translations(self, translations: dict[str, dict[str, str]]) -> None:
        """Put stored translations into the inputs (GET of the edit page)."""
        for lang in TRANSLATION_LANGUAGES:
            for name in TRANSLATION_FIELDS:
                getattr(self, f"tr_{lang}_{name}").data = (translations.get(lang) or {}).get(name)


for _lang, _language in TRANSLATION_LANGUAGES.items():
    for _name, _label in TRANSLATION_FIELDS.items():
        setattr(
            SurveyForm,
            f"tr_{_lang}_{_name}",
            TextAreaField(f"{_label} ({_language})", validators=[Optional(), Length(max=TEXT_MAX)]),
        )


AUDIENCE_CHOICES = [
    SelectChoice("all", "All contacts"),
    SelectChoice("tier", "Accounts of a tier"),
    SelectChoice("plan", "Accounts on a plan"),
    SelectChoice("lifecycle", "Accounts in a lifecycle stage"),
    SelectChoice("accounts", "Specific accounts"),
    SelectChoice("emails", "A list of email addresses (CSV)"),
]


class SendForm(FlaskForm):
    """Send a survey now or later to an audience."""

    audience = RadioField("Who", choices=AUDIENCE_CHOICES, default="all")
    tiers = SelectMultipleField("Tiers", choices=[SelectChoice(t.value, t.label) for t in Tier])
    plans = SelectMultipleField("Plans", choices=[])
    lifecycle = SelectMultipleField(
        "Lifecycle stages",
        choices=[SelectChoice(s.value, s.label) for s in Lifecycle],
    )
    accounts = SelectMultipleField("Accounts", choices=[], coerce=int)
    emails = TextAreaField("Email addresses", validators=[Optional(), Length(max=2_000_000)])
    csv_file = FileField(
        "…or a CSV file", validators=[FileAllowed(["csv", "txt"], "Upload a .csv or .txt file.")]
    )
    when = RadioField(
        "When", choices=[SelectChoice("now", "Now"), SelectChoice("later", "Later")], default="now"
    )
    scheduled_at = DateTimeLocalField("Send at", validators=[Optional()], format="%Y-%m-%dT%H:%M")
    ignore_quarantine = BooleanField(
        "Override the quarantine for this send (admins; recorded in the audit log)"
    )
    reminder = BooleanField("Send one reminder to those who have not answered", default=True)
    reminder_days = IntegerField("Reminder after (days)", validators=[Optional(), NumberRange(min=1, max=30)])
    expiry_days = IntegerField(
        "Invitations expire after (days)", validators=[Optional(), NumberRange(min=1, max=365)]
    )
    check = SubmitField("Check audience")
    send = SubmitField("Send")
