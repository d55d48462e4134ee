"""Run mutmut on one module with that module's own tests (``make mutation MODULE=app.auth``).

mutmut reads one test selection for every module (``pytest_add_cli_args_test_selection``), and its first
pass runs all of it. On two shared cores a module is only affordable when its mutants run against the
tests that exercise it, so each module gets a work directory ``mutants/<module>/`` (git-ignored): a copy
of the sources and tests, and a pyproject.toml whose ``[tool.mutmut]`` is the project's with
``source_paths`` set to the module and the test selection set to its entry in
``[tool.clearloop.mutation]``. Results accumulate there between runs; copying again only replaces files
that changed, so a new test is picked up by mutmut's incremental stats.

``python -m tests.tools.mutation_run MODULE [mutmut run args…]`` runs one module (mutant names after it
run those mutants again, e.g. survivors after a new test), ``--all [args…]`` every module in turn;
``python -m tests.tools.mutation_run --results`` prints ``mutmut results --all true`` of every module
that has a work directory (the input of tests/tools/mutation_report.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "mutants"
COPY = ("app", "nlp", "migrations", "tests", "wsgi.py", "worker.py", "babel.cfg")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def settings() -> tuple[dict, dict[str, dict]]:
    """The project's ``[tool.mutmut]`` and the per-module table ``[tool.clearloop.mutation]``."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data["tool"]["mutmut"], data["tool"]["clearloop"]["mutation"]


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


def prepare(module: str) -> Path:
    """Make (or refresh) the module's work directory; returns it."""
    common, modules = settings()
    if module not in modules:
        raise SystemExit(f"unknown module {module!r}; one of: {', '.join(sorted(modules))}")
    entry = modules[module]
    work = WORK / module
    work.mkdir(parents=True, exist_ok=True)
    for name in COPY:
        source, target = ROOT / name, work / name
        if source.is_dir():
            # copy2 keeps modification times, so an unchanged file stays unchanged for mutmut
            shutil.copytree(source, target, dirs_exist_ok=True, ignore=IGNORE, copy_function=_copy_if_changed)
        else:
            _copy_if_changed(source, target)
    config = dict(common)
    config["source_paths"] = [entry["source"]]
    config["pytest_add_cli_args_test_selection"] = entry["tests"]
    config["also_copy"] = [f"{n}/" if (ROOT / n).is_dir() else n for n in COPY]
    config["use_git_change_detection"] = False
    text = "[tool.mutmut]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in config.items())
    # pytest's own settings (markers, test paths) come along
    pytest_part = (ROOT / "pyproject.toml").read_text(encoding="utf-8").split("[tool.pytest.ini_options]", 1)
    if len(pytest_part) == 2:
        text += "\n[tool.pytest.ini_options]" + pytest_part[1].split("\n[tool.", 1)[0]
    if not (work / "pyproject.toml").exists() or (work / "pyproject.toml").read_text() != text:
        (work / "pyproject.toml").write_text(text, encoding="utf-8")
    return work


def _copy_if_changed(source, target) -> str:
    source, target = Path(source), Path(target)
    if target.exists() and target.read_bytes() == source.read_bytes():
        return str(target)
    return shutil.copy2(source, target)


def mutmut() -> str:
    return str(Path(sys.executable).with_name("mutmut"))


def run(module: str, args: list[str]) -> int:
    work = prepare(module)
    # every mutant is a new pytest session: start each from a copy of the migrated schema (tests/conftest.py)
    # and take the app made once in mutmut's main process (tests/conftest.py: _PREMADE)
    env = {
        **os.environ,
        "CLEARLOOP_TEST_SCHEMA_CACHE": str(work / "schema-cache"),
        "CLEARLOOP_TEST_PREMADE_APP": "1",
    }
    env.pop("DATABASE_URL", None)  # SQLite
    return subprocess.call([mutmut(), "run", *args], cwd=work, env=env)


def results() -> int:
    _, modules = settings()
    for module in sorted(modules):
        work = WORK / module
        if (work / "mutants").is_dir():
            out = subprocess.run(
                [mutmut(), "results", "--all", "true"], cwd=work, capture_output=True, text=True, check=False
            )
            sys.stdout.write(out.stdout)
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        raise SystemExit(__doc__)
    if argv[0] == "--results":
        return results()
    if argv[0] == "--all":
        return max(run(module, argv[1:]) for module in sorted(settings()[1]))
    return run(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
