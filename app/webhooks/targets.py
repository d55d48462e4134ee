"""SSRF defence (RELIABILITY 9): a webhook URL must resolve only to public addresses, checked when the
endpoint is saved and again at every delivery (DNS can change in between: rebinding); the request then
connects to the address that was checked, never resolving again, and follows no redirect."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

MAX_URL = 2000


class TargetError(ValueError):
    """A URL that may not receive webhooks; the message says why."""


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


def resolve(url: str) -> Target:
    """Check a URL and every address its host resolves to; TargetError when any is not public."""
    scheme, host, port, path = check_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
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
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._ip = target.ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._ip = target.ip

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(
    target: Target, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, dict[str, str], str]:
    """POST to the checked address (no redirects followed); returns status, headers and the body's start."""
    conn = (_PinnedHTTPS if target.scheme == "https" else _PinnedHTTP)(target, timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read(4096).decode("utf-8", "replace")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, text
    finally:
        conn.close()
