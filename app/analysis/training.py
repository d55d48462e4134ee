"""Train the topic model from the tags people confirmed, install it for workers, and re-tag history.

Which tags count as labels (decided here, explained in the report):
- A response a PM *reviewed* (touched by hand: added, rejected or removed a tag; any manual mention row)
  is gold: its labels are the manual tags plus the phrase tags left standing (not rejected). Its empty
  label set is a real negative.
- While fewer than ``MIN_REVIEWED`` responses are reviewed, phrase-tagged responses are added as weak,
  positive-only examples (minus rejections): the model then learns to generalise the PM's phrases to
  wordings the phrases miss. Untagged unreviewed comments are not used as negatives (the point is to find
  what the phrases missed), and model-made tags are never labels (no self-training loop).
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from app.analysis.errors import AnalysisError
from app.analysis.pipeline import CURRENT_FILE, topic_model_root
from app.analysis.retag import enqueue_retag, queue_retag
from app.audit import audit
from app.extensions import db
from app.models import AnalysisState, Mention, MentionSource, Response, Setting, Topic, utcnow

SETTING_KEY = "nlp.topic_model"
MIN_EXAMPLES = 50
MIN_REVIEWED = 300
MIN_PER_LABEL = 5
MAX_EXAMPLES = 50_000
KEEP_MODELS = 2


def _labels_by_response() -> tuple[dict[int, set[int]], set[int]]:
    """Confirmed topics per response, and the responses a person reviewed."""
    active = set(db.session.execute(sa.select(Topic.id).where(Topic.is_active.is_(True))).scalars())
    labels: dict[int, set[int]] = defaultdict(set)
    rejected: set[tuple[int, int]] = set()
    reviewed: set[int] = set()
    rows = db.session.execute(
        sa.select(Mention.response_id, Mention.topic_id, Mention.source, Mention.rejected).where(
            Mention.source != MentionSource.MODEL
        )
    ).all()
    for response_id, topic_id, source, is_rejected in rows:
        if source == MentionSource.MANUAL:
            reviewed.add(response_id)
            if is_rejected:
                rejected.add((response_id, topic_id))
                continue
        if topic_id in active:
            labels[response_id].add(topic_id)
    for response_id, topic_id in rejected:
        labels[response_id].discard(topic_id)
    return labels, reviewed


def training_examples() -> tuple[list[tuple[str, list[str]]], dict[str, int]]:
    """(text, topic ids) pairs from the database, and how many were reviewed and weak."""
    labels, reviewed = _labels_by_response()
    use_weak = len(reviewed) < MIN_REVIEWED
    wanted = reviewed | ({r for r, ts in labels.items() if ts} if use_weak else set())
    rows = db.session.execute(
        sa.select(Response.id, Response.comment)
        .where(
            Response.analysis_state == AnalysisState.DONE,
            Response.language == "en",
            Response.comment.is_not(None),
        )
        .order_by(Response.id.desc())
    ).all()
    examples = []
    for response_id, comment in rows:
        if response_id in wanted and comment and comment.strip():
            examples.append((comment[:10_000], sorted(str(t) for t in labels.get(response_id, ()))))
            if len(examples) >= MAX_EXAMPLES:
                break
    counts: dict[str, int] = defaultdict(int)
    for _, ts in examples:
        for t in ts:
            counts[t] += 1
    keep = {t for t, n in counts.items() if n >= MIN_PER_LABEL}  # too rare to learn: leave to the phrases
    examples = [(text, [t for t in ts if t in keep]) for text, ts in examples]
    n_reviewed = sum(1 for r, _ in rows if r in reviewed)
    return examples, {"examples": len(examples), "reviewed": n_reviewed, "labels": len(keep)}


def _install(name: str) -> None:
    """Point CURRENT at the new model atomically and prune all but the newest few."""
    root = topic_model_root()
    tmp = root / f".{CURRENT_FILE}.{name}"
    tmp.write_text(name, encoding="utf-8")
    os.replace(tmp, root / CURRENT_FILE)
    models = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True)
    for old in models[KEEP_MODELS:]:
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)


def train_and_install(
    actor_id: int | None = None, epochs: int = 15, log: Callable[[str], Any] = print
) -> dict:
    """Train on the confirmed tags, install the model for workers, record its metrics and start a re-tag."""
    from nlp.train import train_topic_model  # training pulls in heavy code that tagging never needs

    examples, stats = training_examples()
    if len(examples) < MIN_EXAMPLES or not stats["labels"]:
        raise AnalysisError(
            f"Not enough confirmed tags to train: {stats['examples']} examples and {stats['labels']} topics "
            f"with {MIN_PER_LABEL}+ examples (at least {MIN_EXAMPLES} examples are needed)."
        )
    names = {str(t.id): t.name for t in db.session.execute(sa.select(Topic)).scalars()}
    db.session.commit()  # training takes minutes: hold no transaction meanwhile
    root = topic_model_root()
    root.mkdir(parents=True, exist_ok=True)
    name = utcnow().strftime("%Y%m%dT%H%M%S%f")
    meta = train_topic_model(examples, root / name, label_names=names, epochs=epochs, log=log)
    _install(name)
    info = {"trained_at": utcnow().isoformat(), "folder": name, **stats, "meta": meta}
    row = db.session.get(Setting, SETTING_KEY)
    if row is None:
        db.session.add(Setting(key=SETTING_KEY, value=info))
    else:
        row.value = info
    audit(actor_id, "topic_model.train", "topic_model", name, **stats)
    run, needs_job = queue_retag("topic model retrained", actor_id)
    db.session.commit()
    if needs_job:
        enqueue_retag(run.id, 0)
    return info


def model_info() -> dict | None:
    """What the installed topic model was trained on and how it scored, or None."""
    row = db.session.get(Setting, SETTING_KEY)
    return row.value if row is not None else None
