"""Topics (the taxonomy, suggestions, re-tag) and Tagging (queue state, failures, one response's tags)."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.access import roles_required, staff_required
from app.analysis import bp
from app.analysis import queries as q
from app.analysis.forms import ActionForm, MentionForm, RetryForm, SuggestionForm, TopicForm
from app.analysis.pages import merge_form, topics_page
from app.analysis.queries import current_taxonomy
from app.analysis.services import (
    AnalysisError,
    TopicError,
    accept_suggestion,
    add_manual_topic,
    create_topic,
    reject_mention,
    remove_manual_tag,
    request_suggestions,
    restore_topic,
    retire_topic,
    retry_failed,
    split_terms,
    start_retag,
    update_topic,
)
from app.extensions import db
from app.models import RetagRun, Role, Topic, score_band

EDITORS = (Role.PM, Role.ADMIN)


def _topics_page(form: TopicForm | None = None, status: int = 200) -> ResponseReturnValue:
    """Render the taxonomy page (with a create form carrying errors, when given). Never writes: a GET."""
    return topics_page(form, status)


@bp.route("/topics")
@staff_required
def topics() -> ResponseReturnValue:
    """The taxonomy tree with recent counts, suggested topics, and the editor's forms."""
    return _topics_page()


@bp.route("/topics", methods=["POST"])
@roles_required(*EDITORS)
def topic_create() -> ResponseReturnValue:
    """Add a topic."""
    form = TopicForm()
    form.set_parents(q.parent_choices())
    if not form.validate_on_submit():
        return _topics_page(form, 422)
    try:
        topic = create_topic(form.to_input(), current_user.id)
    except TopicError as exc:
        db.session.rollback()
        form.name.errors = [*form.name.errors, str(exc)]
        return _topics_page(form, 422)
    flash(f"Added “{topic.name}”. History is being re-tagged.", "success")
    return redirect(url_for("analysis.topics")), 303


@bp.route("/topics/<int:topic_id>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def topic_edit(topic_id: int) -> ResponseReturnValue:
    """Edit a topic's name, place in the tree, phrases and patterns."""
    topic = db.get_or_404(Topic, topic_id)
    form = TopicForm(obj=topic) if request.method == "GET" else TopicForm()
    if request.method == "GET":
        form.parent_id.data = topic.parent_id or 0
        form.phrases.data = "\n".join(topic.phrases or [])
        form.patterns.data = "\n".join(topic.patterns or [])
    form.set_parents(q.parent_choices(exclude=topic) if topic.is_active else [])
    status = 200
    if form.validate_on_submit():
        try:
            update_topic(topic.id, form.to_input(), current_user.id)
        except TopicError as exc:
            db.session.rollback()
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            flash(f"Saved “{form.name.data}”. History is being re-tagged.", "success")
            return redirect(url_for("analysis.topics")), 303
    if request.method == "POST":
        status = 422
    topic = db.session.get(Topic, topic_id)
    return render_template(
        "analysis/topic_edit.html",
        topic=topic,
        form=form,
        action_form=ActionForm(formdata=None),
        merge_form=merge_form(topic),
        examples=q.topic_examples(topic.id),
    ), status


def _action(func, *args, success: str) -> ResponseReturnValue:
    """Run a topic action from a POSTed button; errors come back as a readable message."""
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    try:
        func(*args, current_user.id)
    except AnalysisError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("analysis.topics")), 303
    flash(success, "success")
    return redirect(url_for("analysis.topics")), 303


@bp.route("/topics/<int:topic_id>/retire", methods=["POST"])
@roles_required(*EDITORS)
def topic_retire(topic_id: int) -> ResponseReturnValue:
    """Retire a topic and its subtopics."""
    topic = db.get_or_404(Topic, topic_id)
    return _action(retire_topic, topic.id, success=f"Retired “{topic.name}”. History is being re-tagged.")


@bp.route("/topics/<int:topic_id>/restore", methods=["POST"])
@roles_required(*EDITORS)
def topic_restore(topic_id: int) -> ResponseReturnValue:
    """Bring a retired topic back."""
    topic = db.get_or_404(Topic, topic_id)
    return _action(restore_topic, topic.id, success=f"Restored “{topic.name}”. History is being re-tagged.")


@bp.route("/topics/suggestions", methods=["POST"])
@roles_required(*EDITORS)
def suggestion_accept() -> ResponseReturnValue:
    """Create a topic from a suggestion."""
    form = SuggestionForm()
    form.parent_id.choices = [(0, ""), *q.parent_choices()]
    if not form.validate_on_submit():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        flash("That suggestion could not be accepted: " + "; ".join(errors), "error")
        return redirect(url_for("analysis.topics")), 303
    parent = form.parent_id.data or None
    try:
        phrases = split_terms("\n".join(request.form.getlist("phrase")))
        topic = accept_suggestion(form.label.data, phrases, parent, current_user.id)
    except AnalysisError as exc:
        flash(str(exc), "error")
        return redirect(url_for("analysis.topics")), 303
    flash(f"Added “{topic.name}” with {len(topic.phrases)} phrases. History is being re-tagged.", "success")
    return redirect(url_for("analysis.topics")), 303


@bp.route("/topics/suggestions/refresh", methods=["POST"])
@roles_required(*EDITORS)
def suggestions_refresh() -> ResponseReturnValue:
    """Recompute the suggested topics (a job; inline in the embedded default)."""
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    request_suggestions()
    flash("Suggestions are being recomputed from recent untagged comments.", "success")
    return redirect(url_for("analysis.topics") + "#suggestions"), 303


@bp.route("/topics/retag", methods=["POST"])
@roles_required(*EDITORS)
def retag_start() -> ResponseReturnValue:
    """Re-tag history with the current taxonomy and topic model."""
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    run = start_retag("requested by a person", current_user.id)
    flash(f"Re-tag #{run.id} started.", "success")
    return redirect(url_for("analysis.queue")), 303


@bp.route("/tagging")
@staff_required
def queue() -> ResponseReturnValue:
    """Tagging status: counts, failures and re-tag runs."""
    return render_template(
        "analysis/queue.html",
        counts=q.analysis_state_counts(),
        oldest=q.oldest_pending_seconds(),
        queued=q.nlp_queue_length(),
        failed=q.failed_responses(),
        runs=q.recent_runs(),
        retry_form=RetryForm(formdata=None),
        version=q.latest_analyzer_version(),
        fingerprint=current_taxonomy().fingerprint(),
    )


@bp.route("/tagging/retry", methods=["POST"])
@roles_required(Role.ADMIN)
def retry() -> ResponseReturnValue:
    """Send one failed response (or all) back to tagging."""
    form = RetryForm()
    if not form.validate_on_submit():
        abort(400, "Choose a response to retry.")
    ids = [form.response_id.data] if form.response_id.data is not None else None
    count = retry_failed(current_user.id, ids)
    flash(f"Retrying {count} response(s)." if count else "Nothing to retry.", "success")
    return redirect(url_for("analysis.queue")), 303


@bp.route("/tagging/runs/<int:run_id>.json")
@staff_required
def retag_status(run_id: int) -> ResponseReturnValue:
    """Progress of a re-tag run, for the page's polling script."""
    run = db.get_or_404(RetagRun, run_id)
    return jsonify(
        id=run.id,
        state=run.state.value,
        processed=q.run_processed(run),
        total=run.total,
        percent=q.run_percent(run),
        error=run.error,
    )


@bp.route("/responses/<int:response_id>")
@staff_required
def response(response_id: int) -> ResponseReturnValue:
    """One response: who answered (contact, account), the survey and score, the comment with its topic
    evidence highlighted, tags, intents, the follow-up with its history, and (PM/admin) tag corrections."""
    row = q.response_with_mentions(response_id)
    if row is None:
        abort(404)
    form = MentionForm(formdata=None)
    form.topic_id.choices = q.parent_choices()
    mentions = sorted(row.mentions, key=lambda m: (m.start is None, m.start or 0, m.topic.name))
    return render_template(
        "analysis/response.html",
        r=row,
        mentions=mentions,
        form=form,
        action_form=ActionForm(formdata=None),
        followups=q.response_followups(row.id),
        band=score_band(row.kind, row.score),
    )


@bp.route("/tagging/responses/<int:response_id>")
@staff_required
def response_legacy(response_id: int) -> ResponseReturnValue:
    """The response page's former address, kept working for old links and bookmarks."""
    if q.response_with_mentions(response_id) is None:
        abort(404)
    return redirect(url_for("analysis.response", response_id=response_id), 301)


def _tag_action(response_id: int, func, topic_id: int, success: str) -> ResponseReturnValue:
    try:
        func(response_id, topic_id, current_user.id)
    except AnalysisError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(success, "success")
    return redirect(url_for("analysis.response", response_id=response_id)), 303


@bp.route("/tagging/responses/<int:response_id>/topics", methods=["POST"])
@roles_required(*EDITORS)
def mention_add(response_id: int) -> ResponseReturnValue:
    """Tag a response with a topic by hand."""
    form = MentionForm()
    form.topic_id.choices = q.parent_choices()
    if not form.validate_on_submit():
        flash("Choose one of the active topics.", "error")
        return redirect(url_for("analysis.response", response_id=response_id)), 303
    return _tag_action(response_id, add_manual_topic, form.topic_id.data, "Tag added.")


@bp.route("/tagging/responses/<int:response_id>/topics/<int:topic_id>/reject", methods=["POST"])
@roles_required(*EDITORS)
def mention_reject(response_id: int, topic_id: int) -> ResponseReturnValue:
    """Reject an automatic tag; re-tagging will not bring it back."""
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    return _tag_action(response_id, reject_mention, topic_id, "Tag rejected.")


@bp.route("/tagging/responses/<int:response_id>/topics/<int:topic_id>/remove", methods=["POST"])
@roles_required(*EDITORS)
def mention_remove(response_id: int, topic_id: int) -> ResponseReturnValue:
    """Remove a manual tag or rejection."""
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    return _tag_action(response_id, remove_manual_tag, topic_id, "Manual tag removed.")


# The taxonomy corrections (preview, merge) register their views on the same blueprint.
from app.analysis import routes_taxonomy  # noqa: E402

__all__ = ["bp", "routes_taxonomy"]
