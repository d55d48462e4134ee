"""The API token form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length


class TokenForm(FlaskForm):
    """Name a new token and choose its scopes (only those the user's role allows are offered)."""

    name = StringField(
        "Name", validators=[DataRequired(), Length(max=100)], description="e.g. “Salesforce sync”"
    )
    scopes = SelectMultipleField(
        "Scopes",
        choices=[],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )
