"""Removing a person's traces from text and JSON wherever they were copied: every text and JSON column of
every table is searched (in SQL) for the person's email and name, and the tables that quote comments
(digests, alerts, health drivers, settings, outbox mail, webhook and API logs, follow-up notes) are read
and scrubbed of the erased comments too."""

from __future__ import annotations

import email
import json
import re
from email.policy import default as default_policy
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import Base

ERASED = "[erased]"
SKIP_TABLES = {"users"}  # staff accounts are not the data subject's, even when an address is shared
MIN_QUOTE = 8  # shorter comments ("ok", "great") identify no one and match everywhere
QUOTE_PREFIX = 24
MIN_SENTENCE = 20


def _text_columns() -> list[tuple[sa.Table, sa.Column]]:
    """Every (table, column) holding text or JSON, with the table's primary key usable."""
    out = []
    for table in Base.metadata.sorted_tables:
        if table.name in SKIP_TABLES or len(table.primary_key.columns) != 1:
            continue
        for column in table.columns:
            if isinstance(column.type, (sa.String, sa.Text, sa.JSON)) and not column.primary_key:
                out.append((table, column))
    return out


def _replace(value: Any, needles: list[str]) -> Any:
    """``value`` with every needle (case-insensitive) replaced, recursing through JSON."""
    if isinstance(value, str):
        lowered = value.lower()
        if not any(n in lowered for n in needles):
            return value
        out = value
        for n in needles:
            start = out.lower().find(n)
            while start != -1:
                out = out[:start] + ERASED + out[start + len(n) :]
                start = out.lower().find(n, start + len(ERASED))
        return out
    if isinstance(value, dict):
        return {k: _replace(v, needles) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, needles) for v in value]
    return value


def _fits(column: sa.Column, value: Any) -> Any:
    length = getattr(column.type, "length", None)
    if isinstance(value, str) and length:
        return value[:length]
    return value


def scrub_everywhere(needles: list[str]) -> int:
    """Replace the needles in every text and JSON column of every table; returns rows changed."""
    needles = sorted({n.lower() for n in needles if n and len(n) >= 3}, key=len, reverse=True)
    if not needles:
        return 0
    changed = 0
    for table, column in _text_columns():
        pk = next(iter(table.primary_key.columns))
        as_text = sa.cast(column, sa.Text) if isinstance(column.type, sa.JSON) else column
        hit = sa.or_(*[sa.func.lower(as_text).contains(n, autoescape=True) for n in needles])
        for key, value in db.session.execute(sa.select(pk, column).where(hit)).all():
            new = _fits(column, _replace(value, needles))
            if new != value:
                db.session.execute(sa.update(table).where(pk == key).values({column.name: new}))
                changed += 1
    return changed


QUOTING = {  # table -> columns that may quote a respondent's comment
    "digests": ("content",),
    "alerts": ("title", "evidence"),
    "health_snapshots": ("drivers",),
    "settings": ("value",),
    "webhook_attempts": ("response_body",),
    "api_idempotency_keys": ("response_body",),
    "followups": ("resolution_note",),
    "followup_events": ("note",),
    "followup_messages": ("subject", "body"),
}


def quote_needles(comments: list[str]) -> list[str]:
    """What a quote of these comments looks like: the whole comment, its opening (digests and alerts cut
    quotes short) and each of its sentences (excerpts are cut at sentence ends)."""
    out: set[str] = set()
    for comment in comments:
        text = " ".join((comment or "").split()).lower()
        if len(text) < MIN_QUOTE:
            continue
        out.add(text)
        out.add(text[:QUOTE_PREFIX])
        out.update(s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) >= MIN_SENTENCE)
    return sorted(out, key=len, reverse=True)


def _drop_quoting(value: Any, needles: list[str]) -> Any:
    """``value`` with every string that quotes a needle replaced whole (a cut quote leaves no fragment)."""
    if isinstance(value, str):
        flat = " ".join(value.split()).lower()
        return ERASED if any(n in flat for n in needles) else value
    if isinstance(value, dict):
        return {k: _drop_quoting(v, needles) for k, v in value.items()}
    if isinstance(value, list):
        return [_drop_quoting(v, needles) for v in value]
    return value


def scrub_quotes(comments: list[str]) -> int:
    """Replace quotes of these comments where comments are quoted; drop outbox mail that quotes them."""
    quotes = quote_needles(comments)
    if not quotes:
        return 0
    changed = 0
    tables = Base.metadata.tables
    for name, columns in QUOTING.items():
        table = tables.get(name)
        if table is None:
            continue
        pk = next(iter(table.primary_key.columns))
        for column_name in columns:
            if column_name not in table.c:
                continue
            column = table.c[column_name]
            for key, value in db.session.execute(sa.select(pk, column).where(column.is_not(None))).all():
                new = _fits(column, _drop_quoting(value, quotes))
                if new != value:
                    db.session.execute(sa.update(table).where(pk == key).values({column_name: new}))
                    changed += 1
    return changed + _drop_outbox_quoting(quotes)


def _decoded(raw: str) -> str:
    """An outbox message's headers and decoded text parts (comments hide in quoted-printable)."""
    msg = email.message_from_string(raw, policy=default_policy)
    parts = [str(v) for _, v in msg.items()]
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            try:
                parts.append(part.get_content())
            except (LookupError, ValueError):
                continue
    return "\n".join(parts).lower()


def _drop_outbox_quoting(needles: list[str]) -> int:
    table = Base.metadata.tables["outbox_messages"]
    doomed = [
        key
        for key, raw in db.session.execute(sa.select(table.c.id, table.c.raw)).all()
        if any(n in " ".join(_decoded(raw).split()) or n in raw.lower() for n in needles)
    ]
    if doomed:
        db.session.execute(sa.delete(table).where(table.c.id.in_(doomed)))
    return len(doomed)


def json_safe(value: Any) -> Any:
    """A value as JSON will carry it (for exports)."""
    return json.loads(json.dumps(value, default=str))
