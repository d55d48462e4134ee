"""The explorer blueprint: saved views, CSV export and bulk tagging around the feedback explorer.

The explorer page itself keeps its endpoint ``surveys.responses`` (``/responses``: other pages link to
it by that name); app/explorer/routes.py registers it on the surveys blueprint.
"""

from flask import Blueprint

bp = Blueprint("explorer", __name__)
