"""Health pages: the model's settings (admin), the backtest (admin), overrides and churn of an account
(CS managers and admins), and the list of overrides in force (all staff)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.access import roles_required, staff_required
from app.extensions import db
from app.health import bp, model, versions
from app.health import overrides as ov
from app.health.forms import BacktestForm, ChurnForm, HealthModelForm, OverrideForm
from app.models import Account, Role


def _can_edit() -> bool:
    return current_user.is_authenticated and current_user.has_role(Role.CS)


def health_panel(account: Account) -> dict[str, Any]:
    """What the account page's override and churn partial needs (forms only for those who may use them)."""
    today = ov.local_today()
    panel: dict[str, Any] = {"override": ov.active_override(account.id, today), "can_edit": _can_edit()}
    if panel["can_edit"]:
        panel["override_form"] = OverrideForm(today=today)
        churn = ChurnForm(today=today)
        churn.churned_on.data = account.churned_on or today
        churn.churn_reason.data = account.churn_reason
        panel["churn_form"] = churn
    return panel


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"health_panel": health_panel, "health_overrides_for": ov.active_overrides}


@bp.route("/health/model", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def model_settings() -> ResponseReturnValue:
    """Edit the health model: saving makes a new version; shows the history and a band-change preview."""
    form = HealthModelForm()
    current = versions.active_spec()
    problems: list[str] = []
    preview = None
    if request.method == "GET":
        form.fill(current)
    else:
        valid = form.validate_on_submit()
        spec, problems = form.spec()
        if not valid or spec is None:
            pass
        elif request.form.get("action") == "preview":
            preview = versions.preview(spec)
        else:
            row, moved = versions.save_version(spec, current_user.id)
            db.session.commit()
            flash(
                f"Version {row.version} saved; from the next recompute, "
                + _moved_words(moved.changed, moved.scored)
                + ".",
                "success",
            )
            return redirect(url_for("health.model_settings"), 303)
    status = 422 if request.method == "POST" and (problems or form.errors) else 200
    return (
        render_template(
            "health/model.html",
            form=form,
            problems=problems,
            preview=preview,
            current=current,
            history=versions.history(),
            components=model.COMPONENTS,
            stages=model.PROFILE_STAGES,
            builtin=model.VERSION,
        ),
        status,
    )


def _moved_words(changed: int, scored: int) -> str:
    accounts = "account" if changed == 1 else "accounts"
    return f"{changed} {accounts} of {scored} would change band"


@bp.app_template_filter("moved_words")
def _moved_words_filter(preview: versions.Preview) -> str:
    return _moved_words(preview.changed, preview.scored)


@bp.route("/health/backtest")
@roles_required(Role.ADMIN)
def backtest_page() -> ResponseReturnValue:
    """Run the backtest of a model version against churn (on request: it reads a year of data)."""
    from app.health.services import backtest

    form = BacktestForm(request.args)
    version = request.args.get("version", "").strip()
    spec = versions.spec_of_version(version) if version else versions.active_spec()
    result = None
    status = 200
    if spec is None:
        flash(f"There is no model version “{version[:20]}”.", "error")
        status = 404
    elif "run" in request.args:
        if form.validate():
            result = backtest(months=form.months.data or 12, horizon_days=form.horizon.data or 90, spec=spec)
        else:
            status = 400
    choices = [model.VERSION, *[str(v.version) for v in versions.history()][::-1]]
    return (
        render_template(
            "health/backtest.html",
            form=form,
            result=result,
            version=spec.version if spec else version,
            choices=choices,
        ),
        status,
    )


def _account(account_id: int) -> Account:
    return db.get_or_404(Account, account_id)


@bp.route("/health/accounts/<int:account_id>/override", methods=["POST"])
@roles_required(Role.CS)
def set_override(account_id: int) -> ResponseReturnValue:
    """Override an account's band with a reason and an expiry (at most 90 days)."""
    account = _account(account_id)
    form = OverrideForm(today=ov.local_today())
    if not form.validate_on_submit():
        return render_template("health/override_form.html", account=account, form=form), 422
    ov.set_override(account, form.band.data, form.override_reason.data, form.expires_on.data, current_user.id)
    db.session.commit()
    flash(f"Health of {account.name} overridden until {form.expires_on.data.isoformat()}.", "success")
    return redirect(url_for("accounts.account", account_id=account.id), 303)


@bp.route("/health/accounts/<int:account_id>/override/remove", methods=["POST"])
@roles_required(Role.CS)
def remove_override(account_id: int) -> ResponseReturnValue:
    """End an account's override early."""
    account = _account(account_id)
    if ov.remove_override(account, current_user.id) is None:
        abort(409, "This account has no health override in force.")
    db.session.commit()
    flash(f"Override of {account.name}'s health removed.", "success")
    return redirect(url_for("accounts.account", account_id=account.id), 303)


@bp.route("/health/accounts/<int:account_id>/churn", methods=["POST"])
@roles_required(Role.CS)
def record_churn(account_id: int) -> ResponseReturnValue:
    """Record the date and reason an account churned."""
    account = _account(account_id)
    form = ChurnForm(today=ov.local_today())
    if not form.validate_on_submit():
        return render_template("health/churn_form.html", account=account, form=form), 422
    ov.record_churn(account, form.churned_on.data, form.churn_reason.data, current_user.id)
    db.session.commit()
    flash(f"Churn of {account.name} recorded.", "success")
    return redirect(url_for("accounts.account", account_id=account.id), 303)


@bp.route("/health/accounts/<int:account_id>/churn/clear", methods=["POST"])
@roles_required(Role.CS)
def clear_churn(account_id: int) -> ResponseReturnValue:
    """Undo a churn recorded by mistake."""
    account = _account(account_id)
    if not ov.clear_churn(account, current_user.id):
        abort(409, "This account has no churn recorded.")
    db.session.commit()
    flash(f"Churn of {account.name} cleared.", "success")
    return redirect(url_for("accounts.account", account_id=account.id), 303)


@bp.route("/health/overrides")
@staff_required
def overrides() -> ResponseReturnValue:
    """Every override in force: account, band, reason, author and expiry."""
    active = ov.active_overrides()
    accounts = (
        {
            a.id: a
            for a in db.session.execute(sa.select(Account).where(Account.id.in_(list(active)))).scalars()
        }
        if active
        else {}
    )
    rows = sorted(active.values(), key=lambda o: o.expires_on)
    return render_template("health/overrides.html", rows=rows, accounts=accounts)
