"""Account and contact pages: lists with search, filters, sort and paging; detail pages; edit forms.

Everyone on staff reads; CS managers and admins create and edit.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms import SelectChoice

from app.access import roles_required, staff_required
from app.accounts import bp, timeline
from app.accounts.arr import arr_history
from app.accounts.forms import LANGUAGE_NAMES, LIFECYCLE_LABELS, TIER_LABELS, AccountForm, ContactForm
from app.accounts.listing import HEALTH_BANDS
from app.accounts.queries import (
    CONTACT_STATUSES,
    AccountFilters,
    ContactFilters,
    QueryError,
    account_detail,
    account_filter_choices,
    contact_detail,
    csm_candidates,
    list_accounts,
    list_contacts,
    renewal_in_days,
)
from app.accounts.services import (
    RecordError,
    account_choices,
    account_ref,
    find_account_ref,
    mark_unsubscribed,
    save_account,
    save_contact,
)
from app.extensions import db
from app.health.queries import account_health
from app.inputs import parse_id
from app.models import Account, Contact, Role

LABELS = {"tiers": TIER_LABELS, "lifecycles": LIFECYCLE_LABELS, "languages": LANGUAGE_NAMES}


def _filters(cls: Any) -> Any:
    """Parse list filters, turning a disallowed value into a 400 with the reason."""
    try:
        return cls.from_args(request.args)
    except QueryError as exc:
        abort(400, str(exc))


def can_edit() -> bool:
    """Whether the signed-in user may change accounts and contacts."""
    return current_user.has_role(Role.CS)


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"accounts_can_edit": can_edit, "account_labels": LABELS}


@bp.route("/accounts")
@staff_required
def index() -> ResponseReturnValue:
    """The accounts list."""
    filters = _filters(AccountFilters)
    page = list_accounts(filters)
    return render_template(
        "accounts/index.html",
        page=page,
        f=filters,
        choices=account_filter_choices(),
        health_bands=HEALTH_BANDS,
    )


@bp.route("/accounts/<int:account_id>")
@staff_required
def account(account_id: int) -> ResponseReturnValue:
    """An account: its facts, contacts, recent responses and NPS over 12 months."""
    detail = account_detail(db.get_or_404(Account, account_id))
    health = account_health(account_id)
    followups, open_followups = timeline.account_followups(account_id)
    return render_template(
        "accounts/account.html",
        d=detail,
        renewal_in=renewal_in_days(detail.account),
        health=health,
        health_chart=timeline.health_chart(health.history) if health else None,
        answers=timeline.contact_answers(
            account_id, lambda rid: url_for("analysis.response", response_id=rid)
        ),
        topics=timeline.account_topics(account_id),
        followups=followups,
        open_followups=open_followups,
        arr_changes=arr_history(account_id),
    )


def _account_form(form: AccountForm, account: Account | None) -> tuple[Any, int] | Any:
    """Validate and save an account form; a response on success, else the form with a status."""
    owners = csm_candidates()
    if account is not None and account.csm_owner is not None and account.csm_owner not in owners:
        owners.append(account.csm_owner)  # keep a current owner who is no longer a CS manager
    form.csm_owner_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(u.id), u.name or u.email) for u in owners
    ]
    if request.method == "GET":
        form.fill_attributes(account.attributes if account else {})
    elif form.validate_on_submit():
        try:
            saved = save_account(account, form.values(), current_user.id)
        except RecordError as exc:
            getattr(form, exc.field, form.name).errors.append(exc.message)
        else:
            flash(f"Saved {saved.name}.", "success")
            return redirect(url_for("accounts.account", account_id=saved.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/account_form.html", form=form, account=account), status


@bp.route("/accounts/new", methods=["GET", "POST"])
@roles_required(Role.CS)
def new_account() -> ResponseReturnValue:
    """Create an account."""
    return _account_form(AccountForm(), None)


@bp.route("/accounts/<int:account_id>/edit", methods=["GET", "POST"])
@roles_required(Role.CS)
def edit_account(account_id: int) -> ResponseReturnValue:
    """Edit an account."""
    account = db.get_or_404(Account, account_id)
    if request.method != "GET":
        return _account_form(AccountForm(), account)
    data = {
        name: getattr(account, name)
        for name in (
            "name",
            "external_id",
            "domain",
            "arr",
            "plan",
            "renewal_date",
            "churned_on",
            "churn_reason",
        )
    }
    data |= {
        "tier": account.tier.value if account.tier else "",
        "lifecycle_stage": account.lifecycle_stage.value if account.lifecycle_stage else "",
        "csm_owner_id": str(account.csm_owner_id or ""),
    }
    return _account_form(AccountForm(data=data), account)


@bp.route("/contacts")
@staff_required
def contacts() -> ResponseReturnValue:
    """The contacts list."""
    filters = _filters(ContactFilters)
    page = list_contacts(filters)
    return render_template("accounts/contacts.html", page=page, f=filters, statuses=CONTACT_STATUSES)


@bp.route("/contacts/<int:contact_id>")
@staff_required
def contact(contact_id: int) -> ResponseReturnValue:
    """A contact: facts, consent state, invitations and responses."""
    detail = contact_detail(db.get_or_404(Contact, contact_id))
    return render_template("accounts/contact.html", d=detail)


def _contact_form(form: ContactForm, contact: Contact | None) -> Any:
    """Validate and save a contact form; a redirect on success, else the form with a status."""
    if request.method == "GET":
        form.fill_attributes(contact.attributes if contact else {})
    elif form.validate_on_submit():
        try:
            values = {
                "email": form.email.data,
                "name": (form.name.data or "").strip(),
                "title": (form.title.data or "").strip() or None,
                "role": (form.role.data or "").strip() or None,
                "locale": form.locale.data,
                "account_id": find_account_ref(form.account.data),
                "attributes": form.attribute_dict(),
            }
            saved = save_contact(contact, values, current_user.id)
        except RecordError as exc:
            target = "account" if exc.field == "account_id" else exc.field
            getattr(form, target, form.email).errors.append(exc.message)
        else:
            if form.unsubscribed.data:
                mark_unsubscribed(saved, current_user.id)
            flash(f"Saved {saved.email}.", "success")
            return redirect(url_for("accounts.contact", contact_id=saved.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "accounts/contact_form.html", form=form, contact=contact, accounts=account_choices()
    ), status


@bp.route("/contacts/new", methods=["GET", "POST"])
@roles_required(Role.CS)
def new_contact() -> ResponseReturnValue:
    """Create a contact (``?account=<id>`` preselects the account)."""
    form = ContactForm()
    if request.method == "GET":
        preset = parse_id(request.args.get("account"))
        account = db.session.get(Account, preset) if preset else None
        form.account.data = account_ref(account) if account else ""
    return _contact_form(form, None)


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@roles_required(Role.CS)
def edit_contact(contact_id: int) -> ResponseReturnValue:
    """Edit a contact."""
    contact = db.get_or_404(Contact, contact_id)
    if request.method != "GET":
        return _contact_form(ContactForm(), contact)
    data = {name: getattr(contact, name) for name in ("email", "name", "title", "role", "locale")}
    data["account"] = account_ref(contact.account) if contact.account else ""
    return _contact_form(ContactForm(data=data), contact)
