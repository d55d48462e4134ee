"""The analysis blueprint: the topic taxonomy, tagging status, and each response's tags."""

from flask import Blueprint

from app.analysis.highlight import mention_segments

bp = Blueprint("analysis", __name__)
# The ``highlight`` macro (templates/analysis/_macros.html) needs this in every template, whoever imports it.
bp.add_app_template_global(mention_segments, "mention_segments")
