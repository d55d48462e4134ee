"""Mail tests send to a real SMTP server on loopback (the ``smtp_server`` fixture of tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def smtp_app(app, smtp_server, monkeypatch):
    """The session app, switched to the SMTP transport aimed at the loopback server (restored after)."""
    settings = {
        "MAIL_TRANSPORT": "smtp",
        "SMTP_HOST": smtp_server.host,
        "SMTP_PORT": smtp_server.port,
        "SMTP_STARTTLS": False,
        "SMTP_SSL": False,
        "SMTP_USERNAME": "",
        "SMTP_TIMEOUT": 5,
        "MAIL_RETRY_DELAYS": (0, 0),
        "MAIL_BATCH_SIZE": 50,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return app
