"""Sign-in, sign-out, password change, and the admin's user list."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from app.access import enforce, public, roles_required, staff_required
from app.auth import bp
from app.auth.forms import ROLE_LABELS, LoginForm, PasswordForm, RoleForm, UserForm
from app.auth.services import (
    UserError,
    authenticate,
    change_password,
    create_user,
    end_all_sessions,
    set_role,
    sign_out,
    unlock_user,
)
from app.extensions import db, limiter
from app.inputs import FORBIDDEN_ARG
from app.models import LoginThrottle, Role, User

bp.before_app_request(enforce)


@bp.before_app_request
def _session_timeouts() -> ResponseReturnValue:
    """End a staff session after SESSION_IDLE_MINUTES without a request, and in any case
    PERMANENT_SESSION_LIFETIME after sign-in (the absolute limit: activity does not extend it)."""
    if not current_user.is_authenticated:
        return None
    now = int(time.time())
    idle = current_app.config.get("SESSION_IDLE_MINUTES", 60) * 60
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    seen = session.get("seen", now)
    signed_in = session.get("signed_in")
    expired = not isinstance(signed_in, int) or now - signed_in > lifetime
    if expired or now - seen > idle:
        logout_user()
        session.clear()
        if expired:
            flash("Your session reached its time limit; please sign in again.", "info")
        else:
            flash("You were signed out after a period of inactivity.", "info")
        return redirect(url_for("auth.login", next=request.path))
    session["seen"] = now
    return None


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes to the dashboard.

    Browsers drop tab, CR and LF inside URLs (``/\t/evil.example`` becomes ``//evil.example``), so a
    target holding any control character or backslash is refused before it is parsed, and the parsed
    result must have neither scheme nor host.
    """
    if not target or FORBIDDEN_ARG.search(target) or "\\" in target:
        return url_for("main.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
@public
def login() -> ResponseReturnValue:
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = authenticate(form.email.data, form.password.data, request.remote_addr)
        if result.user is not None:
            session.clear()  # a fresh session at sign-in (no fixation)
            login_user(result.user)
            session.permanent = True
            session["seen"] = session["signed_in"] = int(time.time())
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(result.error)
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@staff_required
def logout() -> ResponseReturnValue:
    """Sign out: the session ends server-side too (a copied cookie stops working)."""
    sign_out(current_user)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@staff_required
def password() -> ResponseReturnValue:
    """Change your own password; other sessions end."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current.data, form.new.data)
        except UserError as exc:
            form.new.errors.append(str(exc))
        else:
            login_user(current_user)  # keep this session, with the new version
            flash("Password changed. Other sessions were signed out.", "success")
            return redirect(url_for("main.index"))
    return render_template(
        "auth/password.html", form=form
    ), 200 if request.method == "GET" or not form.errors else 422


@bp.route("/admin/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users() -> ResponseReturnValue:
    """List staff users and create new ones."""
    form = UserForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.password.data, form.role.data, form.name.data or "")
        except UserError as exc:
            form.password.errors.append(str(exc))
            status = 422
        else:
            flash(f"Created {user.email} ({user.role.value}).", "success")
            return redirect(url_for("auth.users"))
    elif request.method == "POST":
        status = 422
    rows = db.session.execute(sa.select(User).order_by(User.email)).scalars().all()
    labels = {role.value: label for role, label in ROLE_LABELS.items()}
    locked = set(
        db.session.execute(sa.select(LoginThrottle.user_id).where(LoginThrottle.failures > 0)).scalars()
    )
    return render_template(
        "auth/users.html", users=rows, form=form, role_labels=labels, locked_ids=locked
    ), status


@bp.route("/admin/users/<int:user_id>/role", methods=["POST"])
@roles_required(Role.ADMIN)
def user_role(user_id: int) -> ResponseReturnValue:
    """Change a user's role."""
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose a valid role.", "error")
        return redirect(url_for("auth.users")), 303
    if user.id == current_user.id and form.role.data != Role.ADMIN:
        flash("You cannot remove your own admin role; ask another admin.", "error")
        return redirect(url_for("auth.users")), 303
    set_role(current_user, user, form.role.data)
    flash(f"{user.email} is now {user.role.value}.", "success")
    return redirect(url_for("auth.users")), 303


@bp.route("/admin/users/<int:user_id>/sessions", methods=["POST"])
@roles_required(Role.ADMIN)
def user_sessions(user_id: int) -> ResponseReturnValue:
    """Sign a user out everywhere."""
    user = db.get_or_404(User, user_id)
    end_all_sessions(user)
    flash(f"Signed {user.email} out of every session.", "success")
    if user.id == current_user.id:
        return redirect(url_for("auth.login")), 303
    return redirect(url_for("auth.users")), 303


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@roles_required(Role.ADMIN)
def user_unlock(user_id: int) -> ResponseReturnValue:
    """Lift a user's sign-in locks (after failed passwords, from every address)."""
    user = db.get_or_404(User, user_id)
    unlock_user(current_user, user)
    flash(f"{user.email} can sign in again.", "success")
    return redirect(url_for("auth.users")), 303
