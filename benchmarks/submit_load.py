"""Load on the answer endpoint under gunicorn (2 sync workers), on SQLite and on PostgreSQL, next to the
same server's trivial static GET in the same run.

Each POST answers a different invitation (score only, as a one-click answer does: a new row, analysis
"skipped"), with a valid form key, exactly as the respondent page posts it. Load comes from ``wrk``
(Debian package) with a Lua script that walks the prepared requests; without wrk, a Python thread pool
with keep-alive connections is used instead (``"tool"`` in the output says which).

Each database gets ``--runs`` rounds (default 3), each round the static GET then the answer POST back to
back on the same server, so both see the same load; the summary line gives the medians over the rounds
(rates, p99s and the per-round ratio). The first line names the machine and its load average.

Prints JSON lines: the machine, one per (round, endpoint) with requests/s and p50/p99 latency, and one
summary per database with the median ratio.
Pass ``--redis-url`` (a Redis database of its own, emptied before and after) so the jobs an answer
triggers are queued as in production; without it they run inline inside the request and the figure is
not the answer path's.
Run: .venv/bin/python benchmarks/submit_load.py [--seconds 10] [--connections 16] [--runs 3]
     [--redis-url redis://127.0.0.1:6379/N] [--pg-url URL] [--no-pg]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.machine import median, print_machine  # noqa: E402

PYTHON = sys.executable
SECRET = "benchmark-secret-key"  # noqa: S105 - a throwaway key for a throwaway database
LUA = r"""
-- Each wrk thread walks its own slice of the prepared requests: every POST answers a new invitation.
local threads = 0
setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local lines, n, counter = {}, 0, 0
init = function(args)
  for line in io.lines(args[1]) do n = n + 1; lines[n] = line end
  counter = tid * math.floor(n / tonumber(args[2]))
end
request = function()
  counter = counter + 1
  local line = lines[(counter % n) + 1]
  local path, body = line:match("([^\t]+)\t(.*)")
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded",
                                   ["Accept"] = "application/json"}, body)
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


REDIS = {"url": ""}  # --redis-url: the server queues its jobs there, as in production (no worker runs)


def env_for(url: str, instance: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "CLEARLOOP_INSTANCE": instance,
            "REDIS_URL": REDIS["url"],
            "RATELIMIT_ENABLED": "0",
            "SMTP_HOST": "",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def seed(n: int, out: str) -> None:
    """Seed one NPS survey and ``n`` invitations; write one prepared POST per invitation to ``out``."""
    import urllib.parse

    from app import create_app
    from app.extensions import db
    from app.models import Account, Survey, SurveyKind
    from app.surveys.tokens import new_public_token
    from benchmarks.fixtures import answer_post, seed_invitations

    app = create_app()
    with app.app_context():
        survey = Survey(name="bench", kind=SurveyKind.NPS, public_token=new_public_token())
        account = Account(name="Bench")
        db.session.add_all([survey, account])
        db.session.flush()
        pairs = seed_invitations(n, survey_id=survey.id, account_id=account.id)
        with open(out, "w") as f:
            for i, (token, inv_id) in enumerate(pairs):
                path, data = answer_post(token, inv_id, i % 11)
                f.write(f"{path}\t{urllib.parse.urlencode(data)}\n")


def prepare(url: str, instance: str, n: int, requests_file: str) -> None:
    env = env_for(url, instance)
    subprocess.run(
        [PYTHON, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    cmd = [PYTHON, __file__, "--seed-into", requests_file, "--invitations", str(n)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"seeding failed:\n{done.stderr[-3000:]}")


def start_gunicorn(url: str, instance: str, port: int) -> subprocess.Popen:
    gunicorn = str(Path(PYTHON).with_name("gunicorn"))
    proc = subprocess.Popen(
        [gunicorn, "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=env_for(url, instance),
    )
    import urllib.request

    # Ready means both workers answer (the master accepts connections before its workers have booted);
    # at load 15-20 on 2 cores importing the app alone can take over a minute.
    ok, deadline = 0, time.monotonic() + 240
    while ok < 20 and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
                ok += resp.status == 200
        except OSError:
            time.sleep(0.2)
    if ok < 20:
        proc.kill()
        raise RuntimeError("gunicorn did not start")
    return proc


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(
    url: str, seconds: int, connections: int, script: str | None = None, args: list[str] = ()
) -> dict:
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    cmd += [url]
    if args:
        cmd += ["--", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    lat = dict(re.findall(r"^\s*(50|99)%\s+([\d.]+(?:us|ms|s))\s*$", out, re.M))
    if "99" not in lat:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50_ms": round(_ms(lat["50"]), 2),
        "p99_ms": round(_ms(lat["99"]), 2),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else None,
    }


def run_python(base: str, seconds: int, connections: int, lines: list[str] | None) -> dict:
    import http.client
    import threading

    host, port = base.split("//")[1].split(":")
    stop = time.monotonic() + seconds
    lat: list[float] = []
    bad = [0]
    lock = threading.Lock()
    counter = iter(range(10**9))

    def worker() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        mine, errs = [], 0
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            if lines:
                path, body = lines[next(counter) % len(lines)].split("\t", 1)
                conn.request(
                    "POST",
                    path,
                    body,
                    {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
                )
            else:
                conn.request("GET", "/static/img/logo.svg")
            resp = conn.getresponse()
            resp.read()
            mine.append(time.perf_counter() - t0)
            errs += resp.status >= 400
        with lock:
            lat.extend(mine)
            bad[0] += errs

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat.sort()
    return {
        "rps": round(len(lat) / seconds, 1),
        "requests": len(lat),
        "p50_ms": round(1000 * lat[len(lat) // 2], 2),
        "p99_ms": round(1000 * lat[int(len(lat) * 0.99)], 2),
        "non_2xx": bad[0],
        "socket_errors": None,
    }


def count_rows(url: str, instance: str) -> int:
    code = (
        "from app import create_app\nfrom app.extensions import db\nimport sqlalchemy as sa\n"
        "app = create_app()\nwith app.app_context():\n"
        "    print(db.session.execute(sa.text('select count(*) from responses')).scalar())"
    )
    out = subprocess.run(
        [PYTHON, "-c", code], cwd=ROOT, env=env_for(url, instance), capture_output=True, text=True
    )
    return int(out.stdout.strip().splitlines()[-1])


def bench(db_name: str, url: str, args: argparse.Namespace, tmp: str) -> None:
    instance = tempfile.mkdtemp(dir=tmp)
    requests_file = os.path.join(tmp, f"requests-{db_name}.tsv")
    prepare(url, instance, args.invitations, requests_file)
    port = free_port()
    server = start_gunicorn(url, instance, port)
    base = f"http://127.0.0.1:{port}"
    tool = "wrk" if shutil.which("wrk") and not args.python_client else "python-threads"
    common = {
        "bench": "submit_load",
        "db": db_name,
        "tool": tool,
        "workers": 2,
        "connections": args.connections,
        "seconds": args.seconds,
    }
    rounds = []
    try:
        lines = Path(requests_file).read_text().splitlines()
        script = os.path.join(tmp, "walk.lua")
        Path(script).write_text(LUA)
        for turn in range(args.runs):
            # Each round answers its own slice of the invitations: every POST is a first answer.
            part = os.path.join(tmp, f"requests-{db_name}-{turn}.tsv")
            size = len(lines) // args.runs
            Path(part).write_text("\n".join(lines[turn * size : (turn + 1) * size]) + "\n")
            if tool == "wrk":
                static = run_wrk(f"{base}/static/img/logo.svg", args.seconds, args.connections)
                threads = str(min(2, args.connections))
                submit = run_wrk(base, args.seconds, args.connections, script, [part, threads])
            else:
                static = run_python(base, args.seconds, args.connections, None)
                submit = run_python(
                    base, args.seconds, args.connections, lines[turn * size : (turn + 1) * size]
                )
            ratio = round(submit["rps"] / static["rps"], 3)
            rounds.append((static, submit, ratio))
            print(json.dumps({**common, "round": turn + 1, "endpoint": "GET /static/img/logo.svg", **static}))
            print(
                json.dumps(
                    {**common, "round": turn + 1, "endpoint": "POST /r/<token> (new answer)", **submit}
                ),
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=20)
    rows = count_rows(url, instance)
    summary = {
        **common,
        "runs": args.runs,
        "median_static_rps": median([r[0]["rps"] for r in rounds]),
        "median_answer_rps": median([r[1]["rps"] for r in rounds]),
        "median_answer_p99_ms": median([r[1]["p99_ms"] for r in rounds]),
        "answer_non_2xx": sum(r[1]["non_2xx"] for r in rounds),
        "rows_written": rows,
        "ratio_submit_to_static_rps": median([r[2] for r in rounds]),
        "goal": {"ratio": 0.20, "p99_ms": 50},
    }
    print(json.dumps(summary), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3, help="rounds per database (medians are reported)")
    parser.add_argument("--invitations", type=int, default=60_000, help="distinct invitations to answer")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument(
        "--python-client", action="store_true", help="use the Python load generator even if wrk exists"
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", ""),
        help="a Redis database the server enqueues its jobs into (emptied before and after); without it the "
        "jobs an answer triggers (follow-up rules) run inline inside the request, unlike production",
    )
    parser.add_argument("--seed-into", help=argparse.SUPPRESS)  # internal: run in the server's environment
    args = parser.parse_args()
    if args.seed_into:
        seed(args.invitations, args.seed_into)
        return
    print_machine("submit_load", {**vars(args), "jobs": "queued in Redis" if args.redis_url else "INLINE"})
    REDIS["url"] = args.redis_url
    _flush_redis()
    with tempfile.TemporaryDirectory(prefix="clearloop-submit-bench-") as tmp:
        bench("sqlite", f"sqlite:///{tmp}/bench.db", args, tmp)
        if not args.no_pg:
            pg_bench(args, tmp)
    _flush_redis()


def _flush_redis() -> None:
    """Empty the benchmark's own Redis database (the jobs its answers queued; no worker ran them)."""
    if REDIS["url"]:
        import redis

        redis.Redis.from_url(REDIS["url"]).flushdb()


def pg_bench(args: argparse.Namespace, tmp: str) -> None:
    import sqlalchemy as sa

    name = f"clearloop_bench_{os.getpid()}"
    base = sa.make_url(args.pg_url).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        bench("postgresql", base.set(database=name).render_as_string(hide_password=False), args, tmp)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
