"""Admin pages: a contact's data export and erasure, and the audit log."""

from __future__ import annotations

import json
from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.access import roles_required
from app.dataprotection import queries
from app.dataprotection import services as dataprotection
from app.models import Role
from app.workspace_settings import workspace_timezone

bp = Blueprint("dataprotection", __name__, url_prefix="/settings")


def local(value: datetime | None) -> str:
    """A time in the workspace's zone, the zone named."""
    if value is None:
        return "—"
    zone = workspace_timezone()
    return f"{value.astimezone(zone):%Y-%m-%d %H:%M:%S} {zone.key}"


@bp.route("/privacy")
@roles_required(Role.ADMIN)
def privacy() -> ResponseReturnValue:
    """Find a contact to export or erase."""
    q = (request.args.get("q") or "").strip()[:254]
    contact = queries.find_contact(q) if q else None
    count = queries.response_count(contact) if contact else 0
    status = 404 if q and contact is None else 200
    return render_template("dataprotection/privacy.html", q=q, contact=contact, count=count), status


@bp.route("/privacy/contacts/<int:contact_id>/export")
@roles_required(Role.ADMIN)
def export(contact_id: int) -> ResponseReturnValue:
    """Everything stored about a contact, as a JSON download (audited)."""
    try:
        data = dataprotection.export_contact(contact_id, current_user.id)
    except dataprotection.NotFound:
        abort(404)
    body = json.dumps(data, indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="contact-{contact_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/privacy/contacts/<int:contact_id>/erase", methods=["POST"])
@roles_required(Role.ADMIN)
def erase(contact_id: int) -> ResponseReturnValue:
    """Erase a contact after the admin typed its email to confirm."""
    contact = queries.find_contact(f"#{contact_id}")
    if contact is None:
        abort(404)
    if (request.form.get("confirm") or "").strip().lower() != contact.email:
        flash("Type the contact's email address exactly to confirm the erasure.", "error")
        return redirect(url_for("dataprotection.privacy", q=f"#{contact_id}")), 303
    done = dataprotection.erase_contact(contact_id, current_user.id)
    flash(
        f"Erased contact #{contact_id}: {done.responses} responses anonymised, "
        f"{done.scrubbed} copies scrubbed. The address stays suppressed (a hash): never mailed again.",
        "success",
    )
    return redirect(url_for("dataprotection.privacy")), 303


@bp.route("/audit")
@roles_required(Role.ADMIN)
def audit_log() -> ResponseReturnValue:
    """The audit log, filtered."""
    filters = queries.AuditFilters.from_args(request.args)
    rows = queries.events(filters, workspace_timezone())
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template(
        "dataprotection/audit.html",
        rows=rows,
        f=filters,
        actions=queries.actions(),
        actors=queries.actors(),
        local=local,
        page=queries.PAGE,
        args=args,
        zone=workspace_timezone().key,
    )
