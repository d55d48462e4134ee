"""Links from insights to the rest of the app: the explorer (by its URL contract), responses, accounts.

Email links are absolute (BASE_URL); page links are relative. Every entity shown links to its page.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import current_app, has_request_context, url_for

EXPLORER_PATH = "/responses"  # the feedback explorer; its query arguments are a shared contract


def explorer_url(absolute: bool = False, **args: Any) -> str:
    """The explorer filtered by the contract's arguments (``topic``, ``start``, ``end``, ``account`` …)."""
    clean = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in args.items() if v is not None}
    path = f"{EXPLORER_PATH}?{urlencode(clean)}" if clean else EXPLORER_PATH
    return _absolute(path) if absolute else path


def response_url(response_id: int, absolute: bool = False) -> str:
    """The page of one response (its comment, tags and follow-up)."""
    path = _path("analysis.response", response_id=response_id)
    return _absolute(path) if absolute else path


def account_url(account_id: int, absolute: bool = False) -> str:
    """The page of one account."""
    path = _path("accounts.account", account_id=account_id)
    return _absolute(path) if absolute else path


def app_url(endpoint: str, **values: Any) -> str:
    """An absolute link to any page of the app (for emails)."""
    return _absolute(_path(endpoint, **values))


def _path(endpoint: str, **values: Any) -> str:
    """A path for an endpoint, also outside a request (jobs build digests and alerts)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _absolute(path: str) -> str:
    return f"{current_app.config['BASE_URL']}{path}"
