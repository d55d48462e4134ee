"""The respondent's pages: invitation links and unsubscribe (``invitations``); public links and embeds
(``public``)."""

from app.respond import bp
from app.respond.routes import invitations, public

__all__ = ["bp", "invitations", "public"]
