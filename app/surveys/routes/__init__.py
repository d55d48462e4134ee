"""The surveys staff pages: surveys (``surveys``) and their sends (``sends``).

``/responses`` keeps its endpoint ``surveys.responses`` (pages link to it by that name) but is the
feedback explorer: app/explorer/routes.py registers it on this blueprint.
"""

from app.surveys import bp
from app.surveys.routes import sends, surveys

__all__ = ["bp", "sends", "surveys"]
