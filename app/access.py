"""Who may open which route. Every view is either ``public`` or ``roles_required``; anything else is refused.

The app-wide check in ``enforce`` fails closed, so a new route without a marker cannot leak; the
route-table test in tests/auth/test_access.py holds the expected matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user

from app.models.users import Role

F = TypeVar("F", bound=Callable[..., Any])

STAFF = (Role.VIEWER, Role.CS, Role.PM, Role.ADMIN)


def public(view: F) -> F:
    """Mark a view as open to anyone (respondent pages, sign-in, health checks)."""
    view._clearloop_public = True  # type: ignore[attr-defined]
    return view


def roles_required(*roles: Role | str) -> Callable[[F], F]:
    """Restrict a view to signed-in staff with one of ``roles`` (admins always pass)."""
    allowed = frozenset(Role(r) for r in roles) | {Role.ADMIN}

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403, "Your role does not give access to this page. Ask an admin if you need it.")
            return view(*args, **kwargs)

        wrapped._clearloop_roles = allowed  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def staff_required(view: F) -> F:
    """Any signed-in staff member, whatever the role."""
    return roles_required(*STAFF)(view)


def view_access(view: Callable[..., Any]) -> frozenset[Role] | str | None:
    """``"public"``, ``"api:<scope>"`` (an API token with that scope), the allowed roles, or None."""
    if getattr(view, "_clearloop_public", False):
        return "public"
    scope = getattr(view, "_clearloop_api_scope", None)
    if scope:
        return f"api:{scope}"
    return getattr(view, "_clearloop_roles", None)


def enforce() -> None:
    """before_request hook: refuse any endpoint that declares neither ``public`` nor roles."""
    if request.endpoint is None or request.endpoint == "static":
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and view_access(view) is None:
        current_app.logger.error("route %s has no access marker; refusing", request.endpoint)
        abort(403)
