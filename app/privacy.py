"""The one place text is redacted before it leaves the app for someone who may not see PII.

Exports for non-admins, digests, alerts and topic suggestions all call ``redact_text``; what counts as PII
is decided here: emails, phone and card numbers and URL secrets (``nlp.redact``), plus the names the app
itself knows belong to the respondent (their contact name and email), wherever they appear in the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nlp.redact import redact

NAME_MARK = "[NAME]"
MIN_NAME_PART = 3  # shorter name parts ("Li", "Bo") match too many ordinary words to replace safely


def redact_text(text: str | None, known_names: Iterable[str | None] = ()) -> str | None:
    """``text`` with PII replaced: patterns by ``nlp.redact``, then known names (whole words, any case)."""
    if not text:
        return text
    out = redact(text)
    parts = sorted(
        {p for name in known_names if name for p in re.split(r"[\s,]+", name) if len(p) >= MIN_NAME_PART},
        key=len,
        reverse=True,
    )
    for part in parts:
        out = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", NAME_MARK, out, flags=re.IGNORECASE)
    return out
