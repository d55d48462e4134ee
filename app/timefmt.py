"""Times as staff read them: in the workspace time zone, with the zone named."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import g, has_request_context

from app.workspace_settings import workspace_timezone


def _zone() -> ZoneInfo:
    """The workspace zone, read once per request."""
    if not has_request_context():
        return workspace_timezone()
    if "workspace_zone" not in g:
        g.workspace_zone = workspace_timezone()
    return g.workspace_zone


def zone_name(moment: datetime | None = None) -> str:
    """The zone's short name at that moment ("CET", "UTC"), or its IANA name when it has none."""
    zone = _zone()
    short = (moment or datetime.now(UTC)).astimezone(zone).tzname() or ""
    return short if short.isalpha() else zone.key


def localtime(value: datetime | date | None, fmt: str = "%d %b %Y %H:%M", named: bool | None = None) -> str:
    """Format a stored (UTC) time in the workspace zone; a time of day is followed by the zone's name."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.strftime(fmt)
    moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(_zone())
    text = moment.strftime(fmt)
    if named if named is not None else ("%H" in fmt):
        text += " " + zone_name(moment)
    return text
