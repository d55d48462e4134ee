"""The insights pages: topic analytics (``topics``), teams and their digests (``teams``, ``digests``)."""

from app.insights import bp
from app.insights.routes import digests, teams, topics

__all__ = ["bp", "digests", "teams", "topics"]
