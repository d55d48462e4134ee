"""The respond blueprint: public respondent pages (invitation links, public links, embeds, unsubscribe)."""

from flask import Blueprint

bp = Blueprint("respond", __name__)

# Registers the read filter that keeps scanner-suspect answers out of every count (imported with the app).
from app.respond import suspect  # noqa: E402

__all__ = ["bp", "suspect"]
