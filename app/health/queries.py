"""Read models of health: an account's latest snapshot, its components in words, and its history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.health.model import BY_KEY
from app.models import HealthSnapshot

BAND_LABELS = {
    "healthy": "Healthy",
    "watch": "Watch",
    "at_risk": "At risk",
    "insufficient": "Insufficient data",
}
BAND_STYLE = {"healthy": "good", "watch": "warn", "at_risk": "bad", "insufficient": "neutral"}


@dataclass(frozen=True)
class AccountHealth:
    """What the account page shows about health."""

    latest: HealthSnapshot
    components: list[dict[str, Any]]
    sparkline: str  # polyline points, oldest first
    history: list[HealthSnapshot]

    @property
    def band_label(self) -> str:
        """The band in words."""
        return BAND_LABELS[self.latest.band.value]

    @property
    def band_style(self) -> str:
        """The badge style of the band."""
        return BAND_STYLE[self.latest.band.value]


def account_health(account_id: int, days: int = 180) -> AccountHealth | None:
    """The newest snapshot of an account with up to ``days`` snapshots of history, or None."""
    history = list(
        db.session.execute(
            sa.select(HealthSnapshot)
            .where(HealthSnapshot.account_id == account_id)
            .order_by(HealthSnapshot.as_of.desc())
            .limit(days)
        ).scalars()
    )[::-1]
    if not history:
        return None
    latest = history[-1]
    comps = latest.components or {}
    weights, points, raw = comps.get("weights", {}), comps.get("points", {}), comps.get("raw", {})
    rows = []
    for key, component in BY_KEY.items():
        rows.append(
            {
                "label": component.label,
                "weight": weights.get(key, component.weight),
                "raw": raw.get(key),
                "points": points.get(key),
                "key": key,
            }
        )
    step = 120 / max(len(history) - 1, 1)
    spark = " ".join(f"{i * step:.1f},{28 - 26 * s.score / 100:.1f}" for i, s in enumerate(history))
    return AccountHealth(latest, rows, spark, history)
