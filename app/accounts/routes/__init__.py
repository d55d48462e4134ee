"""The accounts pages: lists, account and contact pages and edits (``lists``); CSV import and export
(``io``)."""

from app.accounts import bp
from app.accounts.routes import io, lists, portfolio

__all__ = ["bp", "io", "lists", "portfolio"]
