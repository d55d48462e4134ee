"""Invitation pages: a score link shows the page with the score selected (a GET never answers); the
page's own POST, fired by its script after load or by the Save button, records the answer."""

from __future__ import annotations

from flask import g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.access import public
from app.errors import wants_json
from app.extensions import csrf, limiter
from app.models import SCORE_RANGES, Invitation, Survey, SurveyKind, utcnow
from app.respond import bp, suspect
from app.respond import services as svc
from app.respond.pages import (
    MAX_BODY,
    answer_page,
    answer_reply,
    error_reply,
    gone,
    limit,
    require_form_body,
    set_locale,
)
from app.respond.pages import thanks_page as render_thanks
from app.respond.validation import (
    SCORE_RE,
    InvalidInput,
    check_form_key,
    echo_answer,
    make_form_key,
    parse_answer,
)
from app.surveys.queries import (
    find_invitation,
    find_invitation_ref,
    is_expired,
    survey_snapshot,
    survey_texts,
)

csrf.exempt(bp)  # public forms carry a signed per-page form key instead (see validation.py)


@bp.before_request
def _cap_body() -> None:
    """Public posts are small; anything bigger is refused with a 413 before it is read."""
    request.max_content_length = MAX_BODY
    request.max_form_memory_size = MAX_BODY


@bp.after_request
def _private_headers(response) -> ResponseReturnValue:
    """Token pages: no Referer leaks the token, nothing caches them, search engines skip them."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _invitation(token: str, allow_expired: bool = False) -> Invitation:
    invitation = find_invitation(token)
    if invitation is None:
        set_locale(None)
        gone(404)
    set_locale(invitation.contact.locale if invitation.contact else None)
    if not allow_expired and is_expired(invitation):
        gone(410)
    return invitation


def _score_from_path(raw: str, survey: Survey) -> int | None:
    if survey.kind == SurveyKind.FORM or not SCORE_RE.match(raw):
        return None
    lo, hi = SCORE_RANGES[survey.kind]
    score = int(raw)
    return score if lo <= score <= hi else None


_UNKNOWN = object()


def _page(
    invitation: Invitation, token: str, status: int = 200, existing=_UNKNOWN, **ctx
) -> ResponseReturnValue:
    if existing is _UNKNOWN:
        existing = svc.invitation_response(invitation)
    ctx.setdefault("selected", existing.score if existing else None)
    ctx.setdefault("comment", (existing.comment or "") if existing else "")
    ctx.setdefault("category", existing.form_category.value if existing and existing.form_category else None)
    return answer_page(
        invitation.survey,
        status,
        key=make_form_key(f"inv:{invitation.id}"),
        action=url_for("respond.answer", token=token),
        answered=existing is not None,
        unsubscribe_url=url_for("respond.unsubscribe", token=token),
        **ctx,
    )


@bp.get("/r/<token>/s/<score>")
@limiter.limit(limit)
@public
def score_link(token: str, score: str) -> ResponseReturnValue:
    """A score button of the email: the page with that score selected, saved by the page itself. Once an
    answer exists the page shows the stored answer instead: a link opened again never overwrites it."""
    invitation = _invitation(token)
    value = _score_from_path(score, invitation.survey)
    svc.record_click(invitation, "score" if value is not None else "open", value, request.user_agent.string)
    existing = svc.invitation_response(invitation)
    if existing is not None:
        return _page(invitation, token, existing=existing)
    return _page(invitation, token, existing=None, selected=value, autosave=value is not None)


@bp.get("/r/<token>")
@limiter.limit(limit)
@public
def open_link(token: str) -> ResponseReturnValue:
    """The survey page without a preselected score (the 'Give feedback' button, 'change your answer')."""
    invitation = _invitation(token)
    svc.record_click(invitation, "open", None, request.user_agent.string)
    return _page(invitation, token)


@bp.post("/r/<token>")
@limiter.limit(limit)
@public
def answer(token: str) -> ResponseReturnValue:
    """Record or edit the answer: JSON for the page's script, a redirect to the thank-you page otherwise.

    The fast path of every email click: the invitation's few columns in one query, the survey from the
    per-process cache, the answer in one short write transaction (see ``svc.answer_invitation``).
    """
    invitation = find_invitation_ref(token)
    if invitation is None:
        set_locale(None)
        gone(404)
    set_locale(invitation.locale)
    survey = survey_snapshot(invitation.survey_id, invitation.survey_updated_at)
    if survey is None or invitation.expired:
        gone(410)
    form = request.form
    try:
        require_form_body()
        key = check_form_key(form, f"inv:{invitation.id}")
        answer = svc.with_opened_at(parse_answer(form, survey.kind, _current_locale()), key.opened_at)
    except InvalidInput as exc:
        return error_reply(exc, lambda e: _page(_invitation(token), token, e.status, **echo_answer(form, e)))
    verdict = suspect.verdict(
        form.get("auto") == "1", form.get("webdriver") == "1", invitation.scanner_flagged_at, utcnow()
    )
    if verdict == suspect.Verdict.HOLD:
        message = _("Please press Save to record your answer.")
        return jsonify(error={"field": "confirm", "message": message}), 409
    outcome = svc.answer_invitation(invitation, survey.kind, answer, verdict)
    if wants_json():
        return answer_reply(outcome, survey.followup(_current_locale(), answer.score))
    return redirect(url_for("respond.thanks", token=token), 303)


def _current_locale() -> str:
    return g.get("locale") or "en"


@bp.get("/r/<token>/thanks")
@limiter.limit(limit)
@public
def thanks(token: str) -> ResponseReturnValue:
    """The thank-you page, with a way back to change the answer until expiry."""
    invitation = _invitation(token)
    return render_thanks(invitation.survey, edit_url=url_for("respond.open_link", token=token))


@bp.get("/r/<token>/h")
@limiter.limit(limit)
@public
def hidden(token: str) -> ResponseReturnValue:
    """A link in the email no person can see or click: whoever opens it is a scanner."""
    invitation = find_invitation(token)
    if invitation is None:
        gone(404)
    svc.record_click(invitation, "hidden", None, request.user_agent.string)
    return "", 204


@bp.route("/r/<token>/unsubscribe", methods=["GET", "POST"])
@limiter.limit(limit)
@public
def unsubscribe(token: str) -> ResponseReturnValue:
    """GET shows a page with a button; only its POST unsubscribes (scanners GET every link)."""
    invitation = _invitation(token, allow_expired=True)
    done = invitation.contact is not None and invitation.contact.unsubscribed_at is not None
    if request.method == "POST":
        try:
            check_form_key(request.form, f"unsub:{invitation.id}")
        except InvalidInput as exc:
            return _unsub_page(invitation, token, False, exc.status, str(exc))
        svc.unsubscribe(invitation)
        done = True
    return _unsub_page(invitation, token, done)


def _unsub_page(
    invitation: Invitation, token: str, done: bool, status: int = 200, error: str | None = None
) -> ResponseReturnValue:
    texts = survey_texts(invitation.survey, _current_locale())
    return render_template(
        "respond/unsubscribe.html",
        texts=texts,
        done=done,
        error=error,
        key=make_form_key(f"unsub:{invitation.id}"),
        action=url_for("respond.unsubscribe", token=token),
    ), status


@bp.route("/r/<token>/unsubscribe/one-click", methods=["GET", "POST"])
@limiter.limit(limit)
@public
def one_click(token: str) -> ResponseReturnValue:
    """RFC 8058: the mail client POSTs ``List-Unsubscribe=One-Click``; a GET only shows the page."""
    invitation = _invitation(token, allow_expired=True)
    if request.method in ("GET", "HEAD"):  # a HEAD (link checkers) is a GET without the body: no change
        return _unsub_page(
            invitation,
            token,
            invitation.contact is not None and invitation.contact.unsubscribed_at is not None,
        )
    if request.form.get("List-Unsubscribe") != "One-Click":
        return "Expected List-Unsubscribe=One-Click (RFC 8058).\n", 400, {"Content-Type": "text/plain"}
    svc.unsubscribe(invitation)
    return "Unsubscribed.\n", 200, {"Content-Type": "text/plain"}
