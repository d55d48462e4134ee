"""The surveys blueprint: staff pages for surveys, sends and responses."""

from flask import Blueprint

bp = Blueprint("surveys", __name__)

from app.surveys import response_routes, routes, send_routes  # noqa: E402,F401  (registers the views)
