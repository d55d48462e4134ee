"""Score trends over time (read from the response rollups), their annotations, and the rollups' upkeep."""

from flask import Blueprint

bp = Blueprint("trends", __name__)
