"""The admin-edited health model: versions saved as new rows (never edited), the one in force, what a
version changed in words, and a preview of how many accounts a new version would move to another band."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.audit import audit
from app.extensions import db
from app.health import model
from app.models import Account, HealthModelVersion, HealthSnapshot


def _spec(row: HealthModelVersion) -> model.Spec:
    return model.Spec(
        str(row.version),
        {k: float(v) for k, v in row.weights.items()},
        {k: [(float(x), float(y)) for x, y in v] for k, v in row.anchors.items()},
        {stage: {k: float(v) for k, v in w.items()} for stage, w in (row.profiles or {}).items()},
    )


def active_spec() -> model.Spec:
    """The newest saved version, else the built-in model."""
    row = db.session.execute(
        sa.select(HealthModelVersion).order_by(HealthModelVersion.version.desc()).limit(1)
    ).scalar_one_or_none()
    return _spec(row) if row is not None else model.default_spec()


def spec_of_version(version: str) -> model.Spec | None:
    """A saved version (or the built-in one) by its number."""
    if version == model.VERSION:
        return model.default_spec()
    if not version.isdigit():
        return None
    row = db.session.execute(
        sa.select(HealthModelVersion).where(HealthModelVersion.version == int(version))
    ).scalar_one_or_none()
    return _spec(row) if row is not None else None


def history() -> list[HealthModelVersion]:
    """Every saved version, newest first."""
    return list(
        db.session.execute(
            sa.select(HealthModelVersion).order_by(HealthModelVersion.version.desc())
        ).scalars()
    )


def _label(key: str) -> str:
    return model.BY_KEY[key].label.split(" (")[0]


def describe_changes(old: model.Spec, new: model.Spec) -> list[str]:
    """What ``new`` changes from ``old``, one phrase per change ("NPS weight 25 → 30")."""
    out = []
    for key in model.BY_KEY:
        before, after = old.weights.get(key, 0.0), new.weights.get(key, 0.0)
        if before != after:
            out.append(f"{_label(key)} weight {before:g} → {after:g}")
        if [tuple(a) for a in old.anchors.get(key, [])] != [tuple(a) for a in new.anchors.get(key, [])]:
            out.append(f"{_label(key)} anchors {model.format_anchors(new.anchors.get(key, []))}")
    for stage in model.PROFILE_STAGES:
        before_p, after_p = old.profiles.get(stage), new.profiles.get(stage)
        name = stage.capitalize()
        if before_p and not after_p:
            out.append(f"{name} profile removed")
        elif after_p and not before_p:
            out.append(f"{name} profile added")
        elif before_p != after_p:
            moved = [
                f"{_label(k)} {before_p.get(k, 0):g} → {after_p.get(k, 0):g}"
                for k in model.BY_KEY
                if before_p.get(k, 0) != after_p.get(k, 0)
            ]
            out.append(f"{name} profile: " + ", ".join(moved))
    return out


@dataclass(frozen=True)
class Preview:
    """How a candidate version would band the accounts' latest snapshots."""

    scored: int  # accounts with a snapshot to rescore
    changed: int
    moves: dict[str, int]  # "watch → at_risk": count


def preview(spec: model.Spec) -> Preview:
    """Rescore every live account's latest snapshot (its stored raw values) under ``spec``: how many change
    band, with the same hysteresis the next recompute applies (the snapshot's band as the previous one)."""
    newest = (
        sa.select(HealthSnapshot.account_id, sa.func.max(HealthSnapshot.as_of).label("as_of"))
        .group_by(HealthSnapshot.account_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(HealthSnapshot.band, HealthSnapshot.components, Account.lifecycle_stage)
        .join(
            newest,
            sa.and_(HealthSnapshot.account_id == newest.c.account_id, HealthSnapshot.as_of == newest.c.as_of),
        )
        .join(Account, Account.id == HealthSnapshot.account_id)
        .where(Account.churned_on.is_(None))
    )
    scored = changed = 0
    moves: dict[str, int] = {}
    for band, components, stage in rows:
        raw = (components or {}).get("raw") or {}
        scored += 1
        now = model.band(spec.score(raw, stage.value if stage else None), band.value)
        if now != band.value:
            changed += 1
            key = f"{band.value} → {now}"
            moves[key] = moves.get(key, 0) + 1
    return Preview(scored, changed, moves)


def save_version(spec: model.Spec, actor_id: int | None) -> tuple[HealthModelVersion, Preview]:
    """Store ``spec`` as the next version (in force from the next recompute), audited; the caller commits."""
    current = active_spec()
    last = db.session.execute(sa.select(sa.func.max(HealthModelVersion.version))).scalar()
    number = max(last or 0, int(model.VERSION)) + 1
    changes = describe_changes(current, spec) or ["Saved without changes"]
    before = preview(spec)
    row = HealthModelVersion(
        version=number,
        weights=dict(spec.weights),
        anchors={k: [list(a) for a in v] for k, v in spec.anchors.items()},
        profiles={k: dict(v) for k, v in spec.profiles.items()},
        changes=changes,
        created_by_id=actor_id,
    )
    db.session.add(row)
    db.session.flush()
    details: dict[str, Any] = {"version": number, "previous": current.version, "changes": changes}
    details["would_change_band"] = before.changed
    audit(actor_id, "health_model.save", "health_model", number, **details)
    return row, before
