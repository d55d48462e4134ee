"""A disk cache for the analyser's constructed pieces (typo index, word list, matcher tables, models).

Building them costs most of a cold ``Analyzer()``; loading them back from one pickle is several times
cheaper. A cache file is named by a hash of everything it was built from: the ``nlp`` package's code and
data files, the libraries whose data or behaviour goes in (spaCy, vaderSentiment, pyspellchecker, numpy,
Python) and the caller's own inputs (taxonomy, options, base model). Change any of them and the name
changes, so a stale file is never read; it is deleted when its replacement is written.

Safe against concurrent builders: a file is written under a temporary name in the same directory and
renamed into place (atomic on POSIX), so a reader sees a whole file or none; two builders racing both
write whole files and the last rename wins. A file that cannot be read (truncated, corrupt, written by
another version) is ignored and rebuilt. The directory is the operator's (the instance folder by default
in the app): a pickle is only ever read from there, never from user input.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
FORMAT = 1  # bump when the layout of what is cached changes without any input file changing
_LIBRARIES = ("spacy", "vaderSentiment", "pyspellchecker", "numpy", "PyStemmer", "rapidfuzz")


def _package_files() -> list[Path]:
    root = Path(__file__).resolve().parent
    files = sorted(root.glob("*.py")) + sorted(p for p in (root / "data").rglob("*") if p.is_file())
    return files


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the ``nlp`` package's source and data files and the versions of the libraries it builds
    from (once per process: ~5 ms)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"format={FORMAT};python={sys.version_info[:3]}".encode())
    for name in _LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        h.update(f";{name}={version}".encode())
    root = Path(__file__).resolve().parent
    for path in _package_files():
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def inputs_key(*parts: str) -> str:
    """Hash of the caller's own inputs (taxonomy JSON, options, base model, ...)."""
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()


def load_or_build(name: str, inputs: str, build: Callable[[], T], cache_dir: str | Path | None) -> T:
    """``build()``'s result, read from ``cache_dir`` when a readable file for this code and these
    ``inputs`` (an :func:`inputs_key`) is there, else built and written there atomically.
    ``cache_dir`` None: always built, nothing read or written."""
    if cache_dir is None:
        return build()
    directory = Path(cache_dir)
    code = code_fingerprint()
    path = directory / f"{name}-{code}-{inputs}.pickle"
    try:
        with path.open("rb") as fh:
            stored_code, stored_inputs, value = pickle.load(fh)  # noqa: S301 - our own folder
        if (stored_code, stored_inputs) == (code, inputs):
            return value
        log.warning("ignoring the NLP cache file %s: it was built from other inputs", path)
    except FileNotFoundError:
        pass
    except Exception:  # truncated, corrupt or unreadable: rebuild and replace it
        log.warning("ignoring an unreadable NLP cache file %s; rebuilding it", path, exc_info=True)
    value = build()
    _write(directory, name, code, path, (code, inputs, value))
    return value


KEEP = 8  # files per name and code version (one per taxonomy in use; older ones are deleted)


def _write(directory: Path, name: str, code: str, path: Path, payload: tuple) -> None:
    """Write ``payload`` to ``path`` through a temporary file and a rename, then delete the files of
    ``name`` built by other code and all but the ``KEEP`` newest. A cache that cannot be written
    (read-only folder, full disk) only costs the next process a build."""
    tmp = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        tmp = None
    except Exception:
        log.warning("could not write the NLP cache file %s", path, exc_info=True)
        return
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    mine: list[tuple[float, Path]] = []
    for old in directory.glob(f"{name}-*.pickle"):
        try:
            if old.name.startswith(f"{name}-{code}-"):
                mine.append((old.stat().st_mtime, old))
            else:
                old.unlink()
        except OSError:
            pass
    for _, old in sorted(mine, reverse=True)[KEEP:]:
        if old != path:
            with contextlib.suppress(OSError):
                old.unlink()
