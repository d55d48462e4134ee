"""Check mutants that only PostgreSQL reaches (``make mutation`` runs on SQLite), e.g. delivery's
one-statement in-flight mark: ``python -m tests.tools.mutation_pg MODULE TEST… -- MUTANT…``.

``make mutation`` runs on SQLite (one pytest session per mutant, each from a cached schema); a code path
that only runs on PostgreSQL is "no tests" or a survivor there. This runs, in the module's mutmut work
directory (``mutants/<module>/mutants``, made by ``make mutation MODULE=…``), one pytest session on
``DATABASE_URL`` in which every given test runs once per given mutant (this file is also the pytest plugin
that parametrizes them; mutmut's trampolines read ``MUTANT_UNDER_TEST`` at each call), and prints each
mutant as killed (a test failed) or survived. ``--record`` writes the kills into mutmut's results, so
``make mutation``'s report counts them (survivors are left as mutmut found them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = [m for m in os.environ.get("CLEARLOOP_PG_MUTANTS", "").split(",") if m]
_FAILED: dict[str, set[str]] = defaultdict(set)


@pytest.fixture(autouse=True)
def _mutant(request):
    name = getattr(request, "param", "")
    os.environ["MUTANT_UNDER_TEST"] = name
    yield name
    os.environ["MUTANT_UNDER_TEST"] = ""


def pytest_generate_tests(metafunc):
    if MUTANTS and "_mutant" in metafunc.fixturenames:
        metafunc.parametrize(
            "_mutant", MUTANTS, indirect=True, ids=[f"mutant{i}" for i in range(len(MUTANTS))]
        )


def pytest_runtest_logreport(report):
    if report.failed and "[" in report.nodeid:
        mutant = report.nodeid.rpartition("[")[2].rstrip("]")
        _FAILED[mutant].add(report.nodeid.partition("[")[0])


def pytest_sessionfinish(session):
    out = os.environ.get("CLEARLOOP_PG_RESULTS")
    if out:
        Path(out).write_text(json.dumps({k: sorted(v) for k, v in _FAILED.items()}), encoding="utf-8")


def main(argv: list[str]) -> int:
    record = "--record" in argv
    argv = [a for a in argv if a != "--record"]
    if "--" not in argv or len(argv) < 4 or not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit(__doc__)
    module, tests = argv[0], argv[1 : argv.index("--")]
    mutants = argv[argv.index("--") + 1 :]
    work = ROOT / "mutants" / module / "mutants"
    shutil.copy2(__file__, work / "tests" / "tools" / "mutation_pg.py")  # the plugin, as in this checkout
    results = work / "pg-results.json"
    env = {**os.environ, "CLEARLOOP_PG_MUTANTS": ",".join(mutants), "CLEARLOOP_PG_RESULTS": str(results)}
    env.pop("CLEARLOOP_TEST_SCHEMA_CACHE", None)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "tests.tools.mutation_pg",
    ]
    subprocess.call([*command, *tests], cwd=work, env=env)
    failed = json.loads(results.read_text(encoding="utf-8")) if results.exists() else {}
    killed = [m for i, m in enumerate(mutants) if f"mutant{i}" in failed]
    for mutant in mutants:
        print(f"{'killed' if mutant in killed else 'survived'}: {mutant}")
    if record and killed:
        _record(work, killed)
    return 0


def _record(work: Path, killed: list[str]) -> None:
    """Mark the killed mutants as killed (exit code 1) in mutmut's ``.meta`` file of their source."""
    by_meta = defaultdict(list)
    for mutant in killed:
        path = mutant.partition(".x")[0].replace(".", "/") + ".py"
        by_meta[work / (path + ".meta")].append(mutant)
    for meta, names in by_meta.items():
        data = json.loads(meta.read_text(encoding="utf-8"))
        for name in names:
            data["exit_code_by_key"][name] = 1
        meta.write_text(json.dumps(data, indent=4), encoding="utf-8")
        print(f"recorded {len(names)} kills in {meta.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
