"""PII redaction for text leaving the app: emails, phone numbers, card numbers (Luhn), secrets in URLs."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']{1,2000}", re.IGNORECASE)
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d ().-]{6,18}\d(?!\d)")
DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
# Path segments that look like a token: long, mixing letters and digits (or a long hex/base64 run).
TOKENISH = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-=.~%]{16,}$|^[A-Fa-f0-9]{24,}$")
SAFE_PARAMS = frozenset(
    [
        "page",
        "lang",
        "locale",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "sort",
        "order",
        "view",
        "tab",
        "q",
    ]
)


def luhn_ok(digits: str) -> bool:
    """Whether a digit string passes the Luhn check used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group())
    return "[CARD]" if 13 <= len(digits) <= 19 and luhn_ok(digits) else m.group()


def _phone(m: re.Match) -> str:
    s = m.group()
    digits = re.sub(r"\D", "", s)
    if len(digits) < 8 or len(digits) > 15 or DATE.match(s.strip()) or re.fullmatch(r"[\d.]+", s):
        return s  # too short/long for a phone, a date, or a plain decimal / version number
    return "[PHONE]"


def _url(m: re.Match) -> str:
    raw = m.group()
    trail = ""
    while raw and raw[-1] in ".,;:!?)]}":
        trail = raw[-1] + trail
        raw = raw[:-1]
    try:
        parts = urlsplit(raw if "://" in raw else "http://" + raw)
    except ValueError:
        return "[URL]" + trail
    netloc = parts.netloc.rsplit("@", 1)[-1]  # drop user:password@
    path = "/".join("[TOKEN]" if TOKENISH.match(seg) else seg for seg in parts.path.split("/"))
    query = urlencode(
        [
            (k, v if k.lower() in SAFE_PARAMS else "[REDACTED]")
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="[]",
    )
    fragment = (
        "[REDACTED]"
        if parts.fragment and ("=" in parts.fragment or len(parts.fragment) >= 16)
        else parts.fragment
    )
    out = urlunsplit((parts.scheme, netloc, path, query, fragment))
    if "://" not in raw:
        out = out.split("://", 1)[1]
    return out + trail


def redact(text: str) -> str:
    """Return ``text`` with emails, phone numbers, Luhn-valid card numbers and URL secrets replaced."""
    if not text:
        return text
    text = URL.sub(_url, text)
    text = EMAIL.sub("[EMAIL]", text)
    text = CARD.sub(_card, text)
    return PHONE.sub(_phone, text)
