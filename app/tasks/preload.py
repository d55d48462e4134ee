"""What a worker loads once before forking, so jobs never pay for it."""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger(__name__)


def preload(app: Flask) -> None:
    """Build the NLP analyzer (and anything else heavy) in the parent worker process."""
    from app.tasks.analysis import get_analyzer

    analyzer = get_analyzer()
    log.info("preloaded analyzer %s", analyzer.version)
