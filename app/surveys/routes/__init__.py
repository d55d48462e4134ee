"""The surveys staff pages: surveys (``surveys``), their sends (``sends``) and responses (``responses``)."""

from app.surveys import bp
from app.surveys.routes import responses, sends, surveys

__all__ = ["bp", "responses", "sends", "surveys"]
