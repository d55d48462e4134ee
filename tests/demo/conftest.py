"""Fresh apps on their own SQLite files (with their own instance folder) for seeding the demo company."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import test_config

AS_OF = datetime(2026, 6, 15, 12, tzinfo=UTC)
# Secrets and wall-clock columns: they must differ between runs (or are not seeded), so digests skip them.
VOLATILE = {
    "users": {"password_hash", "last_login_at"},
    "surveys": {"public_token"},
    "invitations": {"token_salt", "token_hash"},
    "settings": {"updated_at"},
}
SEEDED_TABLES = (
    "users",
    "accounts",
    "contacts",
    "surveys",
    "sends",
    "invitations",
    "responses",
    "suppressions",
    "settings",
)


@pytest.fixture
def fresh_app(tmp_path: Path) -> Iterator[Callable[[str], Flask]]:
    """``fresh_app(name)``: a new app on an empty, migrated SQLite database of its own."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    made: list[Flask] = []

    def _make(name: str = "demo") -> Flask:
        folder = tmp_path / name
        folder.mkdir()
        app = create_app(test_config(f"sqlite:///{folder / 'demo.db'}") | {"INSTANCE_PATH": str(folder)})
        with app.app_context():
            upgrade()
            db.session.remove()
        made.append(app)
        return app

    yield _make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def digest(app: Flask) -> str:
    """A fingerprint of every seeded row (volatile columns left out), table by table in id order."""
    from app.extensions import db

    sha = hashlib.sha256()
    with app.app_context():
        for name in SEEDED_TABLES:
            table = db.metadata.tables[name]
            columns = [c for c in table.columns if c.name not in VOLATILE.get(name, set())]
            order = list(table.primary_key.columns)
            for row in db.session.execute(sa.select(*columns).order_by(*order)):
                sha.update(repr(tuple(row)).encode())
    return sha.hexdigest()
