"""Issue 12 item 3: `make run` serves on PORT/HOST, says "Serving on" only once the port accepts, and
refuses a port that is taken instead of announcing a server that is not there."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port: int, tmp_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "CLEARLOOP_INSTANCE": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "REDIS_URL": "",
    }
    return subprocess.Popen(
        ["make", "--no-print-directory", "serve", f"PORT={port}", "SCHEDULER=0", f"VENV={Path(sys.prefix)}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.skipif(not Path("/usr/bin/make").exists(), reason="make is not installed")
def test_serving_on_is_printed_once_the_port_accepts_and_a_taken_port_is_refused(tmp_path):
    port = _free_port()
    server = _serve(port, tmp_path)
    try:
        deadline = time.monotonic() + 90
        line = ""
        while time.monotonic() < deadline and not line.startswith("Serving Clearloop"):
            line = server.stdout.readline()
            assert line or server.poll() is None, server.stderr.read()
        assert line.strip() == f"Serving Clearloop on http://127.0.0.1:{port}  (Ctrl-C to stop)"
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass  # accepting at the moment it says so
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as resp:
            assert resp.status == 200
        second = _serve(port, tmp_path)
        out, err = second.communicate(timeout=60)
        assert second.returncode != 0 and "Serving Clearloop" not in out
        assert f"Port {port} on 127.0.0.1 is already in use" in err
    finally:
        _stop(server)
