"""Shared fixtures: one app per session with the schema made by migrations, each test in a rolled-back
transaction, clients signed in per role, and the rule that a missing service skips (or fails in CI).

Environment:
  DATABASE_URL   run the suite on PostgreSQL (the database is reset: point it at a throwaway one)
  REDIS_URL      enable the tests that drive real Redis and real worker processes
  CLEARLOOP_REQUIRE=postgresql,redis,chromium   a test that would skip for lack of a listed service fails
                 instead (``all`` lists every one); CI sets it so nothing is silently skipped
  CLEARLOOP_TEST_SCHEMA_CACHE=DIR   SQLite only: keep the migrated schema in DIR (one file per state of
                 migrations/versions) and start each session from a copy instead of running the migrations
                 again (``make mutation`` sets it: every mutant is a new pytest session)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

REQUIRED = {s.strip().lower() for s in os.environ.get("CLEARLOOP_REQUIRE", "").split(",") if s.strip()}
TEST_PASSWORD = "correct horse battery staple 42"


def need_service(service: str, reason: str) -> None:
    """Skip a test for lack of a service, or fail it when CI requires every service."""
    message = f"{service} unavailable: {reason}"
    if service.lower() in REQUIRED or "all" in REQUIRED:
        pytest.fail(f"{message} (CLEARLOOP_REQUIRE={os.environ['CLEARLOOP_REQUIRE']} forbids skipping)")
    pytest.skip(message)


def pytest_configure(config: pytest.Config) -> None:
    """Keep the checkout's instance/ folder out of test runs."""
    instance = tempfile.mkdtemp(prefix="clearloop-test-instance-")
    os.environ["CLEARLOOP_INSTANCE"] = instance
    os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
    # Every app made in the tests hands out the browser-like client (tests/helpers.py: BrowserClient).
    from tests.helpers import BrowserClient

    Flask.test_client_class = BrowserClient
    _premake_app_for_mutants()


# ``make mutation`` (CLEARLOOP_TEST_PREMADE_APP=1, SQLite only): mutmut forks one pytest session per mutant
# from its main process, and each session made the app again (about 1 s of CPU, most of a killed mutant's
# cost: werkzeug compiles every URL rule, flask-smorest builds the API spec). The main process makes it
# once; a mutant's session takes a copy (the fork's) with its own database engine and instance folder,
# unless the mutated function runs while the app is made: then the mutant needs a fresh app.
_PREMADE: dict[str, Any] = {}


def _mutant_under_test() -> str:
    return os.environ.get("MUTANT_UNDER_TEST", "")


def _premake_app_for_mutants() -> None:
    if (
        not os.environ.get("CLEARLOOP_TEST_PREMADE_APP")
        or _postgres_url()
        or _PREMADE
        or "__mutmut_" in _mutant_under_test()
    ):
        return
    try:
        from mutmut.state import state
    except ImportError:
        return
    from app import create_app

    # mutmut's "stats" mode records each mutated function called: the ones creating the app calls
    before, previous = set(state()._stats), os.environ.get("MUTANT_UNDER_TEST")
    os.environ["MUTANT_UNDER_TEST"] = "stats"
    try:
        application = create_app(test_config("sqlite:///" + os.path.join(tempfile.mkdtemp(), "unused.db")))
        called = set(state()._stats)
    finally:
        state()._stats.clear()
        state()._stats.update(before)
        if previous is None:
            os.environ.pop("MUTANT_UNDER_TEST", None)
        else:
            os.environ["MUTANT_UNDER_TEST"] = previous
    _PREMADE.update(app=application, called=called, instance=application.instance_path)


def _premade_app(database_uri: str) -> Flask | None:
    """The main process's app for this mutant's session (see ``_PREMADE``), or None to make one."""
    mutant = _mutant_under_test()
    if not _PREMADE or "__mutmut_" not in mutant or not database_uri.startswith("sqlite:///"):
        return None
    if mutant.partition("__mutmut_")[0] in _PREMADE["called"]:
        return None
    from app.database import configure_engine
    from app.extensions import db

    application: Flask = _PREMADE["app"]
    instance, old = os.environ["CLEARLOOP_INSTANCE"], _PREMADE["instance"]
    for key, value in list(application.config.items()):
        if isinstance(value, str) and value.startswith(old):
            application.config[key] = instance + value[len(old) :]
    application.instance_path = instance
    application.config["SQLALCHEMY_DATABASE_URI"] = database_uri
    engine = sa.create_engine(database_uri, **application.config["SQLALCHEMY_ENGINE_OPTIONS"])
    configure_engine(engine)
    db._app_engines[application][None] = engine
    return application


def test_config(database_uri: str) -> dict:
    """Config for apps made in tests: inline jobs, outbox mail, cheap password hashing, no rate limits.

    CSRF protection is ON, as in production: the test client posts the token of the rendered form
    (tests/helpers.py: BrowserClient), and ``client.post(..., csrf=False)`` tests the refusal."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": "",
        "MAIL_TRANSPORT": "outbox",
        "SMTP_HOST": "",
        "BASE_URL": "http://localhost",
        "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
    }


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else None


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test database: DATABASE_URL when given (PostgreSQL), else a fresh SQLite file."""
    from app.config import load_config

    if _postgres_url():
        return load_config({"DATABASE_URL": _postgres_url(), "SECRET_KEY": "x"})["SQLALCHEMY_DATABASE_URI"]
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def _sqlite_path(database_uri: str) -> Path:
    return Path(database_uri.removeprefix("sqlite:///"))


def _schema_cache(database_uri: str) -> Path | None:
    """Where CLEARLOOP_TEST_SCHEMA_CACHE keeps the migrated SQLite schema for this state of the migrations."""
    directory = os.environ.get("CLEARLOOP_TEST_SCHEMA_CACHE")
    if not directory or not database_uri.startswith("sqlite:///"):
        return None
    import hashlib

    digest = hashlib.sha256()
    versions = Path(__file__).resolve().parents[1] / "migrations" / "versions"
    for path in sorted(versions.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return Path(directory) / f"schema-{digest.hexdigest()[:16]}.db"


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of an SQLite database (its WAL included), by SQLite's backup API."""
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def reset_schema(engine: sa.Engine) -> None:
    """Drop everything in a PostgreSQL test database so migrations start from empty."""
    if engine.dialect.name != "postgresql":
        return
    name = engine.url.database or ""
    if "test" not in name and "ci" not in name:
        raise RuntimeError(f"refusing to reset database {name!r}: its name must contain 'test' or 'ci'")
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")


@pytest.fixture(scope="session")
def app(database_uri: str) -> Iterator[Flask]:
    """The application, with the schema created once by the migrations."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    cache = _schema_cache(database_uri)
    if cache is not None and cache.exists():
        _sqlite_copy(cache, _sqlite_path(database_uri))
    application = (cache is not None and cache.exists() and _premade_app(database_uri)) or create_app(
        test_config(database_uri)
    )
    if cache is None or not cache.exists():
        with application.app_context():
            reset_schema(db.engine)
            upgrade()
            db.session.remove()
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            partial = cache.with_suffix(f".{os.getpid()}.tmp")
            _sqlite_copy(_sqlite_path(database_uri), partial)
            partial.replace(cache)  # atomic: a concurrent session reads a whole file or none
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _isolate(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run each app test inside a transaction rolled back at the end (unless marked ``committed``)."""
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    if request.node.get_closest_marker("committed"):
        yield
        _truncate(app)
        return
    from app.extensions import db

    # No app context stays pushed during the test: each request must get its own (and its own ``g``).
    with app.app_context():
        engines = db.engines
    engine = engines[None]
    connection = engine.connect()
    transaction = connection.begin()
    engines[None] = connection  # Flask-SQLAlchemy binds sessions through this mapping
    original_session = db.session
    db.session = db._make_scoped_session({"join_transaction_mode": "create_savepoint"})
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = True  # a test that switched CSRF off does not leak it
        # Sessions are removed as each app context ends; restore the engine, then undo everything.
        db.session = original_session
        engines[None] = engine
        transaction.rollback()
        connection.close()


def _truncate(app: Flask) -> None:
    """Delete every row a committed test left behind (keeping the schema)."""
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def db_session(app: Flask):
    """The database session, inside an app context."""
    from app.extensions import db

    with app.app_context():
        yield db.session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """An anonymous test client."""
    return app.test_client()


@pytest.fixture
def login(app: Flask):
    """``login(client, role)`` creates a user of that role and signs the client in through /login."""
    from tests.factories import make_user

    def _login(client: FlaskClient, role: str = "admin", **kwargs):
        with app.app_context():
            user = make_user(role=role, password=TEST_PASSWORD, **kwargs)
            email, user_id = user.email, user.id
        resp = client.post("/login", data={"email": email, "password": TEST_PASSWORD})
        assert resp.status_code == 302, f"sign-in failed: {resp.status_code}"
        return user_id

    return _login


def _role_client(app: Flask, login, role: str) -> FlaskClient:
    client = app.test_client()
    client.user_id = login(client, role)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def admin_client(app, login) -> FlaskClient:
    """A client signed in as an admin."""
    return _role_client(app, login, "admin")


@pytest.fixture
def cs_client(app, login) -> FlaskClient:
    """A client signed in as a CS manager."""
    return _role_client(app, login, "cs")


@pytest.fixture
def pm_client(app, login) -> FlaskClient:
    """A client signed in as a product manager."""
    return _role_client(app, login, "pm")


@pytest.fixture
def viewer_client(app, login) -> FlaskClient:
    """A client signed in as a viewer."""
    return _role_client(app, login, "viewer")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium, or a skip (a failure in CI) when it is not installed."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not path:
        need_service("Chromium", "install Debian's chromium: apt-get install -y chromium")
    return path


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A real Redis server's URL (REDIS_URL), or a skip/fail."""
    url = os.environ.get("REDIS_URL")
    if not url:
        need_service("Redis", "set REDIS_URL=redis://127.0.0.1:6379/15 to run real-worker tests")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        need_service("Redis", f"cannot reach {url}: {exc}")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """DATABASE_URL when it points at PostgreSQL, or a skip/fail."""
    url = _postgres_url()
    if not url:
        need_service("PostgreSQL", "set DATABASE_URL=postgresql://... to run PostgreSQL tests")
    return url


# --- Real parts: a live server, headless Chromium, Redis-backed apps and real worker processes ----------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class LiveServer:
    """The app served by a real WSGI server on a loopback port, in a background thread."""

    def __init__(self, app: Flask) -> None:
        import threading

        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The session app on a real port. Tests using it must be marked ``committed``: the server's
    threads see only committed rows."""
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    """Headless Debian Chromium driven by Playwright (no downloaded browsers)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server: LiveServer):
    """A fresh browser page (own cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


@pytest.fixture
def staff_page(page, app: Flask):
    """``staff_page(role)`` signs a new user of that role in through the real form and returns the page."""
    from tests.factories import make_user

    def _sign_in(role: str = "admin"):
        with app.app_context():
            email = make_user(role=role, password=TEST_PASSWORD).email
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: not url.endswith("/login"))
        return page

    return _sign_in


@pytest.fixture(scope="session")
def redis_app(app: Flask, database_uri: str, redis_url: str) -> Flask:
    """A second app on the same database whose jobs go to real Redis (tests must be ``committed``)."""
    from app import create_app

    return create_app({**test_config(database_uri), "REDIS_URL": redis_url})


@pytest.fixture
def clean_redis(redis_url: str) -> Iterator[None]:
    """Empty the test Redis database before and after the test."""
    import redis

    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    yield
    conn.flushdb()


def worker_env(database_uri: str, redis_url: str) -> dict[str, str]:
    """Environment for a real ``worker.py`` process on the test database and Redis."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_uri,
            "REDIS_URL": redis_url,
            "SECRET_KEY": os.environ["SECRET_KEY"],
            "CLEARLOOP_INSTANCE": os.environ["CLEARLOOP_INSTANCE"],
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.fixture
def worker_process(database_uri: str, redis_url: str):
    """``worker_process(*queues, burst=True)`` starts a real ``python worker.py``; all are stopped after."""
    import signal
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    started: list[subprocess.Popen] = []

    def _start(*queues: str, burst: bool = True, name: str | None = None) -> subprocess.Popen:
        args = [sys.executable, str(root / "worker.py"), *queues]
        if burst:
            args.append("--burst")
        if name:
            args += ["--name", name]
        proc = subprocess.Popen(
            args,
            cwd=root,
            env=worker_env(database_uri, redis_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(proc)
        return proc

    yield _start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# --- A real SMTP server on loopback (aiosmtpd), for mail tests ------------------------------------------


class SmtpRecorder:
    """An aiosmtpd handler that keeps every message and can be told to refuse or drop some of them.

    ``refuse_rcpt(addr, "451 4.3.0 busy", ...)`` answers the next RCPTs for ``addr`` with those replies
    in order; ``always_refuse_rcpt(addr, reply)`` does it forever; ``refuse_data`` is the same for DATA;
    ``drop_during_data(addr)`` closes the connection instead of answering DATA (outcome unknown).
    """

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.connections = 0
        self.rcpt_replies: dict[str, list[str]] = {}
        self.rcpt_always: dict[str, str] = {}
        self.data_replies: dict[str, list[str]] = {}
        self.drop_data: set[str] = set()

    def refuse_rcpt(self, address: str, *replies: str) -> None:
        """Answer the next RCPTs for ``address`` with these replies."""
        self.rcpt_replies.setdefault(address.lower(), []).extend(replies)

    def always_refuse_rcpt(self, address: str, reply: str) -> None:
        """Answer every RCPT for ``address`` with ``reply``."""
        self.rcpt_always[address.lower()] = reply

    def refuse_data(self, address: str, *replies: str) -> None:
        """Answer the next DATAs of messages to ``address`` with these replies."""
        self.data_replies.setdefault(address.lower(), []).extend(replies)

    def drop_during_data(self, address: str) -> None:
        """Close the connection while a message to ``address`` is being sent."""
        self.drop_data.add(address.lower())

    def recipients(self) -> list[str]:
        """Every accepted recipient, in order (duplicates kept: that is what tests count)."""
        return [rcpt.lower() for _, rcpts, _ in self.messages for rcpt in rcpts]

    def parsed(self) -> list:
        """The accepted messages, parsed with the standard ``email`` package."""
        import email
        from email.policy import default

        return [email.message_from_bytes(raw, policy=default) for _, _, raw in self.messages]

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        if key in self.rcpt_always:
            return self.rcpt_always[key]
        queued = self.rcpt_replies.get(key)
        if queued:
            return queued.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            key = rcpt.lower()
            if key in self.drop_data:
                server.transport.close()
                return "250 OK (never seen by the client)"
            queued = self.data_replies.get(key)
            if queued:
                return queued.pop(0)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


class SmtpServer:
    """A running loopback SMTP server: ``host``, ``port`` and its ``recorder``."""

    def __init__(self) -> None:
        import socket

        from aiosmtpd.controller import Controller

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.recorder = SmtpRecorder()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=port)
        self.controller.start()
        self.host, self.port = "127.0.0.1", port

    def stop(self) -> None:
        """Stop the server."""
        self.controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free loopback port, recording what it accepts."""
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def rows(app: Flask) -> Callable[..., Any]:
    """``rows(fn)`` runs ``fn()`` in an app context and commits; returns its rows as ids."""

    def _run(fn: Callable[[], Any]) -> Any:
        from app.extensions import db

        with app.app_context():
            result = fn()
            db.session.commit()
            if isinstance(result, list):
                return [getattr(r, "id", r) for r in result]
            return getattr(result, "id", result)

    return _run
