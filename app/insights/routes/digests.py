"""A digest as a page in the app (from the content that was mailed), its email, and the alerts."""

from __future__ import annotations

from flask import render_template

from app.access import staff_required
from app.extensions import db
from app.insights import bp
from app.insights import team_queries as tq
from app.insights.emails import render_alert, render_digest
from app.mail.queries import sandboxed_html
from app.models import Alert, Digest


@bp.get("/digests/<int:digest_id>")
@staff_required
def digest(digest_id: int):
    """One digest: headline numbers, movers, emerging topics, negative themes, revenue, closed loops."""
    row = db.get_or_404(Digest, digest_id)
    return render_template(
        "insights/digest.html", digest=row, c=row.content or {}, recipients=tq.recipients("digest", row.id)
    )


@bp.get("/digests/<int:digest_id>/email.html")
@staff_required
def digest_email(digest_id: int):
    """The digest's HTML email as its members got it, for a sandboxed iframe."""
    row = db.get_or_404(Digest, digest_id)
    if not row.content:
        return sandboxed_html("<p>This digest is still being built.</p>")
    return sandboxed_html(render_digest(row.content, row.id, row.team_id).html)


@bp.get("/alerts")
@staff_required
def alerts():
    """The latest alerts of every team."""
    rows = tq.alerts_of(limit=100)
    return render_template(
        "insights/alerts.html", alerts=rows, counts=tq.message_counts("alert", [a.id for a in rows])
    )


@bp.get("/alerts/<int:alert_id>")
@staff_required
def alert(alert_id: int):
    """One alert with its evidence and who was emailed."""
    row = db.get_or_404(Alert, alert_id)
    rendered = render_alert(dict(row.evidence, title=row.title), row.id, row.team_id)
    return render_template(
        "insights/alert.html",
        alert=row,
        e=row.evidence,
        text=rendered.text,
        recipients=tq.recipients("alert", row.id),
    )
