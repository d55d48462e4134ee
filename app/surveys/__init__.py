"""The surveys blueprint."""

from flask import Blueprint

bp = Blueprint("surveys", __name__)
