"""The insights pages: topic analytics, teams and their digests, alerts."""

from app.insights.routes import digests, teams, topics  # noqa: F401  (registers the views)
