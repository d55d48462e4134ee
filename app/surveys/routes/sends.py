"""Staff pages of sends: the send form (audience, schedule), a send's progress and report, history."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from app.access import roles_required, staff_required
from app.extensions import db
from app.models import Account, Contact, DeliveryState, Invitation, Role, Send, Survey, User
from app.surveys import bp
from app.surveys.forms import SendForm
from app.surveys.queries import SKIP_REASONS, describe, state_counts
from app.surveys.services import (
    AudienceError,
    SendError,
    cancel_send,
    create_send,
    emails_from_csv,
    preview_audience,
)
from app.workspace_settings import get_setting, workspace_timezone

ACCOUNT_CHOICES_MAX = 2000
PAGE_SIZE = 50


def _choices(form: SendForm) -> None:
    plans = db.session.execute(
        sa.select(Account.plan).where(Account.plan.is_not(None)).distinct().order_by(Account.plan)
    ).scalars()
    form.plans.choices = [SelectChoice(p, p) for p in plans]
    accounts = db.session.execute(
        sa.select(Account.id, Account.name).order_by(Account.name).limit(ACCOUNT_CHOICES_MAX)
    ).all()
    form.accounts.choices = [SelectChoice(a.id, a.name) for a in accounts]


def _spec(form: SendForm) -> dict:
    kind = form.audience.data
    if kind == "emails":
        text = form.emails.data or ""
        if form.csv_file.data:
            text += "\n" + form.csv_file.data.read(5_000_000).decode("utf-8", "replace")
        return {"type": "emails", "emails": emails_from_csv(text)}
    values = {"tier": form.tiers.data, "plan": form.plans.data, "lifecycle": form.lifecycle.data}
    if kind in values:
        return {"type": kind, "values": values[kind]}
    if kind == "accounts":
        return {"type": "accounts", "ids": form.accounts.data}
    return {"type": kind}


def _schedule(form: SendForm) -> datetime | None:
    """The chosen time, read in the workspace's time zone."""
    if form.when.data != "later":
        return None
    if form.scheduled_at.data is None:
        raise SendError("Choose the date and time to send at.", "scheduled_at")
    return form.scheduled_at.data.replace(tzinfo=workspace_timezone()).astimezone(UTC)


@bp.route("/surveys/<int:survey_id>/send", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_send(survey_id: int) -> ResponseReturnValue:
    """Choose an audience and a time; 'Check audience' shows who would be reached and who skipped."""
    survey = db.get_or_404(Survey, survey_id)
    defaults = {
        "reminder_days": survey.reminder_delay_days or get_setting("reminder_delay_days"),
        "expiry_days": survey.expiry_days or get_setting("invitation_expiry_days"),
    }
    form = SendForm(data=defaults)
    _choices(form)
    check, status, company_error = None, 200, None
    if form.validate_on_submit():
        override = bool(form.ignore_quarantine.data)
        try:
            spec = _spec(form)
            if form.check.data:
                check = preview_audience(spec, override)
            else:
                send = create_send(
                    survey,
                    spec,
                    _schedule(form),
                    form.reminder_days.data if form.reminder.data else None,
                    form.expiry_days.data,
                    current_user.id,
                    ignore_quarantine=override,
                    require_recipients=True,
                )
                flash("Send scheduled." if send.status.value == "scheduled" else "Send started.", "success")
                return redirect(url_for("surveys.send_detail", send_id=send.id), 303)
        except AudienceError as exc:
            form.audience.errors = [*form.audience.errors, str(exc)]
            status = 422
        except SendError as exc:
            if exc.field == "company":
                company_error = str(exc)
            else:
                target = form.scheduled_at if exc.field == "scheduled_at" else form.audience
                target.errors = [*target.errors, str(exc)]
            status = 422
    elif request.method == "POST":
        status = 422
    return render_template(
        "surveys/send_form.html",
        survey=survey,
        form=form,
        check=check,
        reasons=SKIP_REASONS,
        company_error=company_error,
        zone=workspace_timezone().key,
    ), status


@bp.get("/sends")
@staff_required
def sends() -> ResponseReturnValue:
    """Every send, newest first, with its delivery states."""
    page = db.paginate(sa.select(Send).order_by(Send.created_at.desc()), per_page=PAGE_SIZE, error_out=False)
    return render_template(
        "surveys/sends.html", page=page, counts=state_counts([s.id for s in page.items]), describe=describe
    )


def _invitations(send_id: int, state: str | None) -> Pagination:
    query = (
        sa.select(Invitation)
        .options(selectinload(Invitation.contact).selectinload(Contact.account))
        .where(Invitation.send_id == send_id)
        .order_by(Invitation.id)
    )
    if state in {s.value for s in DeliveryState}:
        query = query.where(Invitation.state == DeliveryState(state))
    return db.paginate(query, per_page=PAGE_SIZE, error_out=False)


@bp.get("/sends/<int:send_id>")
@staff_required
def send_detail(send_id: int) -> ResponseReturnValue:
    """A send's progress, who was skipped and why, failures with their reasons, and each delivery."""
    send = db.get_or_404(Send, send_id)
    state = request.args.get("state")
    skipped = db.session.execute(
        sa.select(Invitation.skip_reason, sa.func.count())
        .where(Invitation.send_id == send.id, Invitation.state == DeliveryState.SKIPPED)
        .group_by(Invitation.skip_reason)
    ).all()
    return render_template(
        "surveys/send_detail.html",
        send=send,
        counts=state_counts([send.id])[send.id],
        skipped=skipped,
        reasons=SKIP_REASONS,
        page=_invitations(send.id, state),
        state=state if state in {s.value for s in DeliveryState} else None,
        describe=describe,
        creator_name=_creator_name(send),
    )


def _creator_name(send: Send) -> str | None:
    """Who made the send (shown next to an overridden quarantine)."""
    if send.created_by_id is None:
        return None
    user = db.session.get(User, send.created_by_id)
    return (user.name or user.email) if user else None


@bp.get("/sends/<int:send_id>/progress")
@staff_required
def send_progress(send_id: int) -> ResponseReturnValue:
    """Delivery counts as JSON, polled by the send page while the send runs."""
    send = db.get_or_404(Send, send_id)
    return jsonify(status=send.status.value, counts=state_counts([send.id])[send.id])


@bp.post("/sends/<int:send_id>/cancel")
@roles_required(Role.ADMIN)
def cancel(send_id: int) -> ResponseReturnValue:
    """Cancel a scheduled or running send; invitations not yet sent are skipped."""
    send = db.get_or_404(Send, send_id)
    try:
        cancel_send(send)
        flash("Send cancelled. Invitations not sent yet will not go out.", "success")
    except SendError as exc:
        flash(str(exc), "error")
    return redirect(url_for("surveys.send_detail", send_id=send.id), 303)
