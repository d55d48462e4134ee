"""The staff list of responses: ``/responses`` is the feedback explorer (built by ``app.explorer``).

The endpoint stays ``surveys.responses`` because pages across the app link to it by that name.
"""

from __future__ import annotations

from app.auth.access import staff_required
from app.surveys import bp


@bp.get("/responses")
@staff_required
def responses():
    """The feedback explorer: every response, filtered, searched, sorted and paged by its URL."""
    from app.explorer.routes import render_explorer

    return render_explorer()
