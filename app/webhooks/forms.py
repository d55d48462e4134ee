"""The webhook endpoint form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from app.webhooks.outbox import EVENTS


class EndpointForm(FlaskForm):
    """A receiver URL and the events it wants (none ticked: every event)."""

    url = StringField(
        "URL", validators=[DataRequired(), Length(max=2000)], description="https://example.com/hooks"
    )
    description = StringField("Description", validators=[Length(max=200)])
    events = SelectMultipleField(
        "Events",
        choices=[(k, f"{k}: {v}") for k, v in EVENTS.items()],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        description="Tick none to receive every event.",
    )
