"""Survey emails: an HTML part (tables, inline CSS, no scripts, no images) and a plain-text part with the
same links, RFC 8058 one-click unsubscribe headers and a deterministic Message-ID.

The HTML comes from a ``.html`` template, so Jinja autoescapes every value; the text part comes from a
``.txt`` template (plain text cannot carry markup) fed only values cleaned of control characters, and
header values go through ``email.headerregistry``, which refuses line breaks (no header injection).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, replace
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from app.models import Invitation, Survey, SurveyKind
from app.surveys.queries import SurveyTexts, normalize_locale, survey_texts, token_for

# Parts are encoded at 76-character lines (RFC 2045) when built; on the wire, headers may run to the
# RFC 5322 limit so List-Unsubscribe's long URL stays one plain <url> instead of an encoded word.
WIRE_POLICY = SMTP.clone(max_line_length=998)
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


def clean_text(value: str | None) -> str:
    """A value safe to place in a plain-text part or a header: no control characters, one line."""
    return CONTROL_CHARS.sub(" ", value or "").replace("\n", " ").replace("\r", " ").strip()


@dataclass(frozen=True)
class Rendered:
    """A rendered survey email before it becomes a MIME message."""

    subject: str
    html: str
    text: str
    links: dict[str, str]
    locale: str


def respond_url(token: str, suffix: str = "") -> str:
    """An absolute link to a respondent page of an invitation token."""
    return f"{current_app.config['BASE_URL']}/r/{token}{suffix}"


def subject_for(kind: SurveyKind, company: str, reminder: bool) -> str:
    """The subject line of an invitation (or its reminder), in the current language."""
    if kind == SurveyKind.NPS:
        subject = _("How likely are you to recommend %(company)s?", company=company)
    elif kind == SurveyKind.CSAT:
        subject = _("How satisfied are you with %(company)s?", company=company)
    elif kind == SurveyKind.CES:
        subject = _("How easy was it to get your issue handled by %(company)s?", company=company)
    else:
        subject = _("%(company)s would like your feedback", company=company)
    return _("Reminder: %(subject)s", subject=subject) if reminder else subject


def render_survey_email(
    survey: Survey,
    locale: str,
    token: str,
    name: str | None,
    reminder: bool = False,
    texts_cache: dict | None = None,
) -> Rendered:
    """Render the subject, HTML and text of a survey email for one token, in ``locale``.

    A batch passes ``texts_cache`` so the wording of a survey in a language is worked out once."""
    locale = normalize_locale(locale)
    with force_locale(locale):
        cache = {} if texts_cache is None else texts_cache
        key = (survey.id, locale)
        texts = cache.get(key) or cache.setdefault(key, survey_texts(survey, locale))
        links = {
            "open": respond_url(token),
            "unsubscribe": respond_url(token, "/unsubscribe"),
            "one_click": respond_url(token, "/unsubscribe/one-click"),
            "hidden": respond_url(token, "/h"),
        }
        scores = [(score, respond_url(token, f"/s/{score}")) for score in texts.scores]
        context = {
            "survey": survey,
            "texts": texts,
            "name": clean_text(name),
            "links": links,
            "scores": scores,
            "reminder": reminder,
            "locale": locale,
        }
        subject = clean_text(subject_for(survey.kind, texts.company, reminder))
        html = render_template("email/invitation.html", **context)
        text = render_template("email/invitation.txt", **{**context, "texts": _clean_texts(texts)})
    links.update({f"score_{score}": url for score, url in scores})
    return Rendered(subject, html, text, links, locale)


def _clean_texts(texts: SurveyTexts) -> SurveyTexts:
    """A copy of the texts whose staff-written fields cannot break the plain-text layout."""
    return replace(
        texts,
        question=clean_text(texts.question),
        company=clean_text(texts.company),
        low_label=clean_text(texts.low_label),
        high_label=clean_text(texts.high_label),
    )


def message_id(invitation_id: int, kind: str) -> str:
    """A deterministic Message-ID: the same invitation and kind always get the same one."""
    mac = hmac.new(
        current_app.config["SECRET_KEY"].encode(), f"msgid:{kind}:{invitation_id}".encode(), hashlib.sha256
    ).hexdigest()[:20]
    domain = parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "clearloop.localhost"
    return f"<{kind}.{invitation_id}.{mac}@{domain}>"


def build_message(rendered: Rendered, to_email: str, to_name: str, msgid: str) -> EmailMessage:
    """Wrap a rendered email in a MIME message with every header a bulk survey email needs."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = Address(display_name=clean_text(to_name), addr_spec=to_email)
    msg["Subject"] = rendered.subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = msgid
    msg["List-Unsubscribe"] = f"<{rendered.links['one_click']}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to survey mail
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    msg["Content-Language"] = rendered.locale  # after the parts: Content-* headers move into the first part
    return msg


def to_wire(msg: EmailMessage) -> bytes:
    """The message as it goes to the relay (CRLF line ends, unencoded long header values)."""
    return msg.as_bytes(policy=WIRE_POLICY)


def build_invitation(
    invitation: Invitation, reminder: bool = False, texts_cache: dict | None = None
) -> EmailMessage:
    """The email of an invitation (or its reminder) to its contact."""
    contact = invitation.contact
    if contact is None:
        raise ValueError("the invitation's contact was erased")
    rendered = render_survey_email(
        invitation.survey, contact.locale, token_for(invitation), contact.name, reminder, texts_cache
    )
    kind = "reminder" if reminder else "invitation"
    return build_message(rendered, contact.email, contact.name, message_id(invitation.id, kind))
