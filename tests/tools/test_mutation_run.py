"""``make mutation``'s per-module runs: every module of the report has a source and tests to run it with,
and a module's work directory gets a mutmut config narrowed to it."""

from __future__ import annotations

import tomllib

from tests.tools import mutation_run
from tests.tools.mutation_report import MODULES


def test_every_reported_module_has_its_source_and_existing_tests():
    _, modules = mutation_run.settings()
    assert set(modules) == set(MODULES)
    for module, entry in modules.items():
        assert (mutation_run.ROOT / entry["source"]).exists(), module
        assert entry["tests"], module
        for path in entry["tests"]:
            assert (mutation_run.ROOT / path).exists(), (module, path)


def test_a_work_directory_mutates_one_module_against_its_own_tests(tmp_path, monkeypatch):
    monkeypatch.setattr(mutation_run, "COPY", ("wsgi.py",))
    monkeypatch.setattr(mutation_run, "WORK", tmp_path)
    work = mutation_run.prepare("app.auth")
    config = tomllib.loads((work / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["mutmut"]["source_paths"] == ["app/auth/"]
    assert config["tool"]["mutmut"]["pytest_add_cli_args_test_selection"] == ["tests/auth/"]
    assert config["tool"]["mutmut"]["pytest_add_cli_args"][-2:] == ["-m", "not browser and not slow"]
    assert "markers" in config["tool"]["pytest"]["ini_options"]
    assert (work / "wsgi.py").read_bytes() == (mutation_run.ROOT / "wsgi.py").read_bytes()
