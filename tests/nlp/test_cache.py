"""The NLP construction cache (nlp.cache): read back when its inputs are unchanged, rebuilt when they
change or the file is unreadable, safe with several processes building at once, and the analyser built
from it gives exactly the golden results."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from nlp import Analyzer, Taxonomy, cache, components
from tests.nlp.test_golden import _compare, load

ROOT = Path(__file__).resolve().parents[2]


def _files(d: Path) -> list[Path]:
    return sorted(d.glob("*.pickle"))


class Builds:
    """A build function that counts its calls."""

    def __init__(self, value):
        self.value = value
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.value


def test_a_second_load_reads_the_file_instead_of_building(tmp_path):
    build = Builds({"a": (1, 2)})
    assert cache.load_or_build("t", cache.inputs_key("x"), build, tmp_path) == {"a": (1, 2)}
    again = Builds({"b": 0})
    assert cache.load_or_build("t", cache.inputs_key("x"), again, tmp_path) == {"a": (1, 2)}
    assert (build.calls, again.calls) == (1, 0)
    assert len(_files(tmp_path)) == 1
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file is left behind"


def test_no_cache_dir_always_builds_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    build = Builds(1)
    for _ in range(2):
        cache.load_or_build("t", cache.inputs_key("x"), build, None)
    assert build.calls == 2
    assert not list(tmp_path.rglob("*"))


def test_other_inputs_are_built_and_kept_apart(tmp_path):
    assert cache.load_or_build("t", cache.inputs_key("tax-1"), Builds(1), tmp_path) == 1
    assert cache.load_or_build("t", cache.inputs_key("tax-2"), Builds(2), tmp_path) == 2
    # both stay: two taxonomies in use are two valid files
    assert cache.load_or_build("t", cache.inputs_key("tax-1"), Builds(3), tmp_path) == 1
    assert len(_files(tmp_path)) == 2


def test_changed_code_or_data_rebuilds_and_deletes_the_stale_file(tmp_path, monkeypatch):
    key = cache.inputs_key("x")
    cache.load_or_build("t", key, Builds("old"), tmp_path)
    old_files = _files(tmp_path)
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "0" * 32)
    build = Builds("new")
    assert cache.load_or_build("t", key, build, tmp_path) == "new"
    assert build.calls == 1
    assert not any(f.exists() for f in old_files), "the file of the old code is deleted"
    assert len(_files(tmp_path)) == 1


def test_the_code_fingerprint_covers_the_package_data(tmp_path, monkeypatch):
    """A changed model or word-list file changes the fingerprint (so no stale tables are read)."""
    fake = tmp_path / "nlp"
    (fake / "data").mkdir(parents=True)
    (fake / "x.py").write_text("x = 1\n")
    (fake / "data" / "model.npz").write_bytes(b"one")
    monkeypatch.setattr(cache, "_package_files", lambda: sorted(fake.rglob("*.*")))
    monkeypatch.setattr(cache, "__file__", str(fake / "cache.py"))
    fingerprints = []
    for content in (b"one", b"two"):
        (fake / "data" / "model.npz").write_bytes(content)
        cache.code_fingerprint.cache_clear()
        fingerprints.append(cache.code_fingerprint())
    cache.code_fingerprint.cache_clear()
    assert fingerprints[0] != fingerprints[1]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "other inputs"])
def test_an_unreadable_or_foreign_file_is_ignored_and_rebuilt(tmp_path, damage):
    key = cache.inputs_key("x")
    cache.load_or_build("t", key, Builds(list(range(1000))), tmp_path)
    (path,) = _files(tmp_path)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x80\x05not a pickle at all")
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a whole, valid pickle, but of other inputs (copied or renamed by hand)
        code, _inputs, _value = pickle.loads(data)  # noqa: S301 - the file the test just wrote
        path.write_bytes(pickle.dumps((code, cache.inputs_key("y"), "wrong")))
    build = Builds("rebuilt")
    assert cache.load_or_build("t", key, build, tmp_path) == "rebuilt"
    assert build.calls == 1
    # and the replacement is whole: the next load reads it
    assert cache.load_or_build("t", key, Builds("again"), tmp_path) == "rebuilt"


def test_an_unwritable_cache_dir_still_builds(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert cache.load_or_build("t", cache.inputs_key("x"), Builds(5), blocker / "sub") == 5


CONCURRENT = r"""
import json, sys
from nlp import Analyzer
an = Analyzer(cache_dir=sys.argv[1])
print(json.dumps(an.analyze_one("The dashbord export is broken, we are switching to Qualtrics.").to_dict()))
"""


def test_concurrent_builders_all_succeed_and_leave_one_whole_file(tmp_path):
    """Four fresh processes build the same pieces at once: each gets a whole analyser, one file stays
    (each writes a temporary file and renames it), and a later process reads it."""
    env = {"PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT, str(tmp_path)],
            cwd=ROOT,
            env={**__import__("os").environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    results = {o for o, _ in outs}
    assert len(results) == 1
    assert len(_files(tmp_path)) == 1
    assert not list(tmp_path.glob(".*.tmp"))
    again = subprocess.run(
        [sys.executable, "-c", CONCURRENT, str(tmp_path)],
        cwd=ROOT,
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert again.stdout == results.pop()
    assert json.loads(again.stdout)["sentiment"]["label"] == "negative"


def test_the_analyser_from_the_cache_gives_the_golden_results(tmp_path, monkeypatch):
    Analyzer(cache_dir=tmp_path)  # builds and writes

    def no_build(*args):
        raise AssertionError("built although the cache holds the pieces")

    monkeypatch.setattr(components, "_pieces", no_build)
    an = Analyzer(cache_dir=tmp_path)
    _head, rows = load()
    _compare(an.analyze([row["text"] for row in rows]), rows)


def test_an_edited_taxonomy_is_not_read_from_the_cache(tmp_path):
    base = Taxonomy.default().to_dict()
    an = Analyzer(cache_dir=tmp_path)
    text = "The frobnicator widget is slow."
    assert "frob" not in an.analyze_one(text).topic_ids
    edited = json.loads(json.dumps(base))
    edited["topics"].append(
        {"id": "frob", "name": "Frobnicator", "parent_id": None, "phrases": ["frobnicator widget"]}
    )
    an2 = Analyzer(taxonomy=Taxonomy.from_dict(edited), cache_dir=tmp_path)
    assert "frob" in an2.analyze_one(text).topic_ids
    assert len(_files(tmp_path)) == 2
