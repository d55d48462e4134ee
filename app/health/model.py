"""The health model, pure: components mapped to 0–100 by piecewise-linear anchors, a weighted mean over the
components present (renormalised, with coverage), bands with hysteresis, and why a score moved.

No database here: app/health/inputs.py measures the raw values as of a date; this module scores them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

VERSION = "3"  # 3: ARR trend added (NPS 25 → 20, sentiment 15 → 10)
INSUFFICIENT_COVERAGE = 0.5
AT_RISK_BELOW, AT_RISK_LEAVE = 40.0, 45.0  # hysteresis: enter below 40, leave at 45 or more
HEALTHY_FROM, HEALTHY_KEEP = 70.0, 65.0  # enter at 70, stay down to 65


@dataclass(frozen=True)
class Component:
    """One input of health: its weight (of 100) and anchors (raw value, points) between which it is linear."""

    key: str
    label: str
    weight: float
    anchors: tuple[tuple[float, float], ...]
    unit: str = ""

    def points(self, raw: float, anchors: Sequence[Sequence[float]] | None = None) -> float:
        """The raw value on the 0–100 scale; flat beyond the first and last anchors (no cliffs).

        ``anchors`` replaces the built-in ones (an admin-edited model version)."""
        xs = anchors or self.anchors
        if raw <= xs[0][0]:
            return xs[0][1]
        for (x0, y0), (x1, y1) in pairwise(xs):
            if raw <= x1:
                return y0 + (y1 - y0) * (raw - x0) / (x1 - x0)
        return xs[-1][1]


COMPONENTS: tuple[Component, ...] = (
    Component(
        "nps",
        "NPS (latest answer per contact, 90-day half-life, shrunk)",
        20,
        ((-60, 0), (-20, 25), (0, 45), (30, 75), (60, 100)),
        " pts",
    ),
    Component("csat", "CSAT (180 days)", 10, ((40, 0), (70, 50), (90, 100)), " %"),
    Component("ces", "CES (180 days)", 5, ((3, 0), (5, 60), (6.5, 100))),
    Component("sentiment", "Sentiment of recent comments", 10, ((-0.5, 0), (0, 55), (0.5, 100))),
    Component(
        "negative_topics", "Comments with a negative topic mention", 10, ((0, 100), (0.3, 50), (0.7, 0)), " %"
    ),
    Component("silence", "Response rate (180 days)", 15, ((0, 0), (0.15, 40), (0.4, 100)), " %"),
    Component("followups", "Open and overdue follow-ups", 10, ((0, 100), (2, 60), (6, 0))),
    Component("renewal", "Days to renewal", 10, ((0, 40), (90, 70), (365, 100)), " days"),
    Component("arr_trend", "ARR trend (180 days)", 10, ((-0.3, 0), (-0.1, 35), (0, 70), (0.2, 100)), " %"),
)
BY_KEY = {c.key: c for c in COMPONENTS}


def validate_weights(weights: Mapping[str, float]) -> list[str]:
    """Problems with a set of weights, in words (empty when fine): known keys, ≥ 0, summing to 100."""
    problems = [f"Unknown component “{k}”." for k in weights if k not in BY_KEY]
    problems += [
        f"The weight of {BY_KEY[k].label} cannot be negative."
        for k, w in weights.items()
        if w < 0 and k in BY_KEY
    ]
    total = sum(weights.values())
    if abs(total - 100) > 1e-9:
        problems.append(f"Weights must add up to 100; these add up to {total:g}.")
    return problems


def validate_anchors(key: str, anchors: Sequence[Sequence[float]]) -> list[str]:
    """Problems with one component's anchors: at least two, raw values strictly increasing, points 0–100."""
    label = BY_KEY[key].label.split(" (")[0]
    if len(anchors) < 2:
        return [f"{label}: give at least two anchors (raw value: points)."]
    problems = []
    xs = [x for x, _ in anchors]
    if any(b <= a for a, b in pairwise(xs)):
        problems.append(f"{label}: the raw values of the anchors must increase from left to right.")
    if any(not 0 <= y <= 100 for _, y in anchors):
        problems.append(f"{label}: points must lie between 0 and 100.")
    return problems


def parse_anchors(text: str) -> list[tuple[float, float]]:
    """ "-60: 0, 0: 45, 60: 100" → [(-60, 0), (0, 45), (60, 100)]; ValueError with a message otherwise."""
    out = []
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        x, sep, y = part.partition(":")
        if not sep:
            raise ValueError(f"“{part.strip()}” is not of the form raw value: points.")
        try:
            pair = (float(x), float(y))
        except ValueError:
            raise ValueError(f"“{part.strip()}” is not two numbers (raw value: points).") from None
        if any(v != v or v in (float("inf"), float("-inf")) for v in pair):
            raise ValueError(f"“{part.strip()}” is not two finite numbers.")
        out.append(pair)
    return out


def format_anchors(anchors: Sequence[Sequence[float]]) -> str:
    """The text form of anchors, as the settings page edits them."""
    return ", ".join(f"{x:g}: {y:g}" for x, y in anchors)


# Stages a profile may weigh differently. At risk and churned are outcomes, never inputs of health.
PROFILE_STAGES = ("onboarding", "adoption", "growth", "renewal", "expansion")


@dataclass(frozen=True)
class Spec:
    """One version of the health model: base weights, anchors, and optional weights per lifecycle stage."""

    version: str
    weights: dict[str, float]
    anchors: dict[str, list[tuple[float, float]]]
    profiles: dict[str, dict[str, float]] = field(default_factory=dict)

    def weights_for(self, stage: str | None) -> dict[str, float]:
        """The weights an account in ``stage`` is scored with (its stage's profile, else the base)."""
        return dict(self.profiles.get(stage or "", self.weights))

    def score(self, raw: Mapping[str, float | None], stage: str | None = None) -> Health:
        """Health of raw values under this version (the stage's profile when there is one)."""
        return score(raw, self.weights_for(stage), self.anchors)


def default_spec() -> Spec:
    """The built-in model (version 2), in force until an admin saves a version of their own."""
    return Spec(
        VERSION,
        {c.key: float(c.weight) for c in COMPONENTS},
        {c.key: [tuple(a) for a in c.anchors] for c in COMPONENTS},
    )


@dataclass(frozen=True)
class Health:
    """A score with the per-component points and weights it came from."""

    score: float | None  # None when nothing at all is measured
    coverage: float  # share of the total weight whose component was measured
    points: dict[str, float]  # component -> 0–100 (measured components only)
    raw: dict[str, float]
    weights: dict[str, float]

    def contribution(self, key: str) -> float:
        """This component's share of the score: weight × points / the weight present."""
        present = sum(self.weights[k] for k in self.points)
        return self.weights[key] * self.points[key] / present if key in self.points and present else 0.0


def score(
    raw: Mapping[str, float | None],
    weights: Mapping[str, float] | None = None,
    anchors: Mapping[str, Sequence[Sequence[float]]] | None = None,
) -> Health:
    """Weighted mean of the measured components' points; missing ones left out, the rest renormalised."""
    weights = dict(weights or {c.key: c.weight for c in COMPONENTS})
    anchors = anchors or {}
    measured = {k: float(v) for k, v in raw.items() if v is not None and k in weights and weights[k] > 0}
    points = {k: BY_KEY[k].points(v, anchors.get(k)) for k, v in measured.items()}
    present = sum(weights[k] for k in points)
    total = sum(weights.values()) or 1.0
    value = sum(weights[k] * points[k] for k in points) / present if present else None
    return Health(value, present / total, points, measured, weights)


def band(health: Health, previous: str | None = None) -> str:
    """healthy / watch / at_risk with hysteresis, or "insufficient" under 50 % coverage (never healthy)."""
    if health.score is None or health.coverage < INSUFFICIENT_COVERAGE:
        return "insufficient"
    s = health.score
    if s < AT_RISK_BELOW or (previous == "at_risk" and s < AT_RISK_LEAVE):
        return "at_risk"
    if s >= HEALTHY_FROM or (previous == "healthy" and s >= HEALTHY_KEEP):
        return "healthy"
    return "watch"


@dataclass(frozen=True)
class Movement:
    """How a score moved: per-component deltas of contribution plus the renormalisation term."""

    delta: float
    parts: dict[str, float] = field(default_factory=dict)
    renormalisation: float = 0.0


def movement(before: Health, after: Health) -> Movement | None:
    """Split after − before into per-component parts that add up exactly (with the renormalisation term).

    A component's part is its contribution under the after-weights' denominator minus its contribution
    before under the same denominator; what changing the set of measured components does to the rest is
    the renormalisation term, before × (weight present before / weight present after − 1).
    """
    if before.score is None or after.score is None:
        return None
    present_after = sum(after.weights[k] for k in after.points)
    present_before = sum(before.weights[k] for k in before.points)
    parts = {}
    for key in set(before.points) | set(after.points):
        now = after.weights.get(key, 0) * after.points.get(key, 0.0)
        then = before.weights.get(key, 0) * before.points.get(key, 0.0)
        parts[key] = (now - then) / present_after
    renorm = before.score * (present_before / present_after - 1)
    return Movement(after.score - before.score, parts, renorm)


def _fmt_raw(key: str, value: float) -> str:
    if key in ("silence", "negative_topics"):
        return f"{100 * value:.0f} %"
    if key == "arr_trend":
        return f"{100 * value:+.0f} %"
    if key == "csat":
        return f"{value:.0f} %"
    if key in ("ces", "sentiment"):
        return f"{value:+.2f}" if key == "sentiment" else f"{value:.1f}"
    return f"{value:.0f}"


def why(before: Health, after: Health, since: str = "since last month", limit: int = 3) -> str:
    """The movement in words, biggest parts first: "−14 since last month: NPS 20 → −10 (−9); …"."""
    move = movement(before, after)
    if move is None:
        return "Not enough data to say how it moved."
    ranked = sorted(move.parts.items(), key=lambda kv: -abs(kv[1]))
    words = []
    for key, part in ranked[:limit]:
        if abs(part) < 0.5:
            continue
        label = BY_KEY[key].label.split(" (")[0]
        if key in before.raw and key in after.raw:
            words.append(
                f"{label} {_fmt_raw(key, before.raw[key])} → {_fmt_raw(key, after.raw[key])} ({part:+.0f})"
            )
        elif key in after.raw:
            words.append(f"{label} now measured ({part:+.0f})")
        else:
            words.append(f"{label} no longer measured ({part:+.0f})")
    if abs(move.renormalisation) >= 0.5:
        words.append(f"other components reweighted ({move.renormalisation:+.0f})")
    renewal = after.raw.get("renewal")
    if renewal is not None and renewal <= 90:
        words.append(f"renewal in {renewal:.0f} days")
    head = f"{move.delta:+.0f} {since}"
    return f"{head}: " + "; ".join(words) if words else f"{head}."


def mann_whitney_auc(scores_pos: Sequence[float], scores_neg: Sequence[float]) -> float | None:
    """ROC AUC as the Mann–Whitney probability that a positive outranks a negative (ties count half).

    By ranks (ties get their mean rank): U = R₊ − n₊(n₊ + 1)/2, AUC = U / (n₊ n₋); O(n log n)."""
    if not scores_pos or not scores_neg:
        return None
    values = sorted([(v, 1) for v in scores_pos] + [(v, 0) for v in scores_neg])
    rank_sum, i = 0.0, 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1][0] == values[i][0]:
            j += 1
        mean_rank = (i + j) / 2 + 1
        rank_sum += mean_rank * sum(flag for _, flag in values[i : j + 1])
        i = j + 1
    n_pos, n_neg = len(scores_pos), len(scores_neg)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
