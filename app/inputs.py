"""The one place where text from a request becomes a number, a date, an id or clean text.

Every route, filter and form goes through these (issue 17): numbers are ASCII digits only (``²`` and ``١``
pass ``str.isdigit()`` but are not numbers here), always bounded (ids fit the 32-bit integer columns, dates
stay where date arithmetic cannot overflow), and text carrying NUL or other control characters is refused
for the whole request before any view runs, with a 400 a person can read. ``<int:...>`` route parts use a
bounded converter, so ``/accounts/99999999999`` is a plain 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # ids are INTEGER columns (32-bit on PostgreSQL)
MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(2999, 12, 31)  # far enough for any filter; date arithmetic near year 9999 overflows
INT_RE = re.compile(r"[+-]?[0-9]{1,19}")  # ASCII only: int() would accept other scripts' digits
DAY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# C0 controls except tab, LF and CR (typed text keeps its lines), DEL, C1 controls, and lone surrogates.
FORBIDDEN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
FORBIDDEN_ARG = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # query arguments are one line
# Names Flask's url_for takes for itself: a query string must never reach them through **request.args.
RESERVED_ARGS = frozenset({"endpoint", "_anchor", "_method", "_scheme", "_external"})


class InputError(ValueError):
    """A request value that is not allowed; the message says why, in words for a person."""


def parse_int(raw: object, low: int, high: int) -> int | None:
    """A whole number in [low, high] written in ASCII digits, or None (absent, malformed, out of range)."""
    text = str(raw).strip() if raw is not None else ""
    if not INT_RE.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_id(raw: object) -> int | None:
    """A row id (1 .. 2**31-1), or None."""
    return parse_int(raw, 1, MAX_ID)


def parse_ids(raws: Iterable[object]) -> list[int]:
    """The valid row ids among ``raws``, distinct and sorted; anything else is dropped."""
    return sorted({i for i in (parse_id(r) for r in raws) if i is not None})


def parse_day(raw: object, low: date = MIN_DAY, high: date = MAX_DAY) -> date | None:
    """An ISO date (YYYY-MM-DD) within [low, high], or None."""
    text = str(raw).strip() if raw is not None else ""
    if not DAY_RE.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if low <= day <= high else None


def int_arg(args: Mapping[str, Any], name: str, label: str, low: int, high: int) -> int | None:
    """A bounded whole number from a query string; None when absent, ``InputError`` when malformed."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    value = parse_int(raw, low, high)
    if value is None:
        raise InputError(f"{label} must be a whole number from {low} to {high}.")
    return value


def day_arg(args: Mapping[str, Any], name: str, label: str) -> date | None:
    """A date from a query string; None when absent, ``InputError`` when malformed or out of range."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    value = parse_day(raw)
    if value is None:
        raise InputError(f"{label} must be a date written YYYY-MM-DD between {MIN_DAY} and {MAX_DAY}.")
    return value


def text_problem(name: str, value: str, one_line: bool = False) -> str | None:
    """Why ``value`` (of the field or argument ``name``) is refused, or None when it is acceptable."""
    pattern = FORBIDDEN_ARG if one_line else FORBIDDEN_TEXT
    if pattern.search(name) or pattern.search(value):
        shown = FORBIDDEN_ARG.sub("", name)[:40] or "?"
        return (
            f"“{shown}” contains a control character (such as a NUL byte) that text cannot hold. "
            "Remove it and try again."
        )
    return None


def check_request() -> None:
    """Refuse (400) a request whose query string or form holds control characters or url_for's names."""
    for name, value in request.args.items(multi=True):
        if name in RESERVED_ARGS or name.startswith("_"):
            abort(400, f"“{name[:40]}” is not an argument this page takes.")
        problem = text_problem(name, value, one_line=True)
        if problem:
            abort(400, problem)
    # Respondents' answers are cleaned, not refused (``app.respond.validation`` drops these characters with
    # the same pattern): an invisible pasted character must never cost an answer.
    if request.method in ("POST", "PUT", "PATCH") and request.blueprint != "respond":
        for name, value in request.form.items(multi=True):
            problem = text_problem(name, value)
            if problem:
                abort(400, problem)
        for name, upload in request.files.items(multi=True):
            problem = text_problem(name, upload.filename or "", one_line=True)
            if problem:
                abort(400, problem)


class BoundedInt(IntegerConverter):
    """``<int:...>``: ASCII digits within the id range, so an oversized id is a 404, never an overflow."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Install the bounded ``int`` converter (before any route is added) and the request check."""
    app.url_map.converters["int"] = BoundedInt
    app.before_request(check_request)
