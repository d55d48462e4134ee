"""Helpers for the accounts tests: row counts and CSV uploads (``text`` re-exported from tests.helpers)."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Account, AuditEvent, Contact, ImportBatch, Suppression
from tests.helpers import text  # noqa: F401  (the accounts tests import it from here)


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
