"""The explorer blueprint: saved views, CSV export and bulk tagging around the feedback explorer.

The explorer page itself keeps its endpoint ``surveys.responses`` (``/responses``: other pages link to
it by that name); its view calls ``render_explorer`` from here.
"""

from flask import Blueprint

bp = Blueprint("explorer", __name__)

from app.explorer import routes  # noqa: E402,F401  (registers the views)
