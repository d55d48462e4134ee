"""The outbox blueprint: staff read the emails the local outbox transport kept (embedded default only)."""

from flask import Blueprint

bp = Blueprint("outbox", __name__)
