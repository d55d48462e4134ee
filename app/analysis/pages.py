"""Pages shared by the topic routes: the taxonomy page and the merge form (read only: GETs never write)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from app.analysis import queries as q
from app.analysis.forms import ActionForm, MergeForm, SuggestionForm, TopicForm
from app.analysis.queries import current_taxonomy, model_info, stored_suggestions
from app.models import Topic


def topics_page(form: TopicForm | None = None, status: int = 200, preview=None) -> ResponseReturnValue:
    """The taxonomy page, with a create form carrying errors or a preview of its matches, when given."""
    choices = q.parent_choices()
    form = form or TopicForm(formdata=None)
    form.set_parents(choices)
    suggestion_form = SuggestionForm(formdata=None)
    suggestion_form.parent_id.choices = [(0, "— Top level —"), *choices]
    runs = q.recent_runs(1)
    return render_template(
        "analysis/topics.html",
        rows=q.topic_tree(),
        retired=q.topic_tree(active=False),
        form=form,
        suggestion_form=suggestion_form,
        action_form=ActionForm(formdata=None),
        suggestions=stored_suggestions(),
        fingerprint=current_taxonomy().fingerprint(),
        model=model_info(),
        run=runs[0] if runs else None,
        days=q.RECENT_DAYS,
        preview=preview,
    ), status


def merge_form(topic: Topic, target: int | None = None) -> MergeForm:
    """The "merge into" select of a topic: every active topic except itself and its subtopics."""
    form = MergeForm(formdata=None, into=target or 0)
    form.into.choices = [(0, "— Choose a topic —"), *q.parent_choices(exclude=topic)]
    return form
