"""CSV export of exactly what the explorer filters, streamed in id-ordered chunks.

Non-admins get PII redacted through ``app.privacy.redact_text`` (the one redaction function): comments
lose emails, phone numbers and the respondent's own name, and the contact's name and email columns stay
empty. Cells a spreadsheet would run as a formula are neutralised as in the accounts export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import url_for

from app.explorer.filters import ExplorerFilters
from app.explorer.queries import conditions, followups_for, rows_for
from app.extensions import db
from app.models import Response
from app.privacy import redact_text
from app.spreadsheet import neutralise

CHUNK = 500
HEADER = [
    "response_id",
    "created_at",
    "survey",
    "kind",
    "score",
    "band",
    "channel",
    "comment",
    "sentiment",
    "language",
    "topics",
    "intents",
    "followup",
    "contact_id",
    "contact_name",
    "contact_email",
    "account_id",
    "account",
    "arr",
    "plan",
    "tier",
    "lifecycle_stage",
    "url",
]


def _line(values: list[Any]) -> str:
    buffer = io.StringIO()
    cells = ["" if v is None else neutralise(getattr(v, "value", v)) for v in values]
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def _topics(r: Response) -> str:
    seen = dict.fromkeys(
        f"{m.topic.name} ({m.sentiment_label or 'neutral'})" for m in r.mentions if not m.rejected
    )
    return "; ".join(seen)


def _values(r: Response, followup: Any, admin: bool) -> list[Any]:
    contact, account = r.contact, r.account
    names = [contact.name, contact.email] if contact else []
    names.append(r.respondent_email)
    comment = r.comment if admin else redact_text(r.comment, names)
    return [
        r.id,
        r.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        r.survey.name,
        r.kind,
        r.score,
        r.band,
        r.channel,
        comment,
        r.sentiment_label,
        r.language,
        _topics(r),
        "; ".join(sorted({i.label for i in r.intents})),
        followup.state if followup else None,
        r.contact_id,
        (contact.name if contact else None) if admin else None,
        (contact.email if contact else r.respondent_email) if admin else None,
        r.account_id,
        account.name if account else None,
        account.arr if account else None,
        account.plan if account else None,
        account.tier if account else None,
        account.lifecycle_stage if account else None,
        url_for("analysis.response", response_id=r.id, _external=True),
    ]


def export_rows(filters: ExplorerFilters, admin: bool) -> Iterator[str]:
    """CSV lines (header first, UTF-8 BOM) of every response the filters select, oldest id first."""
    where = conditions(filters.first_page())
    yield "\ufeff" + _line(HEADER)
    last = 0
    while True:
        ids = list(
            db.session.execute(
                sa.select(Response.id).where(*where, Response.id > last).order_by(Response.id).limit(CHUNK)
            ).scalars()
        )
        if not ids:
            db.session.rollback()
            return
        rows, followups = rows_for(ids), followups_for(ids)
        chunk = "".join(_line(_values(r, followups.get(r.id), admin)) for r in rows)
        db.session.rollback()  # read-only: end the transaction (and SQLite's lock) between chunks
        yield chunk
        last = ids[-1]
