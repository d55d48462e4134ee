"""Mail read models other features use: the suppression list, and a stored message's parts for viewing."""

from __future__ import annotations

from app.mail.preview import inert_links, links, parse, part, sandboxed_html
from app.mail.suppression import email_hash, is_suppressed, suppressed_hashes

__all__ = [
    "email_hash",
    "inert_links",
    "is_suppressed",
    "links",
    "parse",
    "part",
    "sandboxed_html",
    "suppressed_hashes",
]
