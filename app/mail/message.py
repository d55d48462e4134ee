"""Survey emails: an HTML part (tables, inline CSS, no scripts, no images) and a plain-text part with the
same links, RFC 8058 one-click unsubscribe headers and a deterministic Message-ID.

The HTML comes from a ``.html`` template, so Jinja autoescapes every value; the text part comes from a
``.txt`` template (plain text cannot carry markup) fed only values cleaned of control characters, and
header values go through ``email.headerregistry``, which refuses line breaks (no header injection).

Sending builds each survey × language × kind of email once with the ``email`` package (``compose_invitation``,
the reference), with stand-ins for the contact's link token and name, and keeps its bytes cut at those
stand-ins (``InvitationTemplate``); each contact's message is those bytes with the contact's own links, name,
To, Date and Message-ID filled in, and its two parts quoted-printable encoded (``binascii``, the same bytes
as the ``email`` package's encoder on these parts). A name that is not plain ASCII words goes through
``email.headerregistry`` as before; ``tests/mail/test_prebuilt.py`` holds both paths to the same output.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import hmac
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, parseaddr

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from app.models import Invitation, Survey, SurveyKind
from app.surveys.queries import SurveyTexts, normalize_locale, survey_texts, token_for

# Parts are encoded at 76-character lines (RFC 2045) when built; on the wire, headers may run to the
# RFC 5322 limit so List-Unsubscribe's long URL stays one plain <url> instead of an encoded word.
MIME_POLICY = SMTP.clone(max_line_length=76)
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
    config = current_app.config
    return _message_id(config["SECRET_KEY"], config["MAIL_FROM"], invitation_id, kind)


@functools.lru_cache(maxsize=512)
def _message_id(secret_key: str, mail_from: str, invitation_id: int, kind: str) -> str:
    """Kept for the last few hundred messages: sending asks for a message's ID for its in-flight mark and
    again for its bytes."""
    mac = hmac.new(secret_key.encode(), f"msgid:{kind}:{invitation_id}".encode(), hashlib.sha256).hexdigest()
    return f"<{kind}.{invitation_id}.{mac[:20]}@{_domain(mail_from)}>"


@functools.lru_cache(maxsize=8)
def _domain(mail_from: str) -> str:
    return parseaddr(mail_from)[1].rpartition("@")[2] or "clearloop.localhost"


def date_value(now: datetime | None = None) -> str:
    """The Date header's value, as ``email.headerregistry`` writes it (``+0000``, whole seconds)."""
    second = (now or datetime.now(UTC)).replace(microsecond=0)
    return _date_of_second(second, str(second.tzinfo), second.utcoffset())


@functools.lru_cache(maxsize=4)
def _date_of_second(second: datetime, zone: str, offset: timedelta | None) -> str:
    """Formatted once per second: a batch sends many messages within one. The zone and offset are part of
    the key, as two datetimes of one instant in two zones are equal yet written differently."""
    return format_datetime(second)


def build_message(
    rendered: Rendered, to_email: str, to_name: str, msgid: str, date: str | None = None
) -> EmailMessage:
    """Wrap a rendered email in a MIME message with every header a bulk survey email needs."""
    msg = EmailMessage(policy=MIME_POLICY)
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = Address(display_name=clean_text(to_name), addr_spec=to_email)
    msg["Subject"] = rendered.subject
    msg["Date"] = date or date_value()
    msg["Message-ID"] = msgid
    msg["List-Unsubscribe"] = f"<{rendered.links['one_click']}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to survey mail
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    # Quoted-printable whatever the text: readable, and the encoding sending's prebuilt path reproduces.
    msg.set_content(rendered.text, cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    msg["Content-Language"] = rendered.locale  # after the parts: Content-* headers move into the first part
    return msg


@dataclass(frozen=True)
class WireMessage:
    """A message ready for the relay: its RFC 5322 bytes and the envelope and headers the transports read."""

    data: bytes
    sender: str
    recipients: tuple[str, ...]
    message_id: str | None
    subject: str

    @classmethod
    def of(cls, msg: EmailMessage | WireMessage) -> WireMessage:
        """A message built with the ``email`` package, serialized for the wire."""
        if isinstance(msg, WireMessage):
            return msg
        return cls(
            data=msg.as_bytes(policy=WIRE_POLICY),
            sender=parseaddr(msg["From"])[1],
            recipients=tuple(addr for _, addr in getaddresses(msg.get_all("To", []))),
            message_id=None if msg["Message-ID"] is None else str(msg["Message-ID"]),
            subject=str(msg["Subject"] or ""),
        )


def to_wire(msg: EmailMessage | WireMessage) -> bytes:
    """The message as it goes to the relay (CRLF line ends, unencoded long header values)."""
    if isinstance(msg, WireMessage):
        return msg.data
    return msg.as_bytes(policy=WIRE_POLICY)


def header_bytes(name: str, value: object) -> bytes:
    """One header line as ``to_wire`` writes it (parsed, encoded and folded by ``email.headerregistry``)."""
    return WIRE_POLICY.header_factory(name, value).fold(policy=WIRE_POLICY).encode("ascii")


ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
WORD = r"[A-Za-z0-9!#$%&'*+/^_`{|}~-]+"  # atext without "=" and "?": no encoded-word look-alikes
PLAIN_NAME = re.compile(rf"{WORD}(?: {WORD})*")
PLAIN_ADDRESS = re.compile(rf"{ATEXT}(?:\.{ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def to_header(name: str, email: str) -> bytes:
    """The To line of a contact: written directly for plain ASCII words and addresses (what the ``email``
    package writes for them too), through ``email.headerregistry`` for anything else."""
    name = clean_text(name)
    if len(name) + len(email) < 900 and PLAIN_ADDRESS.fullmatch(email):
        if not name:
            return f"To: {email}\r\n".encode("ascii")
        if PLAIN_NAME.fullmatch(name):
            return f"To: {name} <{email}>\r\n".encode("ascii")
    return header_bytes("To", Address(display_name=name, addr_spec=email))


def quoted_printable(text: str) -> bytes:
    """A text part's body as ``set_content(cte="quoted-printable")`` encodes it, with CRLF line ends."""
    body = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    return binascii.b2a_qp(body, istext=True).replace(b"\n", b"\r\n")


_TEXT_MARK, _HTML_MARK = "@@clearloop-text-part@@", "@@clearloop-html-part@@"
_MSGID_MARK, _TO_MARK = "<clearloop-message-id@placeholder.invalid>", "clearloop-to@placeholder.invalid"
_DATE_MARK = "Thu, 01 Jan 1970 00:00:00 +0000"


class InvitationTemplate:
    """One survey email (survey × language × invitation or reminder × with or without a name) rendered
    and built once with stand-ins, kept as byte pieces; ``fill`` makes a contact's message from them."""

    def __init__(self, survey: Survey, locale: str, reminder: bool, named: bool, texts_cache: dict) -> None:
        self.token_mark = secrets.token_urlsafe(32)  # as long as a real token, from the same alphabet
        self.name_mark = f"clearloopname{secrets.token_hex(8)}" if named else ""
        rendered = render_survey_email(survey, locale, self.token_mark, self.name_mark, reminder, texts_cache)
        self.subject = rendered.subject
        self.sender = parseaddr(current_app.config["MAIL_FROM"])[1]
        self.text = self._cut(rendered.text)
        self.html = self._cut(rendered.html)
        skeleton = build_message(
            replace(rendered, text=_TEXT_MARK, html=_HTML_MARK), _TO_MARK, "", _MSGID_MARK, _DATE_MARK
        )
        self.wire = _cut_bytes(
            to_wire(skeleton),
            {
                f"To: {_TO_MARK}\r\n": "to",
                _DATE_MARK: "date",
                _MSGID_MARK: "msgid",
                self.token_mark: "token",
                f"{_TEXT_MARK}\r\n": "text",
                f"{_HTML_MARK}\r\n": "html",
            },
        )

    def _cut(self, rendered: str) -> list[str]:
        """The rendered part split at the stand-ins: literal, slot, literal, slot, …, literal."""
        marks = {self.token_mark: "token"}
        if self.name_mark:
            marks[self.name_mark] = "name"
        pattern = re.compile("|".join(re.escape(mark) for mark in marks))
        pieces: list[str] = []
        position = 0
        for found in pattern.finditer(rendered):
            pieces += [rendered[position : found.start()], marks[found.group()]]
            position = found.end()
        return [*pieces, rendered[position:]]

    def fill(self, token: str, name: str, email: str, msgid: str, date: str) -> WireMessage:
        """The message of one contact."""
        name = clean_text(name)
        text = _join(self.text, {"token": token, "name": name})
        html = _join(self.html, {"token": token, "name": str(escape(name))})
        values = {
            "to": to_header(name, email),
            "date": date.encode("ascii"),
            "msgid": msgid.encode("ascii"),
            "token": token.encode("ascii"),
            "text": quoted_printable(text),
            "html": quoted_printable(html),
        }
        return WireMessage(_join(self.wire, values), self.sender, (email,), msgid, self.subject)


def _cut_bytes(data: bytes, marks: dict[str, str]) -> list:
    """``data`` split at each mark (each must occur exactly once, else the template is not used)."""
    pattern = re.compile(b"|".join(re.escape(mark.encode("ascii")) for mark in marks))
    pieces: list = []
    position = 0
    for found in pattern.finditer(data):
        pieces += [data[position : found.start()], marks[found.group().decode("ascii")]]
        position = found.end()
    slots = pieces[1::2]
    if sorted(slots) != sorted(marks.values()):
        raise ValueError(f"the prebuilt message lost a stand-in ({sorted(slots)})")
    return [*pieces, data[position:]]


def _join(pieces: list, values: dict):
    """Literal pieces at even positions, slot names at odd ones, filled from ``values``."""
    out = list(pieces)
    out[1::2] = [values[slot] for slot in pieces[1::2]]
    return out[0][:0].join(out)


_TEMPLATES: OrderedDict[tuple, InvitationTemplate] = OrderedDict()
_TEMPLATES_KEPT = 64


def invitation_template(
    survey: Survey, locale: str, reminder: bool, named: bool, texts_cache: dict
) -> InvitationTemplate:
    """The prebuilt email of a survey in a language, made once per process for as long as nothing it is
    made of changes: the survey row (``updated_at``), its wording in that language (which carries the
    workspace's company name), the links' base URL and the sender. Within one batch (one ``texts_cache``)
    the version is worked out once per survey state × language × kind: the batch's survey row is read once
    and the settings do not change while it runs."""
    batch_key = ("template", survey.id, survey.updated_at, locale, reminder, named)
    kept = texts_cache.get(batch_key)
    if kept is not None:
        return kept
    key = (survey.id, locale)
    texts = texts_cache.get(key) or texts_cache.setdefault(key, survey_texts(survey, locale))
    config = current_app.config
    version = (
        survey.id,
        survey.updated_at,
        survey.kind,
        locale,
        reminder,
        named,
        config["BASE_URL"],
        config["MAIL_FROM"],
        *(repr(getattr(texts, field.name)) for field in fields(texts)),
    )
    template = _TEMPLATES.get(version)
    if template is None:
        template = InvitationTemplate(survey, locale, reminder, named, texts_cache)
        _TEMPLATES[version] = template
        while len(_TEMPLATES) > _TEMPLATES_KEPT:
            _TEMPLATES.popitem(last=False)
    else:
        _TEMPLATES.move_to_end(version)
    texts_cache[batch_key] = template
    return template


def compose_invitation(
    invitation: Invitation, reminder: bool = False, texts_cache: dict | None = None, date: str | None = None
) -> EmailMessage:
    """The email of an invitation built field by field with the ``email`` package: the reference that
    ``build_invitation``'s prebuilt bytes reproduce."""
    contact = invitation.contact
    if contact is None:
        raise ValueError("the invitation's contact was erased")
    rendered = render_survey_email(
        invitation.survey, contact.locale, token_for(invitation), contact.name, reminder, texts_cache
    )
    kind = "reminder" if reminder else "invitation"
    return build_message(rendered, contact.email, contact.name, message_id(invitation.id, kind), date)


def build_invitation(
    invitation: Invitation, reminder: bool = False, texts_cache: dict | None = None
) -> WireMessage:
    """The email of an invitation (or its reminder) to its contact, filled into the batch's prebuilt
    message of its survey and language."""
    contact = invitation.contact
    if contact is None:
        raise ValueError("the invitation's contact was erased")
    template = invitation_template(
        invitation.survey,
        normalize_locale(contact.locale),
        reminder,
        bool(clean_text(contact.name)),
        {} if texts_cache is None else texts_cache,
    )
    kind = "reminder" if reminder else "invitation"
    return template.fill(
        token_for(invitation), contact.name, contact.email, message_id(invitation.id, kind), date_value()
    )
