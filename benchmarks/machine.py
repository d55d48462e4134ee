"""What every benchmark prints first: the machine (cores, load average at start, Python, SQLite and
PostgreSQL client versions) and the settings it ran with, as one JSON line, so a figure can be judged
and rerun. Figures taken with a load average near or above the core count come from a busy machine:
compare the ratios of one run, not absolute rates across runs.

    from benchmarks.machine import print_machine, median
    print_machine("submit_load", vars(args))
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import sys
from datetime import UTC, datetime
from typing import Any


def machine() -> dict[str, Any]:
    """Cores, load averages (1, 5, 15 min) and versions of this machine, now."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on Linux/macOS
        load = None
    cores = os.cpu_count() or 1
    return {
        "cores": cores,
        "load_average": load,
        "busy": bool(load and load[0] >= 0.75 * cores),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(terse=True),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def print_machine(bench: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Print the benchmark's first JSON line (machine and settings) and return the machine part."""
    info = machine()
    shown = {k: v for k, v in settings.items() if not k.startswith("_") and "password" not in k.lower()}
    print(json.dumps({"bench": bench, "machine": info, "settings": shown, "argv": sys.argv[1:]}), flush=True)
    return info


def median(values: list[float]) -> float:
    """The median, rounded for printing."""
    return round(statistics.median(values), 3)
