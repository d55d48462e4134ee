"""The accounts blueprint: customer accounts and contacts, their pages, CSV import and export."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
