"""A loopback webhook receiver that records each request and answers what the test tells it to."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask


class Receiver:
    """``answers``: (status, headers) used in turn, the last one repeating; ``got``: the requests."""

    def __init__(self, port: int | None = None) -> None:
        if port is None:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
        self.port = port
        self.url = f"http://127.0.0.1:{port}/hooks?src=test"
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[tuple[int, dict[str, str]]] = [(204, {})]
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        """Listen (again) on the same port."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status, headers = (
                    receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                )
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening (connections are then refused)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def loopback_allowed(app: Flask) -> Iterator[None]:
    """The test-only setting that lets webhooks reach 127.0.0.1, with a fast retry schedule."""
    saved = {k: app.config.get(k) for k in ("WEBHOOKS_ALLOW_LOOPBACK", "WEBHOOK_SCHEDULE")}
    app.config["WEBHOOKS_ALLOW_LOOPBACK"] = True
    app.config["WEBHOOK_SCHEDULE"] = (0, 1, 1, 1, 1, 1, 1, 1, 1, 1)
    yield
    app.config.update(saved)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running loopback receiver."""
    r = Receiver().start()
    yield r
    r.stop()
