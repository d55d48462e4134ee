"""benchmarks/nlp_throughput.py's fresh-texts mode: every turn a slice of texts neither side has seen."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location(
        "nlp_throughput_bench", ROOT / "benchmarks" / "nlp_throughput.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_fresh_turns_never_give_a_text_twice_nor_one_of_the_warm_up(bench):
    pool = bench.unique(["a", "b", "a", "c", "b"] + [f"t{k}" for k in range(100)])
    assert len(pool) == len(set(pool)) == 103
    warm, turns, cycled = bench.fresh_slices(len(pool), 20, 5, warm=3)
    assert not cycled
    seen = [pool[k] for k in warm] + [pool[k] for idx in turns for k in idx]
    assert len(seen) == len(set(seen)) == 3 + 20 * 5  # no text twice, across turns and the warm-up
    assert all(len(idx) == 20 for idx in turns)


def test_fresh_turns_cycle_only_when_the_corpus_is_too_small_and_say_so(bench):
    _warm, turns, cycled = bench.fresh_slices(50, 20, 5, warm=10)
    assert cycled
    assert all(k >= 10 for idx in turns for k in idx)  # still never the warm-up texts
    assert all(len(set(idx)) == 20 for idx in turns)


def test_the_same_texts_mode_is_the_old_one(bench):
    warm, turns, cycled = bench.same_slices(100, 30, 4, warm=10)
    assert not cycled and warm == list(range(10))
    assert all(idx == list(range(30)) for idx in turns)


def test_the_default_mode_measures_fresh_texts_first_and_prints_both(bench, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(
        bench, "warm_phase", lambda name, kwargs, pool, n, turns, mode, before: calls.append(mode)
    )
    monkeypatch.setattr(bench, "_memory", lambda texts: None)
    monkeypatch.setattr(bench, "pool_texts", lambda corpus, root: [f"t{k}" for k in range(50)])
    monkeypatch.setattr("sys.argv", ["nlp_throughput.py", "--cold-turns", "0", "--n", "10"])
    bench.main()
    assert calls == ["fresh", "same"]
    assert '"machine"' in capsys.readouterr().out


def test_the_warm_phases_build_the_analyser_with_an_nlp_cache_folder_as_a_worker_does(bench, monkeypatch):
    seen = []
    monkeypatch.setattr(bench, "warm_phase", lambda name, kwargs, *rest: seen.append(dict(kwargs)))
    monkeypatch.setattr(bench, "_memory", lambda texts: None)
    monkeypatch.setattr(bench, "pool_texts", lambda corpus, root: [f"t{k}" for k in range(50)])
    monkeypatch.setattr("sys.argv", ["nlp_throughput.py", "--cold-turns", "0", "--mode", "fresh"])
    bench.main()
    monkeypatch.setattr(
        "sys.argv", ["nlp_throughput.py", "--cold-turns", "0", "--mode", "fresh", "--no-nlp-cache"]
    )
    bench.main()
    assert seen[0].get("cache_dir") and "cache_dir" not in seen[1]
