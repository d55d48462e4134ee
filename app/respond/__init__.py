"""The respond blueprint: public respondent pages (invitation links, public links, embeds, unsubscribe)."""

from flask import Blueprint

bp = Blueprint("respond", __name__)

from app.respond import public_routes, routes  # noqa: E402,F401  (registers the views)
