"""Helpers for the accounts tests: committed rows, row counts, CSV uploads and page text."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Account, AuditEvent, Contact, ImportBatch, Suppression


@pytest.fixture
def rows(app: Flask) -> Callable[..., Any]:
    """``rows(fn)`` runs ``fn()`` in an app context and commits; returns its rows as ids."""

    def _run(fn: Callable[[], Any]) -> Any:
        with app.app_context():
            result = fn()
            db.session.commit()
            if isinstance(result, list):
                return [getattr(r, "id", r) for r in result]
            return getattr(result, "id", result)

    return _run


@pytest.fixture
def counts(app: Flask) -> Callable[[], dict[str, int]]:
    """Row counts of every table an import or edit could touch."""

    def _counts() -> dict[str, int]:
        with app.app_context():
            return {
                m.__tablename__: db.session.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()
                for m in (Account, Contact, ImportBatch, AuditEvent, Suppression)
            }

    return _counts


def upload(client: FlaskClient, kind: str, content: str | bytes, filename: str = "data.csv"):
    """POST a CSV file to the import page of ``kind`` (accounts or contacts)."""
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        f"/{kind}/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def text(resp) -> str:
    """The visible text of an HTML response: tags dropped, entities decoded, whitespace collapsed."""
    body = resp.get_data(as_text=True)
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip())
