"""The words a survey shows: the standard wording of each kind (translated with Flask-Babel), staff
overrides, and per-language staff translations.

Resolution for one field in one language: the staff's translation for that language, else the staff's
own text when the language is English (custom text is taken to be English), else the standard wording
in that language. So a German contact of a survey whose question was reworded only in English still
gets a proper German question, never a mix.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.models import SCORE_RANGES, Survey, SurveyKind, score_band
from app.workspace_settings import get_setting

KIND_BANDS = {
    SurveyKind.NPS: ("detractor", "passive", "promoter"),
    SurveyKind.CSAT: ("negative", "neutral", "positive"),
    SurveyKind.CES: ("negative", "neutral", "positive"),
    SurveyKind.FORM: (),
}
TRANSLATABLE = ("question", "followup_question", "thank_you")


def normalize_locale(value: str | None) -> str:
    """A supported language code for a contact or browser locale such as ``de-AT`` (English otherwise)."""
    code = (value or "en").replace("_", "-").split("-")[0].lower()
    return code if code in current_app.config["LANGUAGES"] else "en"


def default_question(kind: SurveyKind, company: str) -> str:
    """The standard question of a kind, in the current language."""
    if kind == SurveyKind.NPS:
        return _("How likely are you to recommend %(company)s to a friend or colleague?", company=company)
    if kind == SurveyKind.CSAT:
        return _("How satisfied are you with %(company)s?", company=company)
    if kind == SurveyKind.CES:
        return _("%(company)s made it easy for me to handle my issue.", company=company)
    return _("What would you like to tell %(company)s?", company=company)


def default_followup(kind: SurveyKind, band: str | None) -> str:
    """The standard follow-up question for a score band, in the current language."""
    if band == "detractor":
        return _("What should we fix first?")
    if band == "passive":
        return _("What would make it a 9 or a 10?")
    if band == "promoter":
        return _("What do you value most?")
    if band == "negative":
        return _("What went wrong?")
    if band == "neutral":
        return _("What could we have done better?")
    if band == "positive":
        return _("What went well?")
    return _("What is the main reason for your score?")


def default_thank_you(company: str) -> str:
    """The standard thank-you text."""
    return _("Thank you! Your answer helps %(company)s get better.", company=company)


def scale_labels(kind: SurveyKind) -> tuple[str, str]:
    """The labels of the two ends of a kind's scale."""
    if kind == SurveyKind.NPS:
        return _("Not at all likely"), _("Extremely likely")
    if kind == SurveyKind.CSAT:
        return _("Very unsatisfied"), _("Very satisfied")
    if kind == SurveyKind.CES:
        return _("Strongly disagree"), _("Strongly agree")
    return "", ""


@dataclass(frozen=True)
class SurveyTexts:
    """Everything a respondent page or an email needs to word a survey, in one language."""

    locale: str
    company: str
    question: str
    thank_you: str
    low_label: str
    high_label: str
    scores: tuple[int, ...]
    followups: dict[str, str]  # band (or "" for no score yet) -> follow-up question

    def followup_for(self, kind: SurveyKind, score: int | None) -> str:
        """The follow-up question that fits a score."""
        return self.followups.get(score_band(kind, score) or "", self.followups[""])


def _pick(survey: Survey, locale: str, key: str, custom: str | None, standard: str) -> str:
    translated = (survey.translations or {}).get(locale, {}).get(key)
    if translated:
        return translated
    if custom and locale == "en":
        return custom
    return standard


def followup_text(survey: Survey, locale: str, score: int | None) -> str:
    """Only the follow-up question for a score (the answer endpoint's reply needs nothing else)."""
    band = score_band(survey.kind, score)
    with force_locale(locale):
        if band is None:
            standard = default_followup(survey.kind, None)
            return _pick(survey, locale, "followup_question", survey.followup_question, standard)
        custom = (survey.followup_by_band or {}).get(band) or survey.followup_question
        return _pick(survey, locale, f"followup_{band}", custom, default_followup(survey.kind, band))


def survey_texts(survey: Survey, locale: str) -> SurveyTexts:
    """The wording of ``survey`` in ``locale`` (works in requests, jobs and commands alike)."""
    with force_locale(locale):
        return _survey_texts(survey, locale)


def _survey_texts(survey: Survey, locale: str) -> SurveyTexts:
    company = get_setting("company_name")
    kind = survey.kind
    question = _pick(survey, locale, "question", survey.question, default_question(kind, company))
    generic = _pick(
        survey, locale, "followup_question", survey.followup_question, default_followup(kind, None)
    )
    followups = {"": generic}
    for band in KIND_BANDS[kind]:
        # A band's own text first, then the staff's generic follow-up, then the standard band wording.
        custom = (survey.followup_by_band or {}).get(band) or survey.followup_question
        followups[band] = _pick(survey, locale, f"followup_{band}", custom, default_followup(kind, band))
    thank_you = _pick(survey, locale, "thank_you", survey.thank_you, default_thank_you(company))
    low, high = scale_labels(kind)
    lo, hi = SCORE_RANGES.get(kind, (0, -1))
    return SurveyTexts(locale, company, question, thank_you, low, high, tuple(range(lo, hi + 1)), followups)
