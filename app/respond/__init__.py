"""The respond blueprint: public respondent pages (invitation links, public links, embeds, unsubscribe)."""

from flask import Blueprint

bp = Blueprint("respond", __name__)
