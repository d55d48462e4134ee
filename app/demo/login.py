"""The demo admin's login, kept in instance/demo-login.txt (mode 0600) so `make run` can show it."""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app

LOGIN_FILE = "demo-login.txt"


def login_path() -> Path:
    """Where the demo admin's login is kept (instance/, never committed)."""
    return Path(current_app.instance_path) / LOGIN_FILE


def write_login(email: str, password: str) -> None:
    """Save the admin login readable by this user only (mode 0600)."""
    path = login_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)  # also when the file existed with looser permissions
        handle.write(f"email: {email}\npassword: {password}\n")


def read_login() -> dict[str, str] | None:
    """The saved demo login, or None when this instance was not seeded."""
    try:
        text = login_path().read_text()
    except FileNotFoundError:
        return None
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {k.strip(): v.strip() for k, v in pairs}
