"""Small helpers shared by tests."""

from __future__ import annotations

import html
import re


def text(resp) -> str:
    """The visible text of an HTML response: tags dropped, entities decoded, whitespace collapsed."""
    body = resp.get_data(as_text=True)
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip())
