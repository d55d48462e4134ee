"""The local outbox: every email the app would have sent, readable by admins when no SMTP relay is set.

Admins only: its score links are live (they answer as the customer), so no other role may see them.

Only when MAIL_TRANSPORT is ``outbox``: with a real relay these pages do not exist (404). The HTML part
is served on its own URL into a sandboxed iframe with a strict CSP (see app/mail/preview.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, render_template, request
from flask.typing import ResponseReturnValue

from app.access import roles_required
from app.extensions import db
from app.mail import queries as preview
from app.models import OutboxMessage, Role
from app.outbox import bp

PAGE_SIZE = 50


@bp.before_request
def _only_with_the_outbox_transport() -> None:
    if current_app.config["MAIL_TRANSPORT"] != "outbox":
        abort(404)


@bp.get("/outbox")
@roles_required(Role.ADMIN)
def index() -> ResponseReturnValue:
    """Kept emails, newest first; ``?to=`` narrows to one recipient."""
    query = sa.select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    to = (request.args.get("to") or "").strip().lower()[:254]
    if to:
        query = query.where(OutboxMessage.to_addr == to)
    page = db.paginate(query, per_page=PAGE_SIZE, error_out=False, max_per_page=PAGE_SIZE)
    return render_template("outbox/index.html", page=page, to=to)


@bp.get("/outbox/<int:message_id>")
@roles_required(Role.ADMIN)
def message(message_id: int) -> ResponseReturnValue:
    """One email: headers, the HTML part in a sandboxed frame, the text part, and its links."""
    row = db.get_or_404(OutboxMessage, message_id)
    msg = preview.parse(row.raw)
    text = preview.part(msg, "plain")
    headers = [(k, str(v)) for k, v in msg.items()]
    return render_template(
        "outbox/message.html",
        row=row,
        headers=headers,
        text=text,
        links=preview.links(text),
        has_html=preview.part(msg, "html") is not None,
    )


@bp.get("/outbox/<int:message_id>/html")
@roles_required(Role.ADMIN)
def html(message_id: int) -> ResponseReturnValue:
    """The HTML part alone, for the sandboxed iframe of the message page."""
    row = db.get_or_404(OutboxMessage, message_id)
    body = preview.part(preview.parse(row.raw), "html")
    if body is None:
        abort(404)
    return preview.sandboxed_html(body)
