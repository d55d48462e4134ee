"""Staff sign-in, sign-out, roles, and the ``flask users`` commands."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import routes  # noqa: E402,F401  (registers the views)
