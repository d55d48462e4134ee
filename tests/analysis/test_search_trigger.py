"""Tagging writes each comment's detected language; the search triggers re-stem the comment only when its
text-search configuration or text changed (migration workers_0001, issue 18 §3).

Each test plants a marker in the stored search data (a write of that column alone fires no trigger), then
writes the language: a kept marker shows the comment was not re-stemmed."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from tests.factories import make_response, make_survey

MARK = "zzmarker"


def _plant(rid: int) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.text("UPDATE responses SET search_vector = to_tsvector('simple', :m) WHERE id = :id"),
            {"m": MARK, "id": rid},
        )
    else:
        db.session.execute(
            sa.text("UPDATE responses_fts SET body = :m WHERE rowid = :id"), {"m": MARK, "id": rid}
        )


def _stored(rid: int) -> str:
    if db.session.get_bind().dialect.name == "postgresql":
        sql = "SELECT search_vector::text FROM responses WHERE id = :id"
    else:
        sql = "SELECT body FROM responses_fts WHERE rowid = :id"
    return db.session.execute(sa.text(sql), {"id": rid}).scalar_one()


def _set(rid: int, **values: str | None) -> None:
    assignments = ", ".join(f"{k} = :{k}" for k in values)
    db.session.execute(sa.text(f"UPDATE responses SET {assignments} WHERE id = :id"), {**values, "id": rid})


def test_a_language_with_the_same_configuration_keeps_the_stored_stems(app):
    with app.app_context():
        rid = make_response(make_survey(), comment="The invoices are wrong", locale="en").id
        _plant(rid)
        _set(rid, language="en")  # detected as the page's language: same configuration (english)
        assert MARK in _stored(rid)
        _set(rid, language="en", locale="en-GB")  # written again, still english
        assert MARK in _stored(rid)


def test_a_new_configuration_or_a_new_comment_re_stems(app):
    with app.app_context():
        rid = make_response(make_survey(), comment="Die Rechnungen sind falsch", locale="en").id
        _plant(rid)
        _set(rid, language="de")  # detected German on an English page: German stems now
        assert MARK not in _stored(rid) and "rechnung" in _stored(rid)
        _plant(rid)
        _set(rid, comment="Die Rechnungen sind richtig", language="de")
        assert MARK not in _stored(rid) and "richtig" in _stored(rid)
