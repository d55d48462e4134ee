"""Product insights: topic analytics a PM reads, product teams and their weekly digest, and alerts."""

from flask import Blueprint

bp = Blueprint("insights", __name__)
