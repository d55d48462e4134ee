"""Mail transports: SMTP (one reused connection per batch) and the local outbox (the embedded default).

Outcomes of one delivery are explicit, because they decide an invitation's state:
- ``TemporaryMailError``: the server said 4xx, or the connection failed before DATA. Nothing was
  delivered, so trying again is safe (done here with backoff, then left for a later batch).
- ``PermanentMailError``: 5xx. ``hard_bounce`` when the recipient was refused.
- ``UncertainMailError``: the connection broke during DATA. The message may have been delivered, so the
  invitation becomes ``uncertain`` and is never resent automatically (at most once to customers).

A message's envelope (MAIL FROM, RCPT TO) may be started early on the transport's own thread
(``start_envelope``) while the caller commits the message's in-flight mark; ``send(msg, envelope=…)``
then waits for the envelope's replies and goes on with DATA, and ``abandon`` resets it (RSET) when the
mark was not won. Nothing is delivered before DATA, so an envelope sent ahead of the mark costs nothing
when the mark fails — and DATA is only ever sent by ``send``, after the caller's mark returned.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Protocol

from flask import current_app

from app.extensions import db
from app.mail.message import WireMessage
from app.models import OutboxMessage

log = logging.getLogger(__name__)


class MailError(Exception):
    """A delivery that did not end in a plain 250."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporaryMailError(MailError):
    """Refused for now (4xx) or not reached: safe to try again."""


class PermanentMailError(MailError):
    """Refused for good (5xx)."""

    def __init__(self, message: str, code: int | None = None, hard_bounce: bool = False) -> None:
        super().__init__(message, code)
        self.hard_bounce = hard_bounce


class UncertainMailError(MailError):
    """The outcome is unknown: the message may have been delivered."""


class Transport(Protocol):
    """Something that delivers messages, used as a context manager around one batch."""

    def __enter__(self) -> Transport: ...

    def __exit__(self, *exc: object) -> None: ...

    def send(self, msg: EmailMessage | WireMessage, kind: str) -> None:
        """Deliver one message or raise a MailError."""


def _describe(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {text}".strip()[:500]


def _raise_for(code: int, resp: bytes | str, stage: str) -> None:
    message = f"{stage}: {_describe(code, resp)}"
    if 400 <= code < 500:
        raise TemporaryMailError(message, code)
    raise PermanentMailError(message, code, hard_bounce=stage == "RCPT" and code >= 500)


@dataclass
class Envelope:
    """A message's MAIL FROM and RCPT TO, sent on the transport's thread; ``done`` holds their outcome."""

    sender: str
    recipients: tuple[str, ...]
    done: Future

    def matches(self, msg: WireMessage) -> bool:
        """Whether the built message has this envelope (else it is reset and the message sent afresh)."""
        return (msg.sender, tuple(msg.recipients)) == (self.sender, self.recipients)


class SmtpTransport:
    """SMTP with one connection reused for every message of a batch, timeouts and 4xx retries."""

    def __init__(self) -> None:
        cfg = current_app.config
        self.host, self.port, self.timeout = cfg["SMTP_HOST"], cfg["SMTP_PORT"], cfg["SMTP_TIMEOUT"]
        self.use_ssl, self.starttls = cfg["SMTP_SSL"], cfg["SMTP_STARTTLS"]
        self.username, self.password = cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"]
        self.delays = tuple(cfg.get("MAIL_RETRY_DELAYS", (2, 10, 30)))
        self.conn: smtplib.SMTP | None = None
        self.connections = 0  # how many times a connection was opened (the benchmark and tests read it)
        self._thread: ThreadPoolExecutor | None = None  # runs early envelopes (one at a time)

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT (or just drop a broken connection)."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                self.conn.close()
            self.conn = None

    def _connect(self) -> smtplib.SMTP:
        if self.conn is not None:
            return self.conn
        # Loading the CA store costs ~40 ms: only when TLS is used.
        context = ssl.create_default_context() if self.use_ssl or self.starttls else None
        try:
            if self.use_ssl:
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.starttls:
                    conn.starttls(context=context)
            conn.ehlo_or_helo_if_needed()
            if self.username:
                conn.login(self.username, self.password)
        except (smtplib.SMTPException, OSError) as exc:
            # Even a 5xx here (e.g. a wrong password) is the relay's problem, not the message's: the
            # invitations stay queued for a later batch instead of being failed one by one.
            raise TemporaryMailError(f"cannot reach {self.host}:{self.port}: {exc}") from exc
        self.conn = conn
        self.connections += 1
        return conn

    def start_envelope(self, sender: str, recipients: tuple[str, ...]) -> Envelope:
        """Send MAIL FROM and RCPT TO on the transport's thread while the caller does something else (its
        in-flight mark). The connection is the envelope's until ``send`` or ``abandon`` waited for it."""
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smtp-envelope")
        return Envelope(sender, recipients, self._thread.submit(self._envelope, sender, recipients))

    def abandon(self, envelope: Envelope) -> None:
        """The message will not go out (its mark was not won): wait for the envelope, then RSET."""
        try:
            envelope.done.result()
        except MailError:
            return  # refused or not reached: nothing to reset
        self._reset()

    def _reset(self) -> None:
        if self.conn is None:
            return
        try:
            self.conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()  # a connection in doubt is not reused

    def send(
        self,
        msg: EmailMessage | WireMessage,
        kind: str = "invitation",
        envelope: Envelope | None = None,
        while_waiting: Callable[[], None] | None = None,
    ) -> None:
        """Deliver one message, retrying temporary failures with backoff before giving up. With an
        ``envelope`` started early for it, its replies are awaited first and DATA follows.
        ``while_waiting`` (which must not raise) runs once, after the message's bytes were sent and before
        the relay's final reply is read: work for the next message, done while the relay takes this one."""
        msg = WireMessage.of(msg)
        for attempt in range(len(self.delays) + 1):
            try:
                if envelope is not None and attempt == 0 and envelope.matches(msg):
                    envelope.done.result()  # its MAIL/RCPT replies (raises as _send_once would)
                    self._data(self._connect(), msg.data, while_waiting)
                    return
                if envelope is not None and attempt == 0:
                    self.abandon(envelope)  # built for another address meanwhile: start afresh
                self._send_once(msg, while_waiting)
                return
            except TemporaryMailError as exc:
                if attempt == len(self.delays):
                    raise
                log.info("temporary SMTP failure (%s); retrying in %ss", exc, self.delays[attempt])
                time.sleep(self.delays[attempt])

    def _send_once(self, msg: WireMessage, while_waiting: Callable[[], None] | None = None) -> None:
        self._envelope(msg.sender, msg.recipients)
        self._data(self._connect(), msg.data, while_waiting)

    def _envelope(self, sender: str, recipients: tuple[str, ...]) -> None:
        """MAIL FROM and RCPT TO; raises a MailError (after RSET) unless every recipient was accepted."""
        conn = self._connect()
        try:
            code, resp = conn.mail(sender)
            if code != 250:
                conn.rset()
                _raise_for(code, resp, "MAIL")
            for rcpt in recipients:
                code, resp = conn.rcpt(rcpt)
                if code not in (250, 251):
                    conn.rset()
                    _raise_for(code, resp, "RCPT")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # Before DATA nothing can have been delivered: reconnect and try again.
            self._drop()
            raise TemporaryMailError(f"connection lost before DATA: {exc}") from exc

    def _data(self, conn: smtplib.SMTP, data: bytes, while_waiting: Callable[[], None] | None = None) -> None:
        try:
            code, resp = _smtp_data(conn, data, while_waiting)
        except smtplib.SMTPDataError as exc:  # DATA itself refused: the message was not sent
            conn.rset()
            _raise_for(exc.smtp_code, exc.smtp_error, "DATA")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise UncertainMailError(f"connection lost during DATA: {exc}") from exc
        if code != 250:
            _raise_for(code, resp, "DATA")

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _smtp_data(
    conn: smtplib.SMTP, data: bytes, while_waiting: Callable[[], None] | None
) -> tuple[int, bytes]:
    """``smtplib.SMTP.data`` for bytes (the same commands, dot-stuffing and replies), with ``while_waiting``
    run between sending the message and reading the relay's reply to it (a 354 not given is raised as
    ``smtplib`` raises it, before any byte of the message is sent)."""
    conn.putcmd("data")
    code, reply = conn.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    quoted = _LEADING_DOT.sub(b"..", data)
    if quoted[-2:] != b"\r\n":
        quoted += b"\r\n"
    conn.send(quoted + b".\r\n")
    if while_waiting is not None:
        while_waiting()
    return conn.getreply()


class OutboxTransport:
    """Keeps each message as an OutboxMessage row in the caller's transaction (the embedded default)."""

    def __enter__(self) -> OutboxTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, msg: EmailMessage | WireMessage, kind: str = "invitation") -> None:
        """Store the whole RFC 5322 message, as an SMTP server would have received it."""
        msg = WireMessage.of(msg)
        db.session.add(
            OutboxMessage(
                message_id=msg.message_id,
                kind=kind,
                to_addr=msg.recipients[0] if msg.recipients else "",
                subject=msg.subject[:500],
                raw=msg.data.decode("utf-8", "replace"),
            )
        )


def get_transport() -> SmtpTransport | OutboxTransport:
    """The configured transport: ``smtp`` when SMTP_HOST is set, else the local outbox."""
    if current_app.config["MAIL_TRANSPORT"] == "smtp":
        return SmtpTransport()
    return OutboxTransport()
