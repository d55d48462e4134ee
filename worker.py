"""Run an RQ worker for Clearloop: ``python worker.py [queue ...]`` (default: nlp, mail, default).

The app and the heavy libraries (the spaCy pipeline) are loaded once here. Tagging jobs run in this
process on the warm analyser; mail and default jobs run in a work horse RQ forks per job (database pools
are reset in each child after the fork). Past WORKER_MAX_JOBS tagging jobs or WORKER_MAX_RSS_MB of
memory the process replaces itself by a fresh one (app/workers.py).
Run with ``--burst`` to exit when the queues are empty (tests, one-off backfills).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from rq import Queue

from app import create_app
from app.extensions import db
from app.queue import QUEUES, check_redis_durability
from app.workers import PreloadingWorker, preload, work_through_outages


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, preload, and work."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queues", nargs="*", help="queues to listen on, in priority order")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument(
        "--no-scheduler", action="store_true", help="do not run RQ's scheduler (retries wait)"
    )
    parser.add_argument("--name", help="worker name (default: host and pid)")
    args = parser.parse_args(argv)

    app = create_app({"IS_WORKER": True})
    if app.config["JOBS_INLINE"]:
        raise SystemExit("REDIS_URL is not set: jobs run inline in the web process, no worker is needed.")
    with app.app_context():
        # Builds and warms the analyser, then freezes the heap (nlp.ready_for_jobs): collections during
        # tagging jobs skip the preloaded pipeline and app, and forked work horses share their pages.
        preload()
        engine = db.engine
        # A forked work horse must not reuse the parent's pooled connections.
        os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
        connection = app.extensions["clearloop.redis"]
        check_redis_durability(connection)
        names = args.queues or list(QUEUES)
        queues = [Queue(name, connection=connection) for name in names]
        max_jobs, max_rss = app.config["WORKER_MAX_JOBS"], app.config["WORKER_MAX_RSS_MB"]
        # A Redis outage ends RQ's work loop; a new worker takes over when Redis is back (issue 17 §1).
        fresh_process = work_through_outages(
            lambda: PreloadingWorker(
                queues, connection=connection, name=args.name, max_jobs=max_jobs, max_rss_mb=max_rss
            ),
            connection,
            burst=args.burst,
            with_scheduler=not args.no_scheduler,
        )
    if fresh_process:
        restart()


def restart() -> None:
    """Replace this process by a fresh one running the same command line (the same PID, so a supervisor
    sees no exit): the memory-growth guard's way out."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])  # noqa: S606 (our own command line)


if __name__ == "__main__":
    main()
