"""Forms of the topics and tagging pages (CSRF on every one)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.analysis.editing import TopicInput, split_terms
from app.inputs import MAX_ID, parse_int

TOP_LEVEL = 0  # the parent select's "no parent" value


def _parent_or_none(value: object) -> int:
    """Coerce the parent select; anything not a number is refused as an invalid choice."""
    number = parse_int(value, 0, MAX_ID)
    return -1 if number is None else number


class TopicForm(FlaskForm):
    """Create or edit a topic."""

    name = StringField("Name", validators=[DataRequired("Give the topic a name."), Length(max=120)])
    # The service checks the parent (exists, active, not a subtopic): its message says what is wrong.
    parent_id = SelectField("Parent", coerce=_parent_or_none, default=TOP_LEVEL, validate_choice=False)
    phrases = TextAreaField(
        "Phrases",
        validators=[Length(max=40_000)],
        description="One per line. Case, plurals and small typos are ignored: “invoice” finds “Invoces”.",
    )
    patterns = TextAreaField(
        "Patterns",
        validators=[Length(max=40_000)],
        description="One per line, e.g. “(slow|sluggish) ... load*”: … is up to three words, * a word start.",
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    key = StringField(
        "Key",
        validators=[Optional(), Length(max=120)],
        description="Optional stable reference, e.g. billing.refunds. Made from the name when empty.",
    )

    def set_parents(self, choices: list[tuple[int, str]]) -> None:
        """Offer these topics as parents (plus the top level)."""
        self.parent_id.choices = [(TOP_LEVEL, "— Top level —"), *choices]

    def to_input(self) -> TopicInput:
        """What the services take."""
        parent = self.parent_id.data
        return TopicInput(
            name=self.name.data or "",
            parent_id=None if parent in (None, TOP_LEVEL) else parent,
            phrases=split_terms(self.phrases.data),
            patterns=split_terms(self.patterns.data),
            description=self.description.data or "",
            key=self.key.data or "",
        )


class SuggestionForm(FlaskForm):
    """Accept a suggested topic."""

    label = HiddenField(validators=[DataRequired("That suggestion has no name."), Length(max=120)])
    parent_id = SelectField("Place under", coerce=_parent_or_none, default=TOP_LEVEL, validate_choice=False)


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class RetryForm(FlaskForm):
    """Retry one failed response, or all of them when empty."""

    response_id = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])


class MentionForm(FlaskForm):
    """Tag a response with a topic by hand."""

    topic_id = SelectField("Topic", coerce=_parent_or_none, validators=[DataRequired("Choose a topic.")])


class MergeForm(FlaskForm):
    """Merge a topic into another one."""

    into = SelectField("Merge into", coerce=_parent_or_none, validate_choice=False)
