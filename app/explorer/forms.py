"""Forms of the explorer (CSRF on every one). The current filters travel as hidden query arguments."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.inputs import parse_id


def _int_or_none(value: object) -> int | None:
    """Coerce a select's value; anything not a number becomes None (refused by the service)."""
    return parse_id(value)


class SaveViewForm(FlaskForm):
    """Save the current filters under a name."""

    name = StringField(
        "Save this view as", validators=[DataRequired("Give the view a name."), Length(max=80)]
    )


class TagForm(FlaskForm):
    """Tag the selected responses with a topic."""

    topic_id = SelectField("Tag selected with", coerce=_int_or_none, validate_choice=False)


class PostForm(FlaskForm):
    """A button that posts (export, delete): only the CSRF token."""
