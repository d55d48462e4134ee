"""Telling admins that an endpoint was paused or disabled: an email to each active admin (best effort;
the endpoint page shows the same state whatever happens to the mail)."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.mail import services as mail
from app.models import Role, User, WebhookEndpoint

log = logging.getLogger(__name__)


def tell_admins(endpoint: WebhookEndpoint, what: str) -> int:
    """Email every active admin that ``endpoint`` was ``what`` (paused / disabled); returns how many."""
    admins = (
        db.session.execute(
            sa.select(User.email).where(User.role == Role.ADMIN, User.is_active_user.is_(True))
        )
        .scalars()
        .all()
    )
    sent = 0
    link = f"{current_app.config['BASE_URL']}/settings/webhooks/{endpoint.id}"
    try:
        with mail.get_transport() as transport:
            for email in admins:
                msg = EmailMessage()
                msg["From"] = current_app.config["MAIL_FROM"]
                msg["To"] = email
                msg["Subject"] = f"Webhook endpoint {what}: {endpoint.url[:80]}"
                msg["Date"] = formatdate(usegmt=True)
                msg["Message-ID"] = make_msgid(domain="clearloop.localhost")
                msg["Auto-Submitted"] = "auto-generated"
                msg.set_content(
                    f"The webhook endpoint {endpoint.url} was {what}.\n\n{endpoint.state_reason or ''}\n\n"
                    f"Its deliveries wait until you resume it: {link}\n"
                )
                transport.send(msg, "webhook_alert")
                sent += 1
        db.session.commit()
    except Exception:
        log.exception("could not tell admins about webhook endpoint %s", endpoint.id)
    return sent
