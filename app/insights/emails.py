"""Digest and alert emails: HTML with its CSS inlined by css-inline (mail clients drop <style>), bars drawn
with tables (they don't render SVG), a plain-text part with the same links, and a deterministic Message-ID.

The HTML template is ``.html`` (autoescaped); the text part gets every string cleaned of control characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from typing import Any

import css_inline
from flask import current_app, render_template
from flask_babel import force_locale

from app.insights import links
from app.mail.services import clean_text, message_id

MAX_EMAIL_BYTES = 100 * 1024
STAFF_LOCALE = "en"  # staff mail, like staff pages, is English (templates/insights/email, not the
# respondent catalogue); jobs have no request to pick a language from anyway
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, minify_css=True)


@dataclass(frozen=True)
class RenderedMail:
    """Subject, HTML and text of one digest or alert email."""

    subject: str
    html: str
    text: str


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def _fmt_nps(score: dict[str, Any]) -> str:
    value = score.get("value")
    if value is None:
        return "—"
    return "0" if round(value) == 0 else f"{value:+.0f}".replace("-", "−")


def _tone(change: dict[str, Any] | None) -> str:
    if not change or not change.get("beyond_noise"):
        return "noise"
    return "good" if change["delta"] > 0 else "bad"


def _bar_pct(value: float, top: float) -> int:
    """A bar's filled width in whole percent of the widest (the template draws it as a two-cell table)."""
    return 0 if top <= 0 else max(0, min(100, round(100 * value / top)))


def _helpers() -> dict[str, Any]:
    return {"pct": _pct, "fmt_nps": _fmt_nps, "tone": _tone, "bar_pct": _bar_pct, "absolute": _absolute}


def _absolute(path: str) -> str:
    return path if path.startswith("http") else f"{current_app.config['BASE_URL']}{path}"


def _clean(value: Any) -> Any:
    """Every string of the content, safe for a plain-text part (no control characters, one line)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def digest_subject(content: dict[str, Any]) -> str:
    """The subject line of a digest email."""
    if content.get("empty"):
        return clean_text(f"{content['team']}: no new feedback in the week of {content['label']}")
    return clean_text(f"{content['team']}: customer feedback, week of {content['label']}")


def render_digest(content: dict[str, Any], digest_id: int | None, team_id: int) -> RenderedMail:
    """The digest's email from its stored content (``digest_id`` None: a preview not stored yet)."""
    page = (
        links.app_url("insights.digest", digest_id=digest_id)
        if digest_id
        else links.app_url("insights.team", team_id=team_id)
    )
    topics = content.get("topics") or []
    context = {
        **_helpers(),
        "subject": digest_subject(content),
        "page_url": page,
        "team_url": links.app_url("insights.team", team_id=team_id),
        "top_share": max([r.get("share") or 0 for r in topics] + [1]),
    }
    with force_locale(STAFF_LOCALE):
        html = _INLINER.inline(render_template("insights/email/digest.html", c=content, **context))
        text = render_template("insights/email/digest.txt", c=_clean(content), **context)
    return RenderedMail(context["subject"], html, text)


def render_alert(alert: dict[str, Any], alert_id: int, team_id: int) -> RenderedMail:
    """An alert's email from its stored evidence."""
    context = {
        **_helpers(),
        "subject": clean_text(alert["title"]),
        "page_url": links.app_url("insights.alert", alert_id=alert_id),
        "team_url": links.app_url("insights.team", team_id=team_id),
    }
    with force_locale(STAFF_LOCALE):
        html = _INLINER.inline(render_template("insights/email/alert.html", a=alert, **context))
        text = render_template("insights/email/alert.txt", a=_clean(alert), **context)
    return RenderedMail(context["subject"], html, text)


def build_message(
    rendered: RenderedMail, to_email: str, to_name: str, row_id: int, kind: str
) -> EmailMessage:
    """The MIME message of one team email, with a Message-ID derived from its row (the same on a retry)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = Address(display_name=clean_text(to_name), addr_spec=to_email)
    msg["Subject"] = rendered.subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id(row_id, kind)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg
