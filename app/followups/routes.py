"""Follow-up pages: the list (overdue first), one follow-up and its actions, the metrics, and (admins) the
rules with their 30-day preview and the SLA settings. Routes are thin: services do the work."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access import roles_required, staff_required
from app.extensions import db
from app.followups import admin, listing, services, stats, workflow
from app.followups.emails import local_time, who
from app.followups.forms import ActionForm, RuleForm, SettingsForm
from app.followups.rules import BANDS, Conditions, RuleError
from app.models import FollowUp, FollowUpRule, Role, Survey
from app.workspace_settings import all_settings, workspace_timezone

bp = Blueprint("followups", __name__, url_prefix="/followups")
WORKERS = (Role.CS, Role.ADMIN)


def _helpers() -> dict:
    return {"local_time": local_time, "who": who, "zone": workspace_timezone().key}


@bp.get("")
@staff_required
def index():
    """Follow-ups, most urgent first, filtered by state and owner."""
    filters = listing.parse_filters(request.args)
    page = db.paginate(
        listing.list_query(filters, current_user.id), per_page=listing.PAGE_SIZE, error_out=False
    )
    return render_template(
        "followups/index.html",
        page=page,
        filters=filters,
        states=listing.STATES,
        counts=listing.counts(current_user.id),
        owners=admin.owner_choices(),
        now=services.utcnow(),
        **_helpers(),
    )


@bp.get("/<int:followup_id>")
@staff_required
def detail(followup_id: int):
    """One follow-up: the customer's answers, the timeline, the emails, and what CS can do next."""
    followup = db.get_or_404(FollowUp, followup_id)
    return render_template(
        "followups/detail.html",
        f=followup,
        responses=listing.linked_responses(followup.id),
        messages=listing.messages(followup.id),
        form=ActionForm(formdata=None),
        can_act=current_user.has_role(*WORKERS),
        owners=admin.owner_choices(),
        topics=listing.topic_choices(),
        codes=workflow.RESOLUTION_CODES,
        channels=workflow.CONTACT_CHANNELS,
        loops=workflow.LOOPS,
        reply_to=workflow.reply_address(followup),
        overdue=services.is_overdue(followup.state, followup.due_at),
        **_helpers(),
    )


@bp.post("/<int:followup_id>/<action>")
@roles_required(*WORKERS)
def act(followup_id: int, action: str):
    """Contact, resolve, reopen, assign, note or reply; a refused change says why (409 / 422)."""
    if action not in services.ACTIONS:
        abort(404)
    followup = db.get_or_404(FollowUp, followup_id)
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    fields = {k: request.form.get(k) for k in services.ACTION_FIELDS}
    try:
        services.run_action(action, followup.id, current_user, fields)
    except services.FollowUpError as exc:
        flash(str(exc), "error")
        return detail(followup_id), 422
    flash(services.DONE_MESSAGES[action], "success")
    return redirect(url_for("followups.detail", followup_id=followup_id))


@bp.get("/metrics")
@staff_required
def metrics():
    """Time to first contact and to resolution, share within SLA, reopen rate, by owner and team."""
    days = request.args.get("days", "90")
    days_n = int(days) if days.isdigit() and int(days) in stats.PERIODS else 90
    return render_template(
        "followups/metrics.html", r=stats.report(days_n), periods=stats.PERIODS, **_helpers()
    )


@bp.get("/rules")
@roles_required(Role.ADMIN)
def rules():
    """The rules, in the order they run, with what each matched over the last 30 days."""
    rows = admin.rules()
    previews = {}
    for rule in rows:
        try:
            previews[rule.id] = services.preview(Conditions.parse(rule.conditions or {}))
        except RuleError:
            previews[rule.id] = None
    return render_template(
        "followups/rules.html", rules=rows, previews=previews, form=ActionForm(formdata=None), bands=BANDS
    )


def _rule_form(rule: FollowUpRule | None) -> RuleForm:
    form = RuleForm(formdata=None, obj=rule) if request.method == "GET" else RuleForm()
    form.topic_ids.choices = listing.topic_choices()
    surveys = db.session.execute(sa.select(Survey.id, Survey.name).order_by(Survey.name)).all()
    form.survey_ids.choices = [(s.id, s.name) for s in surveys]
    if request.method == "GET" and rule is not None:
        for key in ("bands", "topic_ids", "intents", "tiers", "survey_ids"):
            getattr(form, key).data = (rule.conditions or {}).get(key) or []
        form.sentiment.data = (rule.conditions or {}).get("sentiment") or ""
        form.topic_negative.data = bool((rule.conditions or {}).get("topic_negative"))
        form.min_arr.data = (rule.conditions or {}).get("min_arr")
    return form


def _rule_page(rule_id: int | None):
    rule = db.get_or_404(FollowUpRule, rule_id) if rule_id else None
    form = _rule_form(rule)
    preview, error = None, None
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("followups/rule_form.html", form=form, rule=rule, preview=None), 422
        try:
            if request.form.get("do") == "preview":
                preview = services.preview(Conditions.parse(form.conditions()))
            else:
                saved = admin.save_rule(
                    rule_id,
                    admin.RuleInput(
                        form.name.data or "",
                        bool(form.enabled.data),
                        form.position.data or 0,
                        form.conditions(),
                    ),
                    current_user.id,
                )
                flash(f"Saved the rule “{saved.name}”.", "success")
                return redirect(url_for("followups.rules"))
        except RuleError as exc:
            db.session.rollback()
            error = str(exc)
    page = render_template("followups/rule_form.html", form=form, rule=rule, preview=preview, error=error)
    return page, 422 if error else 200


@bp.route("/rules/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def rule_new():
    """A new rule; "Preview" counts what it would have opened over the last 30 days without saving."""
    return _rule_page(None)


@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def rule_edit(rule_id: int):
    """Edit a rule, with the same preview."""
    return _rule_page(rule_id)


@bp.post("/rules/<int:rule_id>/delete")
@roles_required(Role.ADMIN)
def rule_delete(rule_id: int):
    """Delete a rule (its follow-ups stay)."""
    db.get_or_404(FollowUpRule, rule_id)
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    name = admin.delete_rule(rule_id, current_user.id)
    flash(f"Deleted the rule “{name}”.", "success")
    return redirect(url_for("followups.rules"))


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def settings():
    """The SLA in business days, the holiday calendar, the default owner and the escalation delay."""
    current = all_settings()
    form = SettingsForm() if request.method == "POST" else SettingsForm(formdata=None)
    form.set_choices(admin.owner_choices())
    if request.method == "GET":
        form.sla_days.data = current["followup_sla_business_days"]
        form.holiday_country.data = current["followup_holiday_country"] or ""
        form.day_start_hour.data = current["followup_day_start_hour"]
        form.default_owner.data = current["followup_default_owner_id"] or 0
        form.admin_days.data = current["followup_admin_escalation_days"]
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            admin.save_settings(
                {
                    "sla_days": form.sla_days.data,
                    "holiday_country": form.holiday_country.data,
                    "day_start_hour": form.day_start_hour.data,
                    "default_owner": form.default_owner.data,
                    "admin_days": form.admin_days.data,
                },
                current_user.id,
            )
            flash("Saved the follow-up settings. New and reopened follow-ups use them.", "success")
            return redirect(url_for("followups.settings"))
        except RuleError as exc:
            db.session.rollback()
            error = str(exc)
    bad = request.method == "POST"
    page = render_template("followups/settings.html", form=form, error=error, zone=workspace_timezone().key)
    return page, 422 if bad else 200
