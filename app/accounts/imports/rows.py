"""An import plan and its rows: what an upload would do, row by row, before anything is written."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.accounts.imports.rules import Column

MAX_ERRORS = 500


@dataclass(frozen=True)
class RowError:
    """Why one cell (or row) cannot be imported."""

    line: int
    column: str
    message: str


@dataclass
class PlannedRow:
    """What importing one row does: create, update (with changes) or nothing."""

    line: int
    key: str
    values: dict[str, Any]
    attributes: dict[str, str]
    action: str = "create"
    target_id: int | None = None
    label: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    failed: bool = False  # kept only to find duplicate keys; never applied
    stored_attributes: dict[str, Any] = field(default_factory=dict)  # of the matched row, for the merge


@dataclass
class HeaderMap:
    """Which file column feeds which field, which become custom attributes, which are ignored."""

    fields: dict[int, Column]
    attributes: dict[int, str]
    ignored: list[str]
    headers: list[str]


@dataclass
class ImportPlan:
    """Everything the preview shows, and what confirming applies."""

    kind: str
    filename: str
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    attribute_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    delimiter: str = ","
    headers: dict[str, str] = field(default_factory=dict)  # field → the file's own header name

    def error(self, line: int, column: str, message: str) -> None:
        """Record a row error against a field or header name (the first MAX_ERRORS are kept)."""
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(line, self.headers.get(column, column), message))

    def counts(self) -> dict[str, int]:
        """Rows by action."""
        out = {"create": 0, "update": 0, "unchanged": 0}
        for row in self.rows:
            out[row.action] += 1
        return out

    def digest(self) -> str:
        """A fingerprint of what applying would write, to notice data that changed since the preview."""
        canon = [
            [
                r.line,
                r.action,
                r.target_id,
                sorted((k, show_value(v)) for k, v in r.values.items()),
                r.attributes,
            ]
            for r in self.rows
        ]
        return hashlib.sha256(json.dumps(canon, sort_keys=True, default=str).encode()).hexdigest()


def show_value(value: Any) -> str:
    """A value as people read it in the preview."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):
        return str(value.value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
