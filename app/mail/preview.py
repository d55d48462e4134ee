"""Showing emails to staff safely: the HTML part is served on its own URL, into a sandboxed iframe, under
a CSP that allows no script, no network and no framing by other sites; the text part is shown escaped."""

from __future__ import annotations

import email
import re
from email.message import EmailMessage
from email.policy import default

from flask import Response

LINK_RE = re.compile(r"https?://[^\s<>\"')]+")
HREF_RE = re.compile(r"(<a\b[^>]*?)\s+href=(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE)
SANDBOX_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"
)


def parse(raw: str) -> EmailMessage:
    """Parse a stored RFC 5322 message."""
    return email.message_from_string(raw, policy=default)  # type: ignore[return-value]


def part(msg: EmailMessage, subtype: str) -> str | None:
    """The decoded text of the message's text/<subtype> part."""
    found = msg.get_body(preferencelist=(subtype,))
    return found.get_content() if found is not None else None


def links(text: str | None) -> list[str]:
    """Every http(s) link in a text part, in order, without duplicates."""
    return list(dict.fromkeys(LINK_RE.findall(text or "")))


def inert_links(html: str) -> str:
    """The email's HTML with every link's target removed: a copy to look at, whose score and unsubscribe
    buttons cannot answer or unsubscribe for a customer."""
    return HREF_RE.sub(r'\1 aria-disabled="true" title="Links are inactive in this copy"', html)


def sandboxed_html(html: str, inert: bool = False) -> Response:
    """A response carrying an email's HTML for a sandboxed iframe of our own pages only."""
    response = Response(inert_links(html) if inert else html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = SANDBOX_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
