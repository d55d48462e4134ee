"""The surveys blueprint: staff pages for surveys, sends and responses."""

from flask import Blueprint

bp = Blueprint("surveys", __name__)
