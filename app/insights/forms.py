"""Forms of the insights pages: the analytics filters (query arguments), teams, and action buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.inputs import parse_day, parse_id, parse_int

PERIOD_DAYS = {7: "7 days", 28: "4 weeks", 91: "13 weeks"}
SORTS = {
    "tree": "Taxonomy order",
    "volume": "Most responses",
    "change": "Biggest share change",
    "impact": "Most negative impact",
    "revenue": "Most revenue at stake",
}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WORKSPACE_ZONE = ""  # the team follows the workspace's time zone


@dataclass(frozen=True)
class AnalyticsFilters:
    """The Topics page's query arguments, cleaned: unknown or malformed values fall back to defaults."""

    days: int
    end: date
    survey: int | None
    sort: str

    def args(self, **override: Any) -> dict[str, Any]:
        """Query arguments for a link that keeps these filters (with some changed)."""
        out = {"days": self.days, "end": self.end.isoformat(), "survey": self.survey, "sort": self.sort}
        out.update(override)
        return {k: v for k, v in out.items() if v is not None}


def parse_filters(args: dict[str, str], today: date) -> AnalyticsFilters:
    """Clean the page's arguments. The default end is yesterday, the last complete local day."""
    days = parse_int(args.get("days"), 1, 366)
    days = days if days in PERIOD_DAYS else 28
    end = parse_day(args.get("end"), date(2000, 1, 1), today) or today - timedelta(days=1)
    sort = args.get("sort", "tree")
    return AnalyticsFilters(days, end, parse_id(args.get("survey")), sort if sort in SORTS else "tree")


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


class TeamForm(FlaskForm):
    """Create or edit a product team."""

    name = StringField("Name", validators=[DataRequired("Give the team a name."), Length(max=120)])
    description = TextAreaField("What the team owns", validators=[Optional(), Length(max=500)])
    members = SelectMultipleField(
        "Members", coerce=int, description="They receive the digest and the alerts."
    )
    all_topics = BooleanField("Follow every topic", default=True)
    topics = SelectMultipleField(
        "Topics",
        coerce=int,
        description="A topic includes its subtopics. Ignored when the team follows every topic.",
    )
    timezone = SelectField(
        "Time zone", description="Weeks run from Monday 00:00 to Sunday 24:00 in this zone."
    )
    digest_weekday = SelectField("Digest day", coerce=_int_or_none, choices=dict(enumerate(WEEKDAYS)))
    digest_hour = SelectField(
        "Digest hour", coerce=_int_or_none, choices={h: f"{h:02d}:00" for h in range(24)}, default=8
    )
    digest_enabled = BooleanField("Send the weekly digest", default=True)
    alerts_enabled = BooleanField("Send alerts (emerging topics, detractors at large accounts)", default=True)

    def set_choices(self, users: list[tuple[int, str]], topics: list[tuple[int, str]], zone: str) -> None:
        """Offer these users, topics and time zones."""
        self.members.choices = users
        self.topics.choices = topics
        zones = sorted(available_timezones() - {"localtime", "Factory"})
        self.timezone.choices = [(WORKSPACE_ZONE, f"Workspace time zone ({zone})"), *[(z, z) for z in zones]]

    def validate_topics(self, field: SelectMultipleField) -> None:
        """A team that does not follow every topic must follow at least one."""
        if not self.all_topics.data and not field.data:
            raise ValidationError("Choose at least one topic, or follow every topic.")


class ActionForm(FlaskForm):
    """A bare form for POST buttons (send now, delete): CSRF only."""
