"""Taxonomy corrections with a preview: what an edit or a merge would change, before it is saved."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access import roles_required
from app.analysis import bp
from app.analysis import queries as q
from app.analysis.forms import ActionForm, MergeForm, TopicForm
from app.analysis.pages import merge_form, topics_page
from app.analysis.services import TopicError, merge_topics, preview_edit, preview_merge
from app.extensions import db
from app.inputs import parse_id
from app.models import Role, Topic

EDITORS = (Role.PM, Role.ADMIN)


def _wants_fragment() -> bool:
    """The page's script asks for the preview panel alone; without it the whole page is rendered."""
    return request.headers.get("X-Requested-With") == "fetch"


def _form_input(topic: Topic | None):
    form = TopicForm()
    form.set_parents(q.parent_choices(exclude=topic))
    form.validate()  # errors are shown by the preview itself; the fields' values are what matters here
    return form


@bp.route("/topics/preview", methods=["POST"])
@roles_required(*EDITORS)
def topic_preview_new():
    """Which recent comments a new topic would match (nothing is saved)."""
    form = _form_input(None)
    preview = preview_edit(None, form.to_input())
    if _wants_fragment():
        return render_template("analysis/_preview.html", preview=preview, mode="edit")
    return topics_page(form, preview=preview)


@bp.route("/topics/<int:topic_id>/preview", methods=["POST"])
@roles_required(*EDITORS)
def topic_preview(topic_id: int):
    """Which recent comments would start and stop matching after this edit (nothing is saved)."""
    topic = db.get_or_404(Topic, topic_id)
    form = _form_input(topic)
    preview = preview_edit(topic.id, form.to_input())
    if _wants_fragment():
        return render_template("analysis/_preview.html", preview=preview, mode="edit")
    return render_template(
        "analysis/topic_edit.html",
        topic=topic,
        form=form,
        action_form=ActionForm(formdata=None),
        merge_form=merge_form(topic),
        examples=q.topic_examples(topic.id),
        preview=preview,
    )


@bp.route("/topics/<int:topic_id>/merge", methods=["GET", "POST"])
@roles_required(*EDITORS)
def topic_merge(topic_id: int):
    """Merge a topic into another: a GET previews what changes, a POST merges."""
    topic = db.get_or_404(Topic, topic_id)
    if request.method == "POST":
        form = MergeForm()
        form.into.choices = [(0, ""), *q.parent_choices(exclude=topic)]
        if form.validate_on_submit():
            try:
                result = merge_topics(topic.id, form.into.data or None, current_user.id)
            except TopicError as exc:
                db.session.rollback()
                form.into.errors = [*form.into.errors, str(exc)]
            else:
                flash(
                    f"Merged “{topic.name}”: {result.mentions} tags on {result.responses} responses moved."
                    " History is being re-tagged.",
                    "success",
                )
                return redirect(url_for("analysis.topics")), 303
        target = form.into.data
        status = 422
    else:
        target = parse_id(request.args.get("into"))
        form, status = merge_form(topic, target), 200
    preview = preview_merge(topic.id, target) if target else None
    return render_template("analysis/topic_merge.html", topic=topic, form=form, preview=preview), status
