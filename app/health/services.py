"""Use cases of account health, called alike by routes, commands and jobs."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.health import inputs, model, overrides, versions
from app.metrics import NpsCounts, shrunk_nps
from app.models import Account, HealthBand, HealthSnapshot, Response, ResponseRollup, SurveyKind, utcnow
from app.trends.queries import Counts, grouped_counts
from app.webhooks import services as webhooks
from app.workspace_settings import workspace_timezone

NPS_WINDOW_DAYS = 365
RECENT_MINUTES = 10  # the periodic refresh looks this far back (it runs every 5 minutes)


def _window() -> tuple[Any, Any]:
    today = datetime.now(workspace_timezone()).date()
    return today - timedelta(days=NPS_WINDOW_DAYS - 1), today


def tier_priors() -> dict[Any, NpsCounts]:
    """The NPS counts of each tier over the window (None: every account), the prior accounts shrink to."""
    start, end = _window()
    by_tier = grouped_counts(
        SurveyKind.NPS,
        start,
        end,
        [Account.tier],
        ResponseRollup.account_key != 0,
        joins=[(Account, Account.id == ResponseRollup.account_key)],
    )
    overall = sum(by_tier.values(), Counts.empty())
    priors = {key[0]: counts.nps_counts() for key, counts in by_tier.items() if key[0] is not None}
    priors[None] = overall.nps_counts()
    return priors


def refresh_account_nps(account_ids: list[int] | None = None) -> int:
    """Store each account's 12-month NPS (n, raw, shrunk toward its tier); all accounts when None."""
    start, end = _window()
    where = [ResponseRollup.account_key.in_(account_ids)] if account_ids is not None else []
    counts = grouped_counts(SurveyKind.NPS, start, end, [ResponseRollup.account_key], *where)
    priors = tier_priors()
    stmt = sa.select(Account.id, Account.tier, Account.nps_n, Account.nps_shrunk)
    if account_ids is not None:
        stmt = stmt.where(Account.id.in_(account_ids))
    changes = []
    for account_id, tier, old_n, old_shrunk in db.session.execute(stmt):
        c = counts.get((account_id,), Counts.empty()).nps_counts()
        if c.n == 0:
            values = (0, None, None)
        else:
            prior = priors.get(tier) if priors.get(tier) and priors[tier].n else priors[None]
            raw = 100 * (c.promoters - c.detractors) / c.n
            values = (c.n, raw, shrunk_nps(c, prior))
        if (old_n, old_shrunk) != (values[0], values[2]):
            changes.append({"aid": account_id, "n": values[0], "raw": values[1], "shrunk": values[2]})
    if changes:
        table = Account.__table__
        db.session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("aid"))
            .values(
                nps_n=sa.bindparam("n"),
                nps_raw=sa.bindparam("raw"),
                nps_shrunk=sa.bindparam("shrunk"),
                updated_at=table.c.updated_at,  # a derived figure: the account itself did not change
            ),
            changes,
        )
    return len(changes)


def refresh_recent() -> dict[str, int]:
    """Periodic (debounced per account): refresh the accounts that got answers in the last minutes."""
    since = utcnow() - timedelta(minutes=RECENT_MINUTES)
    ids = list(
        db.session.execute(
            sa.select(Response.account_id)
            .where(Response.created_at >= since, Response.account_id.is_not(None))
            .distinct()
        ).scalars()
    )
    changed = refresh_account_nps(ids) if ids else 0
    if ids:
        recompute_health(account_ids=ids)
    db.session.commit()
    return {"accounts": len(ids), "changed": changed}


def refresh_all() -> dict[str, int]:
    """Daily: refresh every account (the 12-month window moves with the days)."""
    changed = refresh_account_nps()
    bands = recompute_health()
    expired = overrides.expire_overrides()
    db.session.commit()
    return {"changed": changed, "overrides_expired": expired, **bands}


def _local_day(at: datetime) -> date:
    return at.astimezone(workspace_timezone()).date()


def _stored_health(snapshot: HealthSnapshot | None) -> model.Health | None:
    """The Health a snapshot recorded (raw values and weights), to explain a later one against it."""
    if snapshot is None or not snapshot.components.get("raw"):
        return None
    comps = snapshot.components
    return model.score(comps["raw"], comps.get("weights"), comps.get("anchors"))


def recompute_health(as_of: datetime | None = None, account_ids: list[int] | None = None) -> dict[str, int]:
    """Score every live account (or the given ones) as of now and keep one snapshot per account and day."""
    as_of = as_of or utcnow()
    day = _local_day(as_of)
    stmt = sa.select(Account.id, Account.lifecycle_stage).where(
        sa.or_(Account.churned_on.is_(None), Account.churned_on > day)
    )
    if account_ids is not None:
        stmt = stmt.where(Account.id.in_(account_ids))
    stages = {a: (stage.value if stage else None) for a, stage in db.session.execute(stmt)}
    ids = list(stages)
    raw = inputs.measure(ids, as_of)
    previous = _snapshots_before(ids, day)
    month_ago = _snapshots_before(ids, day - timedelta(days=29))
    spec = versions.active_spec()
    anchors = {k: [list(a) for a in v] for k, v in spec.anchors.items()}
    bands: dict[str, int] = {}
    today = _bands_on(ids, day)  # a second run today compares with today's first, so a change is told once
    changes: list[tuple[dict[str, Any], None, None]] = []
    if ids:
        db.session.execute(
            sa.delete(HealthSnapshot).where(HealthSnapshot.account_id.in_(ids), HealthSnapshot.as_of == day)
        )
    for account_id in ids:
        weights = spec.weights_for(stages[account_id])  # the stage's profile, else the base weights
        health = model.score(raw[account_id], weights, spec.anchors)
        prior = previous.get(account_id)
        band = model.band(health, prior.band.value if prior else None)
        before = _stored_health(month_ago.get(account_id))
        sentence = model.why(before, health) if before else "No snapshot a month ago to compare with."
        db.session.add(
            HealthSnapshot(
                account_id=account_id,
                as_of=day,
                score=round(health.score or 0),
                band=HealthBand(band),
                coverage=health.coverage,
                components={
                    "raw": health.raw,
                    "points": health.points,
                    "weights": weights,
                    "anchors": anchors,
                    "profile": stages[account_id] if stages[account_id] in spec.profiles else None,
                },
                drivers={"why": sentence},
                model_version=spec.version,
            )
        )
        bands[band] = bands.get(band, 0) + 1
        was = today.get(account_id) or (prior.band.value if prior else None)
        if was is not None and was != band:
            changes.append((_band_change(account_id, day, was, band, health, spec.version), None, None))
    if changes:
        webhooks.emit_many("health.changed", changes)  # in this transaction: the outbox rule
    db.session.flush()
    return bands


def recompute_history(weeks: int, now: datetime | None = None) -> int:
    """Weekly snapshots for the last ``weeks`` weeks and today, oldest first, each from the data of its own
    day (the as-of inputs), so a new workspace or the demo has a health history to show at once. Commits
    each week; running it again replaces the same days' snapshots. Returns the snapshots written."""
    now = now or utcnow()
    written = 0
    for week in range(weeks, -1, -1):
        bands = recompute_health(now - timedelta(weeks=week))
        db.session.commit()
        written += sum(bands.values())
    return written


def _bands_on(ids: list[int], day: date) -> dict[int, str]:
    """The band of each account's snapshot of ``day``, where one exists."""
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(HealthSnapshot.account_id, HealthSnapshot.band).where(
            HealthSnapshot.account_id.in_(ids), HealthSnapshot.as_of == day
        )
    )
    return {account_id: band.value for account_id, band in rows}


def _band_change(
    account_id: int, day: date, was: str, band: str, health: model.Health, version: str
) -> dict[str, Any]:
    """The ``health.changed`` event's data: the account, the day and the band it left and entered."""
    return {
        "account_id": account_id,
        "as_of": day.isoformat(),
        "previous_band": was,
        "band": band,
        "score": None if health.score is None else round(health.score),
        "coverage": health.coverage,
        "model_version": version,
    }


def _snapshots_before(ids: list[int], day: date) -> dict[int, HealthSnapshot]:
    """Each account's newest snapshot strictly before ``day``."""
    if not ids:
        return {}
    newest = (
        sa.select(HealthSnapshot.account_id, sa.func.max(HealthSnapshot.as_of).label("as_of"))
        .where(HealthSnapshot.account_id.in_(ids), HealthSnapshot.as_of < day)
        .group_by(HealthSnapshot.account_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(HealthSnapshot).join(
            newest,
            sa.and_(HealthSnapshot.account_id == newest.c.account_id, HealthSnapshot.as_of == newest.c.as_of),
        )
    ).scalars()
    return {s.account_id: s for s in rows}


def backtest(
    months: int = 12,
    horizon_days: int = 90,
    boot: int = 500,
    today: date | None = None,
    spec: model.Spec | None = None,
) -> dict[str, Any]:
    """Health at monthly as-of dates (only data created by then; no lifecycle stage, no renewal date, which
    is today's value) against churn in the next ``horizon_days``: ROC AUC with a bootstrap 95 % interval,
    churn rates of at-risk vs healthy, and the same AUC for NPS alone.

    ``spec`` is the model version to test (default: the one in force); its base weights and anchors are
    used, never a stage profile, since an account's stage is today's value, not the as-of date's."""
    today = today or _local_day(utcnow())
    spec = spec or versions.active_spec()
    tz = workspace_timezone()
    first = today.replace(day=1)
    dates = []
    for _ in range(months + 4):
        if first + timedelta(days=horizon_days) <= today:
            dates.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
        if len(dates) == months:
            break
    obs: list[tuple[int, bool, float, float, str]] = []  # account, churned, health, nps, band
    for day in sorted(dates):
        obs += _observations(day, datetime.combine(day, datetime.min.time(), tz), horizon_days, spec)
    return _summarise(obs, boot, len(dates), horizon_days) | {"model_version": spec.version}


def _observations(
    day: date, as_of: datetime, horizon: int, spec: model.Spec
) -> list[tuple[int, bool, float, float, str]]:
    """(account, churned within the horizon, health, NPS alone, band) of every account live on ``day``."""
    live = sa.or_(Account.churned_on.is_(None), Account.churned_on > day)
    rows = db.session.execute(
        sa.select(Account.id, Account.churned_on).where(Account.created_at <= as_of, live)
    )
    churn = dict(rows.all())
    out = []
    for account_id, raw in inputs.measure(list(churn), as_of, with_renewal=False).items():
        health = model.score(raw, spec.weights, spec.anchors)
        churned = churn[account_id] is not None and churn[account_id] <= day + timedelta(days=horizon)
        value = health.score if health.score is not None else 50.0
        nps = raw.get("nps")
        out.append((account_id, churned, value, nps if nps is not None else 0.0, model.band(health)))
    return out


def _auc(obs: list[tuple], column: int) -> float | None:
    """AUC of low values foretelling churn (Mann–Whitney)."""
    pos = [-o[column] for o in obs if o[1]]
    neg = [-o[column] for o in obs if not o[1]]
    return model.mann_whitney_auc(pos, neg)


def _summarise(obs: list[tuple], boot: int, n_dates: int, horizon: int) -> dict[str, Any]:
    auc, baseline = _auc(obs, 2), _auc(obs, 3)
    by_account: dict[int, list[tuple]] = defaultdict(list)
    for o in obs:
        by_account[o[0]].append(o)
    accounts = sorted(by_account)
    rng = random.Random(20261206)  # noqa: S311  (a reproducible bootstrap, not a secret)
    samples = []
    for _ in range(boot if auc is not None else 0):
        drawn = [o for a in rng.choices(accounts, k=len(accounts)) for o in by_account[a]]
        value = _auc(drawn, 2)
        if value is not None:
            samples.append(value)
    samples.sort()

    def rate(band: str) -> float | None:
        hits = [o[1] for o in obs if o[4] == band]
        return sum(hits) / len(hits) if hits else None

    return {
        "auc": auc,
        "auc_low": samples[int(0.025 * len(samples))] if samples else None,
        "auc_high": samples[min(len(samples) - 1, int(0.975 * len(samples)))] if samples else None,
        "baseline_auc": baseline,
        "n_accounts": len(accounts),
        "n_churned": len({o[0] for o in obs if o[1]}),
        "n_observations": len(obs),
        "as_of_dates": n_dates,
        "horizon_days": horizon,
        "churn_rate_at_risk": rate("at_risk"),
        "churn_rate_watch": rate("watch"),
        "churn_rate_healthy": rate("healthy"),
        "churn_rate_insufficient": rate("insufficient"),
    }
