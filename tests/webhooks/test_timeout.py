"""The webhook timeout bounds the whole delivery, not each socket operation: a real loopback server that
trickles its answer (a byte every 50 ms, so no single read ever waits long) is cut off at the deadline,
the attempt is recorded as a timeout and retried; a receiver that answers in time is unaffected."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from app.webhooks import services as webhooks
from app.webhooks import targets

pytestmark = pytest.mark.usefixtures("loopback_allowed")
TOTAL = 2.0  # the test's total limit (production: 15 s)
TRICKLE = 0.05  # seconds between bytes: far below any per-operation timeout


class Trickler:
    """A raw-socket HTTP server that reads the request, then answers slowly in one of three ways:
    ``status``: the status line and headers a byte at a time; ``body``: the headers at once, then the body
    a byte at a time; ``silent``: nothing at all. It trickles until ``stop`` (at most 60 s)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.requests = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(
                next(
                    v
                    for k, _, v in (h.partition(b":") for h in head.split(b"\r\n"))
                    if k.lower() == b"content-length"
                )
            )
            while len(body) < length:
                body += conn.recv(65536)
            self.requests += 1
            if self.mode == "status":
                stream = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100_000
            elif self.mode == "body":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                stream = b"o" * 100_000
            else:
                stream = b""
            deadline = time.monotonic() + 60
            for i in range(len(stream)):
                if self.stop.is_set() or time.monotonic() > deadline:
                    return
                try:
                    conn.sendall(stream[i : i + 1])
                except OSError:
                    return  # the client hung up: what the test wants
                time.sleep(TRICKLE)
            self.stop.wait(60)

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def short_timeout(app) -> Iterator[None]:
    saved = app.config.get("WEBHOOK_TIMEOUT")
    app.config["WEBHOOK_TIMEOUT"] = TOTAL
    yield
    app.config["WEBHOOK_TIMEOUT"] = saved


@pytest.mark.parametrize("mode", ["status", "body", "silent"])
def test_a_trickling_receiver_is_cut_off_at_the_total_timeout(app, short_timeout, mode):
    server = Trickler(mode)
    try:
        with app.app_context():
            endpoint = webhooks.create_endpoint(server.url, [], "slow", None)
            webhooks.emit("digest.sent", {"id": 1})
            db.session.commit()
            started = time.monotonic()
            webhooks.sweep()  # inline jobs: the delivery runs here
            took = time.monotonic() - started
            delivery = db.session.execute(
                sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
            ).scalar_one()
            attempt = db.session.execute(
                sa.select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)
            ).scalar_one()
            assert server.requests == 1
            assert TOTAL - 0.1 <= took < TOTAL + 3, took  # bounded by the total, with room for a busy machine
            assert attempt.status_code is None and "within 2 s" in attempt.error
            assert TOTAL * 1000 - 100 <= attempt.duration_ms < (TOTAL + 3) * 1000
            assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1  # retried later
    finally:
        server.close()


def test_a_receiver_that_answers_in_time_is_delivered(app, short_timeout, receiver):
    with app.app_context():
        endpoint = webhooks.create_endpoint(receiver.url, [], "quick", None)
        webhooks.emit("digest.sent", {"id": 2})
        db.session.commit()
        webhooks.sweep()
        delivery = db.session.execute(
            sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        ).scalar_one()
        assert delivery.status == DeliveryStatus.DELIVERED


def test_a_slow_name_lookup_counts_against_the_same_deadline(app, monkeypatch):
    def slow_lookup(*args, **kwargs):
        time.sleep(3)
        return [(2, 1, 6, "", ("93.184.215.14", 443))]

    monkeypatch.setattr(socket, "getaddrinfo", slow_lookup)
    deadline = targets.Deadline(0.5)
    started = time.monotonic()
    with pytest.raises(targets.DeliveryTimeout):
        targets.resolve("https://hooks.example.com/x", deadline)
    assert time.monotonic() - started < 2


def test_the_production_limit_is_fifteen_seconds_in_all(app):
    from app.webhooks import delivery

    with app.app_context():
        assert delivery.TIMEOUT == 15 and delivery.timeout() <= 15
