"""Respond read models other features show: the answer page as a respondent sees it (survey previews)."""

from __future__ import annotations

from app.respond.pages import answer_page

__all__ = ["answer_page"]
