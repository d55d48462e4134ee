"""Rendering helpers shared by the invitation and public-link views of the respond blueprint."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _

from app.errors import wants_json
from app.models import Survey, SurveyKind
from app.respond.services import Submission
from app.respond.validation import InvalidInput
from app.surveys.queries import normalize_locale, survey_texts

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_BODY = 256 * 1024  # 10,000 characters of 4-byte UTF-8, percent-encoded, fit with room to spare


def limit() -> str:
    """The rate limit of public respondent endpoints (per client IP)."""
    return current_app.config["RESPOND_RATE_LIMIT"]


def gone(status: int) -> None:
    """Stop with the one friendly page every unknown, forged or expired link gets (404 or 410)."""
    abort(make_response(render_template("respond/gone.html", status=status), status))


def require_form_body() -> None:
    """Refuse posts that are not HTML forms (JSON, XML, ...) with a readable 415."""
    if request.mimetype not in FORM_TYPES:
        raise InvalidInput(_("Please send the answer as a web form."), "form", 415)


def set_locale(value: str | None) -> str:
    """Choose the page language (a contact's locale, a ?lang= choice, or the browser's) for this request."""
    if value:
        g.locale = normalize_locale(value)
    else:
        best = request.accept_languages.best_match(current_app.config["LANGUAGES"])
        g.locale = best or "en"
    return g.locale


def answer_page(survey: Survey, status: int = 200, **ctx: Any):
    """Render the answer page (score scale or feedback form) of a survey."""
    locale = g.get("locale") or "en"
    texts = survey_texts(survey, locale)
    selected = ctx.get("selected")
    ctx.setdefault("comment", "")
    ctx.setdefault("error", None)
    ctx.setdefault("embed", False)
    ctx.setdefault("autosave", False)
    ctx.setdefault("preview", False)
    return render_template(
        "respond/answer.html",
        survey=survey,
        texts=texts,
        is_form=survey.kind == SurveyKind.FORM,
        followup=texts.followup_for(survey.kind, selected),
        followups=texts.followups,
        **ctx,
    ), status


def error_reply(exc: InvalidInput, render: Any):
    """A refused post: JSON for the page's script, else the page again with the message."""
    if wants_json():
        return jsonify(error={"field": exc.field, "message": str(exc)}), exc.status
    return render(exc)


def answer_reply(done: Submission, followup: str) -> Response:
    """The JSON reply to the answer page's script: what the post did, and the follow-up question."""
    return jsonify(ok=True, created=done.created, changed=done.changed, score=done.score, followup=followup)


def thanks_page(survey: Survey, **ctx: Any):
    """The thank-you page."""
    texts = survey_texts(survey, g.get("locale") or "en")
    ctx.setdefault("embed", False)
    return render_template("respond/thanks.html", survey=survey, texts=texts, **ctx)
