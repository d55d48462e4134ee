"""One ``nlp.Analyzer`` per process, rebuilt only when the taxonomy or the trained topic model changed.

Workers build and warm it at start (app/workers.py) and refresh it before each nlp job, which then runs
in the worker process on the warm analyser. The check is one aggregate query on ``topics`` plus reading the
small ``CURRENT`` file of the topic model folder; only a real change rebuilds the pipeline.
"""

from __future__ import annotations

import gc
import logging
import threading
from pathlib import Path
from typing import Any

from flask import current_app

from app.analysis.taxonomy_store import current_taxonomy, ensure_taxonomy, taxonomy_stamp
from app.extensions import db
from nlp import WARM_UP_TEXTS, Analyzer, Taxonomy, ready_for_jobs, warm_up  # noqa: F401 (re-export)

log = logging.getLogger(__name__)

CURRENT_FILE = "CURRENT"  # names the installed model folder inside NLP_TOPIC_MODEL_PATH

_lock = threading.Lock()
_cache: dict[str, Any] = {"key": None, "content": None, "analyzer": None}


def topic_model_root() -> Path:
    """The folder that holds trained topic models (NLP_TOPIC_MODEL_PATH)."""
    return Path(current_app.config["NLP_TOPIC_MODEL_PATH"])


def installed_topic_model() -> Path | None:
    """The topic model workers should load: the folder named by CURRENT, or the root itself if it is one."""
    root = topic_model_root()
    try:
        name = (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        name = ""
    if name and "/" not in name and (root / name).is_dir():
        return root / name
    # An operator may point NLP_TOPIC_MODEL_PATH at a model trained with ``python -m nlp.train``.
    from nlp.topic_model import META_FILE  # lazy, as in nlp.analyzer: the model code loads only when used

    return root if (root / META_FILE).is_file() else None


def _model_marker(path: Path | None) -> str:
    """Identifies an installed model: its folder and the time it was last written."""
    if path is None:
        return "-"
    try:
        return f"{path}@{path.stat().st_mtime_ns}"
    except OSError:
        return "-"


def _build(taxonomy: Taxonomy, model_path: Path | None) -> Analyzer:
    """Build the analyser; a topic model that fails to load is skipped rather than stopping all tagging."""
    base = current_app.config.get("NLP_MODEL") or None
    cache_dir = current_app.config.get("NLP_CACHE_DIR") or None
    if model_path is not None:
        try:
            return Analyzer(
                taxonomy=taxonomy, model=base, topic_model_path=str(model_path), cache_dir=cache_dir
            )
        except Exception:
            log.exception("could not load the topic model at %s; tagging with phrases only", model_path)
    return Analyzer(taxonomy=taxonomy, model=base, cache_dir=cache_dir)


def get_analyzer() -> Analyzer:
    """The process's analyser, rebuilt when the taxonomy rows or the installed topic model changed."""
    stamp = taxonomy_stamp()
    if stamp[0] == 0:  # no topics at all: the tagging path seeds the default taxonomy
        ensure_taxonomy()
        stamp = taxonomy_stamp()
    model_path = installed_topic_model()
    key = (stamp, _model_marker(model_path), current_app.config.get("NLP_MODEL"))
    with _lock:
        analyzer = _cache["analyzer"]
        if analyzer is not None and _cache["key"] == key:
            return analyzer
        taxonomy = current_taxonomy()
        content = (taxonomy.fingerprint(), key[1], key[2])
        if analyzer is None or _cache["content"] != content:
            # A worker froze its heap with the old analyser in it (nlp.ready_for_jobs): frozen objects are
            # never collected, so let the old one go first, and freeze the new one the same way, so that
            # jobs after a taxonomy edit run as the first ones did.
            frozen = gc.get_freeze_count() > 0
            if frozen:
                _cache.update(key=None, content=None, analyzer=None)
                analyzer = None
                gc.unfreeze()
            analyzer = _build(taxonomy, model_path)
            if frozen:
                ready_for_jobs(analyzer)  # warms it, collects the old one, freezes the heap again
            else:
                warm_up(analyzer)
            log.info("analyzer built and warmed: %s", analyzer.version)
        # Same content under a new stamp (e.g. an edit undone): keep the pipeline, remember the stamp.
        _cache.update(key=key, content=content, analyzer=analyzer)
        return analyzer


def refresh_analyzer() -> None:
    """Bring the cached analyser up to date now (the worker calls this before each nlp job)."""
    try:
        get_analyzer()
    finally:
        db.session.remove()  # never hold a transaction (or SQLite's write lock) in the parent


def clear_cache() -> None:
    """Forget the cached analyser (tests, and after a failed build)."""
    with _lock:
        _cache.update(key=None, content=None, analyzer=None)
