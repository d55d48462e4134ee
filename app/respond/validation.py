"""Parsing what respondents post, strictly: one value per field, canonical integers in range, a comment
cap, control characters removed. Every refusal carries a sentence a respondent understands.

Public answer forms are protected by a signed per-page *form key* instead of Flask-WTF's session CSRF:
the authority to answer is the unguessable link token, not a cookie, so a cross-site POST gains nothing;
the key proves the POST follows a page we rendered (stopping blind posts to public links), keeps working
in third-party iframes where cookies are blocked, and carries the anonymous submission id that makes a
replayed or double-clicked POST land on the same row.
"""

from __future__ import annotations

import functools
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from app.inputs import FORBIDDEN_TEXT
from app.models import SCORE_RANGES, FormCategory, SurveyKind
from app.respond.services import Answer

COMMENT_MAX = 10_000
EMAIL_MAX = 254
HINT_MAX = 200
SCORE_RE = re.compile(r"^(?:0|[1-9][0-9]?)$")
# C0 controls except tab and newline, DEL, and NUL: nothing a person types, and PostgreSQL refuses NUL.
STRIP_CHARS = FORBIDDEN_TEXT  # app.inputs: the one definition of what text may not hold
KEY_MAX_AGE = 40 * 24 * 3600  # longer than any invitation lives; expiry itself is checked on the row


class InvalidInput(ValueError):
    """A posted value that cannot be accepted; ``str(exc)`` is shown to the respondent."""

    def __init__(self, message: str, field: str = "form", status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def _single(form: MultiDict, name: str) -> str | None:
    values = form.getlist(name)
    if len(values) > 1:
        raise InvalidInput(_("Please send each answer only once."), name)
    return values[0] if values else None


def parse_score(form: MultiDict, kind: SurveyKind) -> int:
    """The score posted for a scored survey, or InvalidInput."""
    raw = _single(form, "score")
    lo, hi = SCORE_RANGES[kind]
    if raw is None or not SCORE_RE.match(raw) or not lo <= int(raw) <= hi:
        raise InvalidInput(_("Please choose a score from %(lo)s to %(hi)s.", lo=lo, hi=hi), "score")
    return int(raw)


def clean_comment(value: str) -> str | None:
    """Drop control characters, normalise line ends, trim; None when nothing is left."""
    text = STRIP_CHARS.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    return text or None


def parse_comment(form: MultiDict, name: str = "comment", required: bool = False) -> tuple[bool, str | None]:
    """(present, text): whether the field was posted at all, and its cleaned text (capped)."""
    raw = _single(form, name)
    if raw is None:
        if required:
            raise InvalidInput(_("Please write a message."), name)
        return False, None
    text = clean_comment(raw)
    if text is not None and len(text) > COMMENT_MAX:
        raise InvalidInput(
            _(
                "Please keep your comment under %(max)s characters (it has %(n)s).",
                max=f"{COMMENT_MAX:,}",
                n=f"{len(text):,}",
            ),
            name,
        )
    if required and text is None:
        raise InvalidInput(_("Please write a message."), name)
    return True, text


def parse_category(form: MultiDict) -> FormCategory:
    """The feedback form's category."""
    raw = _single(form, "category")
    try:
        return FormCategory(raw or "")
    except ValueError:
        raise InvalidInput(_("Please choose what your feedback is about."), "category") from None


def parse_email(form: MultiDict) -> str | None:
    """The optional contact address of a feedback form, validated."""
    from email_validator import EmailNotValidError, validate_email

    raw = (_single(form, "email") or "").strip()
    if not raw:
        return None
    try:
        if len(raw) > EMAIL_MAX:
            raise EmailNotValidError("too long")
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidInput(_("Please enter a valid email address, or leave it empty."), "email") from None


def parse_hint(value: str | None) -> str | None:
    """An account hint from an embedding site: printable, short, or dropped."""
    if not value:
        return None
    text = clean_comment(value)
    return text[:HINT_MAX] if text else None


def parse_answer(form: MultiDict, kind: SurveyKind, locale: str, anonymous: bool = False) -> Answer:
    """The one reading of a posted answer: a score and an optional comment, or for a feedback form its
    category and required message. Anonymous answers (public links) also carry an account hint and, on a
    feedback form, an optional email. Raises InvalidInput with the field to show the message next to."""
    hint = parse_hint(form.get("account_hint")) if anonymous else None
    if kind == SurveyKind.FORM:
        category = parse_category(form)
        _present, text = parse_comment(form, required=True)
        email = parse_email(form) if anonymous else None
        return Answer(None, text, True, category, email, hint, locale)
    score = parse_score(form, kind)
    present, text = parse_comment(form)
    return Answer(score, text, present, account_hint=hint, locale=locale)


def echo_answer(form: MultiDict, exc: InvalidInput) -> dict[str, Any]:
    """The posted values to show again next to the error (the templates autoescape them)."""
    score = form.get("score", "")
    return {
        "selected": int(score) if SCORE_RE.match(score) else None,
        "comment": form.get("comment", "")[:20_000],
        "category": form.get("category"),
        "error": exc,
    }


@dataclass(frozen=True)
class FormKey:
    """What a signed form key carries: the page it was made for and an anonymous submission id."""

    target: str
    submission: str | None
    opened_at: datetime | None = None  # when the page was rendered: edits are changes from a later visit


def _serializer() -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=4)
def _serializer_for(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="clearloop.respond.form-key")


def make_form_key(target: str, anonymous: bool = False) -> str:
    """A key for a page about ``target`` (``inv:<id>`` or ``survey:<id>``)."""
    payload = {
        "t": target,
        "s": secrets.token_urlsafe(24) if anonymous else None,
        "at": round(time.time(), 3),
    }
    return _serializer().dumps(payload)


def _bad_key() -> InvalidInput:
    """The refusal of a missing, forged, stale or misdirected form key (translated only when needed)."""
    return InvalidInput(
        _("This form could not be checked. Please reload the page and answer again."), "key", 400
    )


def check_form_key(form: MultiDict, target: str) -> FormKey:
    """The posted key's content; InvalidInput(400) when missing, forged, stale or for another page."""
    raw = _single(form, "key")
    if not raw or len(raw) > 300:
        raise _bad_key()
    try:
        payload = _serializer().loads(raw, max_age=KEY_MAX_AGE)
    except BadSignature:
        raise _bad_key() from None
    if not isinstance(payload, dict) or payload.get("t") != target:
        raise _bad_key()
    at = payload.get("at")
    opened = datetime.fromtimestamp(at, UTC) if isinstance(at, int | float) else None
    return FormKey(target, payload.get("s"), opened)
