"""Staff sign-in, sign-out, roles, and the ``flask users`` commands."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
