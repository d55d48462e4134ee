"""The feedback explorer at ``/responses``, saved views, export and bulk tagging.

The page is registered on the surveys blueprint, as ``surveys.responses``: every page that links to the
response list does so by that name, and keeps working.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from app.access import roles_required, staff_required
from app.explorer import bp
from app.explorer import queries as q
from app.explorer.choices import active_filters, filter_choices, topic_choices
from app.explorer.export import export_rows
from app.explorer.filters import SORTS, ExplorerFilters
from app.explorer.forms import PostForm, SaveViewForm, TagForm
from app.explorer.services import (
    ExplorerError,
    delete_view,
    record_export,
    save_view,
    saved_views,
    tag_selection,
)
from app.extensions import db
from app.inputs import parse_ids
from app.models import Role, utcnow
from app.surveys import bp as surveys_bp
from app.workspace_settings import workspace_timezone

EDITORS = (Role.PM, Role.ADMIN)


def _explorer_url(filters: ExplorerFilters) -> str:
    return url_for("surveys.responses", **filters.to_args())


def render_explorer(args: Any = None, save_form: SaveViewForm | None = None, status: int = 200):
    """The explorer for these query arguments (the request's by default). Reads only."""
    filters = q.resolve(ExplorerFilters.from_args(request.args if args is None else args))
    page = q.explorer_page(filters)
    tag_form = TagForm(formdata=None)
    tag_form.topic_id.choices = [(t.id, t.label) for t in topic_choices(active_only=True)]
    choices = filter_choices(filters)
    return render_template(
        "explorer/index.html",
        f=filters,
        page=page,
        choices=choices,
        active=active_filters(filters, choices),
        sorts=SORTS,
        views=saved_views(current_user.id),
        save_form=save_form or SaveViewForm(formdata=None),
        tag_form=tag_form,
        post_form=PostForm(formdata=None),
        can_tag=current_user.has_role(*EDITORS),
        tz=workspace_timezone(),
        now=utcnow(),
        url_for_filters=_explorer_url,
        narrow=lambda **values: _explorer_url(replace(filters.first_page(), **values)),
    ), status


@surveys_bp.get("/responses")
@staff_required
def responses():
    """The feedback explorer: every response, filtered, searched, sorted and paged by its URL."""
    return render_explorer()


def _posted_filters() -> ExplorerFilters:
    """The filters posted as hidden fields with a form (same names as the query arguments)."""
    return ExplorerFilters.from_args(request.form).first_page()


@bp.route("/responses/export.csv", methods=["POST"])
@staff_required
def export():
    """Download every response the filters select, as CSV (PII redacted unless you are an admin)."""
    if not PostForm().validate_on_submit():
        abort(400, "The export form expired; reload the explorer and export again.")
    filters = q.resolve(_posted_filters())
    admin = current_user.role == Role.ADMIN
    record_export(current_user.id, filters, redacted=not admin)
    name = f"clearloop-responses-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(
        stream_with_context(export_rows(filters, admin)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/responses/views", methods=["POST"])
@staff_required
def view_save():
    """Save the current filters as a named view of one's own."""
    form = SaveViewForm()
    filters = _posted_filters()
    if form.validate_on_submit():
        try:
            view = save_view(current_user.id, form.name.data, filters)
        except ExplorerError as exc:
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            flash(f"Saved the view “{view.name}”.", "success")
            return redirect(_explorer_url(filters)), 303
    return render_explorer(request.form, form, 422)


@bp.route("/responses/views/<int:view_id>/delete", methods=["POST"])
@staff_required
def view_delete(view_id: int):
    """Delete one of one's own saved views."""
    if not PostForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    try:
        delete_view(current_user.id, view_id)
    except ExplorerError as exc:
        abort(404, str(exc))
    flash("Saved view deleted.", "success")
    return redirect(_explorer_url(_posted_filters())), 303


@bp.route("/responses/tag", methods=["POST"])
@roles_required(*EDITORS)
def tag():
    """Tag the responses selected in the explorer with a topic, by hand (survives re-tagging)."""
    form = TagForm()
    back = _explorer_url(_posted_filters())
    if not form.validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    ids = parse_ids(request.form.getlist("response_id"))
    try:
        added = tag_selection(ids, form.topic_id.data, current_user.id)
    except ExplorerError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back), 303
    flash(f"Tagged {added} of {len(set(ids))} selected responses by hand.", "success")
    return redirect(back), 303
