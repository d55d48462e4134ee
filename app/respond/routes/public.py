"""Anonymous answers: a survey's public link (websites, in-app), its embed-friendly variant for iframes,
and the feedback form. Rate limited per client IP; each page's form key carries a submission id, so a
replayed or double-clicked POST edits the same row instead of adding one."""

from __future__ import annotations

from flask import Response, g, make_response, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.access import public
from app.errors import wants_json
from app.extensions import limiter
from app.models import Channel, Survey, SurveyKind, SurveyStatus, utcnow
from app.respond import bp, suspect
from app.respond import services as svc
from app.respond.pages import (
    answer_page,
    answer_reply,
    error_reply,
    gone,
    limit,
    require_form_body,
    set_locale,
    thanks_page,
)
from app.respond.validation import (
    SCORE_RE,
    InvalidInput,
    check_form_key,
    echo_answer,
    make_form_key,
    parse_answer,
    parse_hint,
)
from app.security import csp_nonce
from app.surveys.queries import find_public_survey, followup_text, survey_texts


def _survey(ptoken: str) -> Survey:
    set_locale(request.args.get("lang"))
    survey = find_public_survey(ptoken)
    if survey is None or not survey.public_link_enabled:
        gone(404)
    if survey.status != SurveyStatus.ACTIVE:
        gone(410)
    return survey


def _embed_headers(response: Response, embed: bool) -> Response:
    """The embed variant may be framed by any site (the answer needs no cookie, so that is safe)."""
    if embed:
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self' 'nonce-{csp_nonce()}'; style-src 'self'; "
            "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors *"
        )
    return response


def _render(survey: Survey, ptoken: str, embed: bool, status: int = 200, **ctx) -> ResponseReturnValue:
    selected = ctx.pop("selected", None)
    body, code = answer_page(
        survey,
        status,
        selected=selected,
        autosave=ctx.pop("autosave", False),
        key=ctx.pop("key", None) or make_form_key(f"survey:{survey.id}", anonymous=True),
        action=url_for(
            "respond.embed" if embed else "respond.public_link", ptoken=ptoken, lang=request.args.get("lang")
        ),
        embed=embed,
        anonymous=True,
        hint=ctx.pop("hint", None) or parse_hint(request.args.get("account")),
        **ctx,
    )
    return _embed_headers(make_response(body, code), embed)


@bp.route("/s/<ptoken>", methods=["GET", "POST"], defaults={"embed": False})
@bp.route("/s/<ptoken>/embed", methods=["GET", "POST"], defaults={"embed": True}, endpoint="embed")
@limiter.limit(limit)
@public
def public_link(ptoken: str, embed: bool) -> ResponseReturnValue:
    """A public link: GET shows it (``?score=`` preselects, ``?account=`` is a hint); POST answers."""
    survey = _survey(ptoken)
    if request.method == "GET":
        raw = request.args.get("score", "")
        selected = int(raw) if SCORE_RE.match(raw) and survey.kind != SurveyKind.FORM else None
        if selected is not None and selected not in survey_texts(survey, g.locale).scores:
            selected = None
        return _render(survey, ptoken, embed, selected=selected, autosave=selected is not None)
    form = request.form
    try:
        require_form_body()
        key = check_form_key(form, f"survey:{survey.id}")
        answer = svc.with_opened_at(
            parse_answer(form, survey.kind, g.get("locale") or "en", anonymous=True), key.opened_at
        )
    except InvalidInput as exc:
        return error_reply(exc, lambda e: _render(survey, ptoken, embed, e.status, **_echo(form, e)))
    channel = Channel.FORM if survey.kind == SurveyKind.FORM else Channel.LINK
    followup = followup_text(survey, g.locale, answer.score) if wants_json() else None  # before the commit
    verdict = suspect.verdict(form.get("auto") == "1", form.get("webdriver") == "1", None, utcnow())
    outcome = svc.submit_anonymous(survey, key.submission or "", answer, channel, verdict)
    if followup is not None:
        return _embed_headers(answer_reply(outcome, followup), embed)
    target = url_for(
        "respond.public_thanks", ptoken=ptoken, embed=1 if embed else None, lang=request.args.get("lang")
    )
    return redirect(target, 303)


def _echo(form, exc: InvalidInput) -> dict:
    """The shared echo, plus what only public forms have (email, key, account hint)."""
    return {
        **echo_answer(form, exc),
        "email": form.get("email", "")[:300],
        "key": form.get("key") if exc.status != 400 else None,
        "hint": parse_hint(form.get("account_hint")),
    }


@bp.get("/s/<ptoken>/thanks")
@limiter.limit(limit)
@public
def public_thanks(ptoken: str) -> ResponseReturnValue:
    """The thank-you page of a public link (``?embed=1`` keeps the frame-friendly layout)."""
    survey = _survey(ptoken)
    embed = request.args.get("embed") == "1"
    again = url_for("respond.embed" if embed else "respond.public_link", ptoken=ptoken)
    body = thanks_page(survey, embed=embed, again_url=again, again_label=_("Answer again"))
    return _embed_headers(make_response(body), embed)
