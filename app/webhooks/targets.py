"""SSRF defence (RELIABILITY 9): a webhook URL must resolve only to public addresses, checked when the
endpoint is saved and again at every delivery (DNS can change in between: rebinding); the request then
connects to the address that was checked, never resolving again, and follows no redirect.

A delivery is bounded in total, not per socket operation: a receiver that trickles its answer a byte at a
time (each read well within a per-operation timeout) is cut off when the delivery's deadline passes."""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

MAX_URL = 2000


class TargetError(ValueError):
    """A URL that may not receive webhooks; the message says why."""


class DeliveryTimeout(TimeoutError):
    """The receiver did not answer completely within the delivery's total time."""


class Deadline:
    """A point in time every step of one delivery must finish by. ``cut`` (run by a timer at the deadline)
    shuts the connection's socket down, which wakes a read or write blocked on a trickling receiver."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = time.monotonic() + seconds
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def left(self) -> float:
        """Seconds left (DeliveryTimeout when none)."""
        remaining = self.until - time.monotonic()
        if remaining <= 0 or self.expired:
            raise self.error()
        return remaining

    def error(self) -> DeliveryTimeout:
        return DeliveryTimeout(f"no complete answer within {self.seconds:g} s (the whole delivery's limit)")

    def watch(self, sock: socket.socket) -> None:
        """The socket to shut down at the deadline (already past it: at once)."""
        with self._lock:
            self._sock = sock
            expired = self.expired
        if expired:
            self._shutdown(sock)

    def cut(self) -> None:
        with self._lock:
            self.expired = True
            sock = self._sock
        if sock is not None:
            self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


def _getaddrinfo(host: str, port: int, deadline: Deadline | None) -> list:
    """``socket.getaddrinfo``, given at most the deadline's time left (the system resolver has no timeout)."""
    if deadline is None:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list = []
    failed: list[BaseException] = []

    def lookup() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except BaseException as exc:  # handed to the caller below
            failed.append(exc)

    worker = threading.Thread(target=lookup, name="webhook-dns", daemon=True)
    worker.start()
    worker.join(deadline.left())
    if worker.is_alive():
        raise deadline.error()
    if failed:
        raise failed[0]
    return found


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``ip``) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    ip: str


def _allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback and current_app.config.get("WEBHOOKS_ALLOW_LOOPBACK"):
        return True  # a test-only setting: the delivery tests run a receiver on 127.0.0.1
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_private)


def check_url(url: str) -> tuple[str, str, int, str]:
    """The URL's scheme, host, port and path, or a TargetError for anything but a plain http(s) URL."""
    if not url or len(url) > MAX_URL:
        raise TargetError("Give the endpoint's URL (at most 2,000 characters).")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetError("The URL must start with https:// (or http://) and name a host.")
    if parts.username or parts.password:
        raise TargetError("Put no user name or password in the URL; verify our signature instead.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetError("The URL's port is not a number from 1 to 65535.") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def resolve(url: str, deadline: Deadline | None = None) -> Target:
    """Check a URL and every address its host resolves to; TargetError when any is not public."""
    scheme, host, port, path = check_url(url)
    try:
        infos = _getaddrinfo(host, port, deadline)
    except (socket.gaierror, UnicodeError):
        raise TargetError(f"The host {host} does not resolve.") from None
    ips = sorted({info[4][0] for info in infos})
    if not ips:
        raise TargetError(f"The host {host} does not resolve.")
    for raw in ips:
        if not _allowed(ipaddress.ip_address(raw.split("%")[0])):
            raise TargetError(
                f"{host} resolves to {raw}, a private, loopback, link-local or reserved address; "
                "webhooks go only to public addresses."
            )
    return Target(scheme, host, port, path, ips[0])


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, deadline: Deadline) -> None:
        super().__init__(target.host, target.port, timeout=deadline.left())
        self._ip = target.ip
        self._deadline = deadline

    def _connect_raw(self) -> socket.socket:
        sock = socket.create_connection((self._ip, self.port), self._deadline.left())
        self._deadline.watch(sock)
        sock.settimeout(self._deadline.left())  # no single step may outlast the whole either
        return sock

    def connect(self) -> None:
        self.sock = self._connect_raw()


class _PinnedHTTPS(_PinnedHTTP, http.client.HTTPSConnection):
    def __init__(self, target: Target, deadline: Deadline) -> None:
        http.client.HTTPSConnection.__init__(
            self, target.host, target.port, timeout=deadline.left(), context=ssl.create_default_context()
        )
        self._ip = target.ip
        self._deadline = deadline

    def connect(self) -> None:
        self.sock = self._context.wrap_socket(self._connect_raw(), server_hostname=self.host)


def post(
    target: Target, body: bytes, headers: dict[str, str], deadline: Deadline | float
) -> tuple[int, dict[str, str], str]:
    """POST to the checked address (no redirects followed) and read the answer's status, headers and the
    body's start, all before ``deadline`` (a Deadline, or seconds from now); DeliveryTimeout past it."""
    if not isinstance(deadline, Deadline):
        deadline = Deadline(deadline)
    timer = threading.Timer(deadline.left(), deadline.cut)
    timer.daemon = True
    timer.start()
    conn = (_PinnedHTTPS if target.scheme == "https" else _PinnedHTTP)(target, deadline)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read(4096).decode("utf-8", "replace")
        status, reply_headers = resp.status, {k.lower(): v for k, v in resp.getheaders()}
        if deadline.expired:  # the cut socket ended the body early: the answer was not complete in time
            raise deadline.error()
    except DeliveryTimeout:
        raise
    except (OSError, http.client.HTTPException, ValueError):
        if deadline.expired or time.monotonic() >= deadline.until:
            raise deadline.error() from None
        raise
    finally:
        timer.cancel()
        conn.close()
    return status, reply_headers, text
