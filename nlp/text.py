"""Input hygiene: make any str safe to tokenize while keeping character offsets of the original text."""

from __future__ import annotations

import re

MAX_CHARS = 10_000  # RELIABILITY.md rule 5: longer comments are analysed truncated

# Control characters (except tab/newline/CR), lone surrogates, bidi/format marks and noncharacters are
# replaced one-for-one by a space, so every offset into the cleaned text is an offset into the original.
_BAD = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u2028\u2029\ufeff\ufff9-\ufffb\ufffe\uffff]"
)


def clean(text: object) -> str:
    """Return ``text`` as a str of the same length with unsafe code points replaced by spaces."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return _BAD.sub(" ", text)


def truncate(text: str, limit: int = MAX_CHARS) -> tuple[str, bool]:
    """Cut ``text`` to at most ``limit`` characters, at a whitespace boundary when one is near."""
    if len(text) <= limit:
        return text, False
    cut = text.rfind(" ", limit - 200, limit)
    return text[: cut if cut > 0 else limit], True
