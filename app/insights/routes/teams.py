"""Product teams: the list, one team (its digests and alerts), editing, digest preview and "send now"."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import roles_required, staff_required
from app.extensions import db
from app.insights import bp
from app.insights import queries as q
from app.insights import team_queries as tq
from app.insights.forms import WEEKDAYS, ActionForm, TeamForm
from app.insights.services import (
    DigestError,
    TeamError,
    TeamInput,
    create_team,
    preview_digest,
    remove_team,
    send_digest_now,
    update_team,
)
from app.mail.queries import sandboxed_html
from app.models import Role, Team
from app.workspace_settings import workspace_timezone

EDITORS = (Role.PM, Role.ADMIN)


@bp.get("/teams")
@staff_required
def teams():
    """Product teams, what they follow, when their digest goes out and how the last one went."""
    return render_template(
        "insights/teams.html",
        rows=tq.team_rows(),
        weekdays=WEEKDAYS,
        can_edit=current_user.has_role(*EDITORS),
    )


@bp.get("/teams/<int:team_id>")
@staff_required
def team(team_id: int):
    """One team: members, topics, schedule, its digests and alerts."""
    row = db.get_or_404(Team, team_id)
    return render_template(
        "insights/team.html",
        team=row,
        schedule=tq.schedule_of(row),
        digests=tq.digests_of(row.id),
        alerts=tq.alerts_of(row.id),
        weekdays=WEEKDAYS,
        action_form=ActionForm(formdata=None),
        can_edit=current_user.has_role(*EDITORS),
    )


def _form(obj: Team | None = None) -> TeamForm:
    form = TeamForm(obj=obj) if request.method == "GET" and obj else TeamForm()
    tree = q.topic_tree()
    form.set_choices(tq.user_choices(), [(n.id, n.name) for n in tree], workspace_timezone().key)
    if request.method == "GET" and obj is not None:
        form.members.data = [u.id for u in obj.members]
        form.topics.data = [t.id for t in obj.topics]
    return form


def _form_page(form: TeamForm, row: Team | None):
    depths = {n.id: n.depth for n in q.topic_tree()}
    page = render_template("insights/team_form.html", form=form, team=row, depths=depths)
    return page, 422 if form.errors else 200


def _input(form: TeamForm) -> TeamInput:
    return TeamInput(
        name=form.name.data or "",
        description=form.description.data,
        member_ids=tuple(form.members.data or ()),
        all_topics=bool(form.all_topics.data),
        topic_ids=tuple(form.topics.data or ()),
        timezone=form.timezone.data or "",
        digest_weekday=form.digest_weekday.data if form.digest_weekday.data is not None else -1,
        digest_hour=form.digest_hour.data if form.digest_hour.data is not None else -1,
        digest_enabled=bool(form.digest_enabled.data),
        alerts_enabled=bool(form.alerts_enabled.data),
    )


def _save(form: TeamForm, team_id: int | None):
    """Validate and save; returns a redirect, or None with the errors put next to their fields."""
    if not form.validate_on_submit():
        return None
    try:
        saved = (
            create_team(_input(form), current_user.id)
            if team_id is None
            else update_team(team_id, _input(form), current_user.id)
        )
    except TeamError as exc:
        db.session.rollback()
        field = getattr(form, exc.field, form.name)
        field.errors = [*field.errors, str(exc)]
        return None
    flash(_("Saved the team “%(name)s”.", name=saved.name), "success")
    return redirect(url_for("insights.team", team_id=saved.id)), 303


@bp.route("/teams/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def team_new():
    """Create a product team."""
    form = _form()
    if request.method == "POST" and (done := _save(form, None)):
        return done
    return _form_page(form, None)


@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def team_edit(team_id: int):
    """Change a team's name, members, topics and schedule."""
    row = db.get_or_404(Team, team_id)
    form = _form(row)
    if request.method == "POST" and (done := _save(form, row.id)):
        return done
    return _form_page(form, row)


@bp.post("/teams/<int:team_id>/delete")
@roles_required(*EDITORS)
def team_delete(team_id: int):
    """Delete a team with its digests and alerts."""
    db.get_or_404(Team, team_id)
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    name = remove_team(team_id, current_user.id)
    flash(_("Deleted the team “%(name)s”.", name=name), "success")
    return redirect(url_for("insights.teams")), 303


@bp.get("/teams/<int:team_id>/digest/preview")
@roles_required(Role.ADMIN)
def digest_preview(team_id: int):
    """The digest the team would get for its last complete week, built now and not stored or sent."""
    row = db.get_or_404(Team, team_id)
    period, content, rendered = preview_digest(row.id)
    return render_template(
        "insights/digest_preview.html",
        team=row,
        period=period,
        c=content,
        rendered=rendered,
        size=len(rendered.html.encode()) + len(rendered.text.encode()),
        action_form=ActionForm(formdata=None),
    )


@bp.get("/teams/<int:team_id>/digest/preview.html")
@roles_required(Role.ADMIN)
def digest_preview_html(team_id: int):
    """The preview's HTML part, for the sandboxed iframe."""
    row = db.get_or_404(Team, team_id)
    return sandboxed_html(preview_digest(row.id)[2].html)


@bp.post("/teams/<int:team_id>/digest/send")
@roles_required(Role.ADMIN)
def digest_send(team_id: int):
    """Build and send the digest of the last complete week now (once per team and week)."""
    db.get_or_404(Team, team_id)
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    try:
        digest = send_digest_now(team_id, current_user.id)
    except (DigestError, TeamError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("insights.team", team_id=team_id)), 303
    flash(_("The digest of this week is being built and sent."), "success")
    return redirect(url_for("insights.digest", digest_id=digest.id)), 303
