"""The analysis blueprint."""

from flask import Blueprint

bp = Blueprint("analysis", __name__)
