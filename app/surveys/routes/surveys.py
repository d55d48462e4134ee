"""Staff pages of surveys: the list, create/edit, the survey page, and previews of its page and email."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_login import current_user

from app.access import roles_required, staff_required
from app.extensions import db
from app.inputs import parse_int
from app.mail import queries as mail_queries
from app.mail import services as mail
from app.models import Role, Send, Survey
from app.respond import queries as respond_queries
from app.surveys import bp, queries
from app.surveys import services as svc
from app.surveys.forms import TRANSLATION_LANGUAGES, SurveyForm
from app.surveys.queries import describe, normalize_locale, state_counts

PREVIEW_TOKEN = "preview-links-do-not-answer"  # noqa: S105 - not a secret: preview links lead nowhere


def _survey_data(form: SurveyForm) -> dict:
    data = {name: field.data for name, field in form._fields.items() if not name.startswith("tr_")}
    data["translations"] = form.translations()
    return data


@bp.get("/surveys")
@staff_required
def index() -> ResponseReturnValue:
    """Every survey with its response count and response rate."""
    return render_template("surveys/index.html", rows=queries.survey_rows())


@bp.route("/surveys/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create() -> ResponseReturnValue:
    """Create a survey; the standard wording of its kind is used until staff change it."""
    form = SurveyForm(data={"kind": request.args.get("kind", "nps"), "public_link_enabled": True})
    if form.validate_on_submit():
        survey = svc.create_survey(_survey_data(form), current_user.id)
        flash(f"Survey “{survey.name}” created.", "success")
        return redirect(url_for("surveys.detail", survey_id=survey.id), 303)
    return render_template("surveys/edit.html", form=form, survey=None, languages=TRANSLATION_LANGUAGES), (
        422 if form.errors else 200
    )


@bp.route("/surveys/<int:survey_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(survey_id: int) -> ResponseReturnValue:
    """Edit a survey's texts, translations and settings."""
    survey = db.get_or_404(Survey, survey_id)
    form = SurveyForm(data=svc.form_data(survey))
    if request.method == "GET":
        form.fill_translations(survey.translations or {})
    status = 200
    if form.validate_on_submit():
        try:
            svc.update_survey(survey, _survey_data(form))
        except svc.SurveyError as exc:
            form.kind.errors.append(str(exc))
            status = 422
        else:
            flash("Survey saved.", "success")
            return redirect(url_for("surveys.detail", survey_id=survey.id), 303)
    elif form.errors:
        status = 422
    return render_template(
        "surveys/edit.html", form=form, survey=survey, languages=TRANSLATION_LANGUAGES
    ), status


@bp.get("/surveys/<int:survey_id>")
@staff_required
def detail(survey_id: int) -> ResponseReturnValue:
    """A survey: its settings, public link and embed code, and its sends."""
    survey = db.get_or_404(Survey, survey_id)
    sends = list(
        db.session.execute(
            sa.select(Send).where(Send.survey_id == survey.id).order_by(Send.created_at.desc())
        )
        .scalars()
        .all()
    )
    row = next((r for r in queries.survey_rows() if r.survey.id == survey.id), None)
    return render_template(
        "surveys/detail.html",
        survey=survey,
        row=row,
        sends=sends,
        counts=state_counts([s.id for s in sends]),
        describe=describe,
    )


def _lang() -> str:
    return normalize_locale(request.args.get("lang", "en"))


@bp.get("/surveys/<int:survey_id>/preview")
@staff_required
def preview(survey_id: int) -> ResponseReturnValue:
    """The respondent page as a contact would see it, in a chosen language; nothing can be saved."""
    survey = db.get_or_404(Survey, survey_id)
    g.locale = _lang()
    raw = request.args.get("score", "")
    with force_locale(g.locale):
        return respond_queries.answer_page(
            survey,
            selected=parse_int(raw, 0, 10),
            key="",
            action="",
            preview=True,
            anonymous=True,
        )


@bp.get("/surveys/<int:survey_id>/email")
@staff_required
def email_preview(survey_id: int) -> ResponseReturnValue:
    """The invitation email (HTML in a sandboxed frame, and the text part) in a chosen language."""
    survey = db.get_or_404(Survey, survey_id)
    reminder = request.args.get("reminder") == "1"
    rendered = mail.render_survey_email(survey, _lang(), PREVIEW_TOKEN, "Alex Example", reminder)
    return render_template(
        "surveys/email_preview.html",
        survey=survey,
        rendered=rendered,
        lang=_lang(),
        reminder=reminder,
        languages={"en": "English", **TRANSLATION_LANGUAGES},
    )


@bp.get("/surveys/<int:survey_id>/email.html")
@staff_required
def email_preview_html(survey_id: int) -> ResponseReturnValue:
    """The HTML part of the preview, for the sandboxed iframe (strict CSP of its own)."""
    survey = db.get_or_404(Survey, survey_id)
    if request.args.get("reminder") not in (None, "0", "1"):
        abort(400)
    rendered = mail.render_survey_email(
        survey, _lang(), PREVIEW_TOKEN, "Alex Example", request.args.get("reminder") == "1"
    )
    return mail_queries.sandboxed_html(rendered.html, inert=True)  # a preview's links lead nowhere
