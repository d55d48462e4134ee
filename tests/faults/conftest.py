"""The fault suite's parts: a Redis server of the test's own on a spare port (killed, frozen, restarted at
will; the shared one is never touched), the web app under gunicorn, ``worker.py`` and ``rq cron app.cron``
as real processes, and a TCP proxy in front of PostgreSQL that the test can cut.

Every test here needs PostgreSQL (DATABASE_URL) and the ``redis-server`` binary; without them it skips with
the reason (and fails in CI, where CLEARLOOP_REQUIRE forbids skipping).
"""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import SmtpRecorder, need_service, worker_env

ROOT = Path(__file__).resolve().parents[2]
KEY_RE = re.compile(r'name="key" value="([^"]+)"')


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, step: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class RedisServer:
    """A throwaway ``redis-server`` (no persistence) on its own port."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.dir = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start (or restart, empty) on the same port and wait until it answers."""
        import redis

        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        wait_for(lambda: _pings(client), 10, 0.05, "redis-server to start")

    def kill(self) -> None:
        """SIGKILL: everything in it is lost."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP: connections hang."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """End it for good."""
        if self.proc is not None and self.proc.poll() is None:
            self.thaw()
            self.proc.kill()
            self.proc.wait(timeout=10)


def _pings(client) -> bool:
    import redis

    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


@pytest.fixture
def own_redis(tmp_path: Path, postgres_url: str) -> Iterator[RedisServer]:
    """A Redis server of this test's own (the suite also needs PostgreSQL: skipped or failed without)."""
    if not shutil.which("redis-server"):
        need_service("Redis", "the redis-server binary is not installed (apt-get install -y redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class Processes:
    """Real processes of the stack (web, worker, cron), each logging to a file; all stopped at the end."""

    def __init__(self, database_uri: str, redis: RedisServer, tmp: Path) -> None:
        self.env = worker_env(database_uri, redis.url)
        self.env.update({"SWEEP_AFTER_SECONDS": "3", "MAIL_TRANSPORT": "outbox", "SMTP_HOST": ""})
        self.tmp = tmp
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, args: list[str], **env: str) -> subprocess.Popen:
        """Start ``args`` in a new session (so its children can be killed with it)."""
        log = self.tmp / f"{name}-{len(self.procs)}.log"
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append((proc, log))
        return proc

    def worker(self, *queues: str, wait: bool = True, **env: str) -> subprocess.Popen:
        """``python worker.py`` on ``queues`` (default: all; not burst), by default once it listens."""
        proc = self.start("worker", [sys.executable, "worker.py", *queues], **env)
        if wait:
            self.wait_log(proc, "Listening on", 90)
        return proc

    def wait_log(self, proc: subprocess.Popen, text: str, timeout: float) -> None:
        """Wait until ``text`` appears in the process's output (failing with its output if it exits)."""

        def seen() -> bool:
            assert proc.poll() is None, self.log_of(proc)[-3000:]
            return text in self.log_of(proc)

        wait_for(seen, timeout, 0.2, f"{text!r} in the output")

    def cron(self) -> subprocess.Popen:
        """``rq cron app.cron`` on the test's Redis, once it runs."""
        proc = self._cron()
        self.wait_log(proc, "registering birth", 60)
        return proc

    def _cron(self) -> subprocess.Popen:
        return self.start(
            "cron",
            [str(Path(sys.executable).parent / "rq"), "cron", "app.cron", "--url", self.env["REDIS_URL"]],
        )

    def web(self, **env: str) -> str:
        """The app under gunicorn (two sync workers, as in production); returns its base URL."""
        port = free_port()
        settings = {
            "RATELIMIT_ENABLED": "1",
            "RATELIMIT_STORAGE_URI": self.env["REDIS_URL"],
            "RESPOND_RATE_LIMIT": "100000 per minute",
            **env,
        }
        proc = self.start(
            "web",
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "wsgi:app",
            ],
            **settings,
        )
        try:
            wait_for(lambda: _http_ok(port), 90, 0.3, "gunicorn to serve")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.log_of(proc)[-3000:]}") from None
        return f"127.0.0.1:{port}"

    def web_log(self) -> str:
        """Everything the web servers wrote so far (for a failing status's traceback)."""
        return "".join(log.read_text(errors="replace") for _, log in self.procs if log.name.startswith("web"))

    def log_of(self, proc: subprocess.Popen) -> str:
        """Everything a process wrote so far."""
        return next(log for p, log in self.procs if p is proc).read_text(errors="replace")

    def stop_all(self) -> None:
        """SIGTERM each process group, then SIGKILL what is left."""
        for proc, _ in self.procs:
            if proc.poll() is None:
                with _quiet():
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc, _ in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with _quiet():
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def work_horses(worker_pid: int) -> list[int]:
    """The work horses of an RQ worker process: the children that made their own process group.

    RQ forks a horse per job and the horse calls ``setpgrp()``; the worker's other child, RQ's scheduler
    process, stays in the worker's group. Killing "every child" would kill the scheduler (and with it the
    delayed retries of every killed job) rather than the job.
    """
    path = Path(f"/proc/{worker_pid}/task/{worker_pid}/children")
    try:
        children = [int(p) for p in path.read_text().split()]
    except OSError:
        return []
    horses = []
    for pid in children:
        try:
            if os.getpgid(pid) == pid:
                horses.append(pid)
        except ProcessLookupError:
            continue
    return horses


class _quiet:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], ProcessLookupError)


def _http_ok(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz")
        return conn.getresponse().status < 500
    except OSError:
        return False


@pytest.fixture
def stack(database_uri: str, own_redis: RedisServer, tmp_path: Path) -> Iterator[Processes]:
    """Start real processes with ``stack.web()``, ``stack.worker()``, ``stack.cron()``; stopped after."""
    processes = Processes(database_uri, own_redis, tmp_path)
    yield processes
    processes.stop_all()


class Respondent:
    """Answers a public survey link over HTTP, as a browser would, timing each answer's POST."""

    def __init__(self, host: str, ptoken: str) -> None:
        self.host, self.ptoken = host, ptoken
        self.timings: list[float] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()

    def answer(self, score: int, comment: str, timeout: float = 30) -> int:
        """Load the page (for its form key), post the answer; returns the POST's status."""
        conn = http.client.HTTPConnection(*self.host.split(":"), timeout=timeout)
        conn.request("GET", f"/s/{self.ptoken}")
        page = conn.getresponse().read().decode()
        key = KEY_RE.search(page)
        assert key, page[:500]
        body = urlencode({"key": key.group(1), "score": str(score), "comment": comment})
        start = time.perf_counter()
        conn.request(
            "POST",
            f"/s/{self.ptoken}",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        resp = conn.getresponse()
        resp.read()
        elapsed = time.perf_counter() - start
        conn.close()
        with self.lock:
            self.timings.append(elapsed)
            self.statuses.append(resp.status)
        return resp.status


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


class TcpProxy:
    """A TCP proxy on a spare port in front of ``target`` that the test can cut (every connection closed,
    new ones refused) and restore: PostgreSQL "unreachable" without touching the shared server."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        """Listen and forward again."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Close the listener and every open connection."""
        with self.lock:
            if self.listener is not None:
                with _quiet_os():
                    self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (Linux)
                self.listener.close()
                self.listener = None
            for sock in self.sockets:
                with _quiet_os():
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            if self.listener is not listener:
                client.close()  # accepted while being cut
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with _quiet_os():
                dst.shutdown(socket.SHUT_RDWR)


class _quiet_os:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], OSError)


class SlowSmtpRecorder(SmtpRecorder):
    """A loopback SMTP sink that takes ``delay`` seconds over each message's DATA before it keeps it.

    So an email batch lasts long enough to be killed at any point of it, including the one that makes a
    message's fate uncertain: the sink has kept the message, the sender never saw the reply.
    """

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


class SlowSmtpServer:
    """A running :class:`SlowSmtpRecorder` on a free loopback port: ``host``, ``port``, ``recorder``."""

    def __init__(self, delay: float) -> None:
        from aiosmtpd.controller import Controller

        self.host, self.port = "127.0.0.1", free_port()
        self.recorder = SlowSmtpRecorder(delay)
        self.controller = Controller(self.recorder, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        """Stop the server."""
        self.controller.stop()


@pytest.fixture
def slow_smtp() -> Iterator[SlowSmtpServer]:
    """A loopback SMTP sink taking 30 ms per message."""
    server = SlowSmtpServer(0.03)
    yield server
    server.stop()
