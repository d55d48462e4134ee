"""The outbox blueprint: staff read the emails the local outbox transport kept (embedded default only)."""

from flask import Blueprint

bp = Blueprint("outbox", __name__)

from app.outbox import routes  # noqa: E402,F401  (registers the views)
