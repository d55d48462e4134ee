"""CSV import (upload → preview → confirm) and CSV export of accounts and contacts. CS managers and admins."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.access import roles_required
from app.accounts import bp, services
from app.accounts.forms import ConfirmForm, ExportForm, ImportForm
from app.accounts.queries import AccountFilters, ContactFilters, QueryError, export_accounts, export_contacts
from app.accounts.services import (
    MAX_BYTES,
    MAX_ROWS,
    SPECS,
    ImportConflict,
    ImportFileError,
    apply_batch,
    discard_batch,
    plan_upload,
    store_batch,
)
from app.extensions import db
from app.models import ImportBatch, Role, utcnow

RETURN_TO = {"accounts": "accounts.index", "contacts": "accounts.contacts"}


def _upload(kind: str) -> ResponseReturnValue:
    """Show the upload form, or check an upload: a clean file is kept for preview, a bad one explained."""
    form = ImportForm()
    context: dict[str, Any] = {
        "kind": kind,
        "spec": SPECS[kind],
        "max_mb": MAX_BYTES // 1024 // 1024,
        "max_rows": MAX_ROWS,
    }
    if request.method == "GET" or not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("accounts/import.html", form=form, **context), status
    upload = form.file.data
    with upload.stream:  # a large upload is a temporary file: close it as soon as it is read
        data = upload.stream.read(MAX_BYTES + 1)
    try:
        plan, text = plan_upload(kind, upload.filename or "upload.csv", data)
    except ImportFileError as exc:
        form.file.errors.append(exc.message)
        return render_template("accounts/import.html", form=form, **context), exc.status
    if plan.error_count:
        db.session.rollback()
        return render_template(
            "accounts/import_preview.html", plan=plan, batch=None, kind=kind, form=ConfirmForm()
        ), 422
    batch = store_batch(plan, text, current_user.id)
    return redirect(url_for("accounts.import_preview", batch_id=batch.id), 303)


@bp.route("/accounts/import", methods=["GET", "POST"])
@roles_required(Role.CS)
def import_accounts() -> ResponseReturnValue:
    """Upload a CSV of accounts (upsert by external ID)."""
    return _upload("accounts")


@bp.route("/contacts/import", methods=["GET", "POST"])
@roles_required(Role.CS)
def import_contacts() -> ResponseReturnValue:
    """Upload a CSV of contacts (upsert by email)."""
    return _upload("contacts")


@bp.route("/imports/<int:batch_id>")
@roles_required(Role.CS)
def import_preview(batch_id: int) -> ResponseReturnValue:
    """What a pending import will do; confirm or discard it."""
    batch = db.get_or_404(ImportBatch, batch_id)
    return render_template(
        "accounts/import_preview.html",
        plan=None,
        batch=batch,
        kind=batch.kind,
        s=batch.summary,
        form=ConfirmForm(),
    )


@bp.route("/imports/<int:batch_id>/confirm", methods=["POST"])
@roles_required(Role.CS)
def import_confirm(batch_id: int) -> ResponseReturnValue:
    """Apply a pending import in one transaction."""
    batch = db.get_or_404(ImportBatch, batch_id)
    kind = batch.kind
    if not ConfirmForm().validate_on_submit():
        abort(400, "The form expired; open the preview again.")
    if batch.summary.get("rows", 0) > services.BACKGROUND_ROWS:
        return _confirm_in_background(batch)
    try:
        counts = apply_batch(batch_id, current_user.id, request.remote_addr)
    except ImportConflict as exc:
        flash(exc.message, "error")
        if exc.replanned:
            return redirect(url_for("accounts.import_preview", batch_id=batch_id), 303)
        return redirect(url_for(RETURN_TO[kind]), 303)
    flash(
        f"Imported {kind}: {counts['create']} created, {counts['update']} updated, "
        f"{counts['unchanged']} unchanged.",
        "success",
    )
    return redirect(url_for(RETURN_TO[kind]), 303)


def _confirm_in_background(batch: ImportBatch) -> ResponseReturnValue:
    """Big files are applied by a worker (still in one transaction); the preview page follows it."""
    batch_id, rows = batch.id, batch.summary.get("rows", 0)
    if not services.confirm_in_background(batch_id, current_user.id, request.remote_addr):
        flash("This import was already applied or discarded.", "error")
        return redirect(url_for(RETURN_TO[batch.kind]), 303)
    flash(f"Importing {rows:,} rows in the background. This page shows the result when it is done.", "info")
    return redirect(url_for("accounts.import_preview", batch_id=batch_id), 303)


@bp.route("/imports/<int:batch_id>/discard", methods=["POST"])
@roles_required(Role.CS)
def import_discard(batch_id: int) -> ResponseReturnValue:
    """Drop a pending import."""
    batch = db.get_or_404(ImportBatch, batch_id)
    kind = batch.kind
    if not ConfirmForm().validate_on_submit():
        abort(400, "The form expired; open the preview again.")
    if discard_batch(batch_id, current_user.id):
        flash("Import discarded; nothing was changed.", "info")
    else:
        flash("This import was no longer pending.", "error")
    return redirect(url_for(RETURN_TO[kind]), 303)


def _csv_response(kind: str, filters: Any, lines: Any) -> Response:
    shown = {k: str(v) for k, v in vars(filters).items() if v not in (None, "") and k != "page"}
    services.record_export(kind, shown, current_user.id)  # recorded before the first byte leaves
    name = f"clearloop-{kind}-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _export_filters(cls: Any) -> Any:
    """The list filters posted with the export button (CSRF-checked: an export is recorded, so not a GET)."""
    if not ExportForm().validate_on_submit():
        abort(400, "The export form expired; reload the list and export again.")
    try:
        return cls.from_args(request.form)
    except QueryError as exc:
        abort(400, str(exc))


@bp.route("/accounts/export.csv", methods=["POST"])
@roles_required(Role.CS)
def export_accounts_csv() -> ResponseReturnValue:
    """Download the accounts the list's filters select, as CSV."""
    filters = _export_filters(AccountFilters)
    return _csv_response("accounts", filters, export_accounts(filters))


@bp.route("/contacts/export.csv", methods=["POST"])
@roles_required(Role.CS)
def export_contacts_csv() -> ResponseReturnValue:
    """Download the contacts the list's filters select, as CSV."""
    filters = _export_filters(ContactFilters)
    return _csv_response("contacts", filters, export_contacts(filters))
