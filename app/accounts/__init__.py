"""The accounts blueprint: customer accounts and contacts, their pages, CSV import and export."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from app.accounts import routes, routes_io  # noqa: E402,F401
