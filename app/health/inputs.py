"""What health measures, as of a moment: every query reads only rows created on or before ``as_of``,
so the backtest sees what a CS manager would have seen then. Lifecycle stages are never inputs.

One grouped query per component for all the given accounts (not one per account).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.metrics import SHRINK_PSEUDO_ANSWERS
from app.models import (
    Account,
    AnalysisState,
    ArrChange,
    Contact,
    DeliveryState,
    FollowUp,
    Invitation,
    Mention,
    Response,
    SurveyKind,
)

HALF_LIFE_DAYS = 90.0
NPS_LOOKBACK = timedelta(days=365)
SCORE_WINDOW = timedelta(days=180)
ARR_WINDOW = timedelta(days=180)
COMMENT_WINDOW = timedelta(days=90)
Raw = dict[str, float | None]


def measure(account_ids: list[int], as_of: datetime, with_renewal: bool = True) -> dict[int, Raw]:
    """Raw component values of each account as of ``as_of`` (None: not measurable, e.g. nothing sent)."""
    out: dict[int, Raw] = {a: {} for a in account_ids}
    if not account_ids:
        return out
    for key, values in (
        ("nps", _nps(account_ids, as_of)),
        ("csat", _share_of_top(account_ids, as_of, SurveyKind.CSAT, 4)),
        ("ces", _mean(account_ids, as_of, SurveyKind.CES)),
        *_comments(account_ids, as_of),
        ("silence", _response_rate(account_ids, as_of)),
        ("followups", _followups(account_ids, as_of)),
        ("arr_trend", _arr_trend(account_ids, as_of)),
    ):
        for account_id in account_ids:
            out[account_id][key] = values.get(account_id)
    if with_renewal:
        for account_id, renewal in db.session.execute(
            sa.select(Account.id, Account.renewal_date).where(Account.id.in_(account_ids))
        ):
            days = (renewal - as_of.date()).days if renewal else None
            out[account_id]["renewal"] = float(days) if days is not None and days >= 0 else None
    return out


def _nps(account_ids: list[int], as_of: datetime) -> dict[int, float]:
    """Latest NPS answer per contact, weighted by a 90-day half-life, shrunk toward all accounts' figure."""
    rows = db.session.execute(
        sa.select(Response.account_id, Response.contact_id, Response.id, Response.score, Response.created_at)
        .where(
            Response.account_id.in_(account_ids),
            Response.kind == SurveyKind.NPS,
            Response.created_at <= as_of,
            Response.created_at > as_of - NPS_LOOKBACK,
        )
        .order_by(Response.created_at)
    )
    latest: dict[tuple, tuple[int, float]] = {}
    for account_id, contact_id, response_id, score, created in rows:
        age = (as_of - created).total_seconds() / 86_400
        latest[(account_id, contact_id or -response_id)] = (score, 0.5 ** (age / HALF_LIFE_DAYS))
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])  # promoters, detractors, n
    for (account_id, _), (score, w) in latest.items():
        s = sums[account_id]
        s[0] += w if score >= 9 else 0.0
        s[1] += w if score <= 6 else 0.0
        s[2] += w
    total = [sum(s[i] for s in sums.values()) for i in range(3)]
    p0, d0 = (total[0] / total[2], total[1] / total[2]) if total[2] else (0.0, 0.0)
    alpha = SHRINK_PSEUDO_ANSWERS
    return {a: 100 * (p + alpha * p0 - d - alpha * d0) / (n + alpha) for a, (p, d, n) in sums.items()}


def _scores(account_ids: list[int], as_of: datetime, kind: SurveyKind) -> sa.Select:
    return (
        sa.select(Response.account_id)
        .where(
            Response.account_id.in_(account_ids),
            Response.kind == kind,
            Response.created_at <= as_of,
            Response.created_at > as_of - SCORE_WINDOW,
        )
        .group_by(Response.account_id)
    )


def _share_of_top(account_ids: list[int], as_of: datetime, kind: SurveyKind, top: int) -> dict[int, float]:
    hits = sa.func.sum(sa.case((Response.score >= top, 1), else_=0))
    stmt = _scores(account_ids, as_of, kind).add_columns(hits, sa.func.count())
    return {a: 100.0 * h / n for a, h, n in db.session.execute(stmt) if n}


def _mean(account_ids: list[int], as_of: datetime, kind: SurveyKind) -> dict[int, float]:
    stmt = _scores(account_ids, as_of, kind).add_columns(sa.func.avg(Response.score))
    return {a: float(m) for a, m in db.session.execute(stmt) if m is not None}


def _comments(account_ids: list[int], as_of: datetime) -> list[tuple[str, dict[int, float]]]:
    """Mean sentiment of analysed comments (90 days), and the share of them with a negative topic mention."""
    recent = [
        Response.account_id.in_(account_ids),
        Response.analysis_state == AnalysisState.DONE,
        Response.comment.is_not(None),
        Response.created_at <= as_of,
        Response.created_at > as_of - COMMENT_WINDOW,
    ]
    rows = db.session.execute(
        sa.select(Response.account_id, sa.func.avg(Response.sentiment_score), sa.func.count())
        .where(*recent)
        .group_by(Response.account_id)
    ).all()
    sentiment = {a: float(m) for a, m, _ in rows if m is not None}
    analysed = {a: n for a, _, n in rows}
    negative = db.session.execute(
        sa.select(Response.account_id, sa.func.count(sa.distinct(Mention.response_id)))
        .join(Mention, Mention.response_id == Response.id)
        .where(*recent, Mention.sentiment_label == "negative", Mention.rejected.is_(False))
        .group_by(Response.account_id)
    )
    neg = dict(negative.all())
    share = {a: neg.get(a, 0) / n for a, n in analysed.items() if n}
    return [("sentiment", sentiment), ("negative_topics", share)]


def _response_rate(account_ids: list[int], as_of: datetime) -> dict[int, float]:
    """Answered share of invitations delivered in 180 days; accounts sent nothing are left out (missing)."""
    answered = sa.func.sum(sa.case((Invitation.responded_at <= as_of, 1), else_=0))
    rows = db.session.execute(
        sa.select(Contact.account_id, sa.func.count(), answered)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(
            Contact.account_id.in_(account_ids),
            Invitation.state == DeliveryState.SENT,
            Invitation.sent_at <= as_of,
            Invitation.sent_at > as_of - SCORE_WINDOW,
        )
        .group_by(Contact.account_id)
    )
    return {a: (k or 0) / n for a, n, k in rows if n}


def _followups(account_ids: list[int], as_of: datetime) -> dict[int, float]:
    """Open follow-ups as of then, overdue ones counting twice; 0 for accounts with none."""
    open_then = sa.and_(
        FollowUp.created_at <= as_of, sa.or_(FollowUp.resolved_at.is_(None), FollowUp.resolved_at > as_of)
    )
    overdue = sa.func.sum(sa.case((FollowUp.due_at < as_of, 1), else_=0))
    rows = db.session.execute(
        sa.select(FollowUp.account_id, sa.func.count(), overdue)
        .where(FollowUp.account_id.in_(account_ids), open_then)
        .group_by(FollowUp.account_id)
    )
    counts = {a: float(n + (late or 0)) for a, n, late in rows}
    return {a: counts.get(a, 0.0) for a in account_ids}


def _arr_trend(account_ids: list[int], as_of: datetime) -> dict[int, float]:
    """Relative ARR change over 180 days, (ARR now − ARR then) / ARR then, from the ARR history recorded by
    then. Missing for accounts without ARR history, or without ARR 180 days ago (too new to have a trend).

    ARR on a day: the ``new_arr`` of the last change effective on or before it; before the first change,
    that change's ``old_arr`` (None for a creation: not a customer yet)."""
    then = (as_of - ARR_WINDOW).date()
    rows = db.session.execute(
        sa.select(ArrChange.account_id, ArrChange.effective_on, ArrChange.old_arr, ArrChange.new_arr)
        .where(
            ArrChange.account_id.in_(account_ids),
            ArrChange.created_at <= as_of,
            ArrChange.effective_on <= as_of.date(),
        )
        .order_by(ArrChange.account_id, ArrChange.effective_on, ArrChange.id)
    )
    history: dict[int, list[tuple]] = defaultdict(list)
    for account_id, effective, old, new in rows:
        history[account_id].append((effective, old, new))
    out = {}
    for account_id, changes in history.items():
        now = changes[-1][2]
        past = [new for effective, _, new in changes if effective <= then]
        arr_then = past[-1] if past else changes[0][1]
        if arr_then:
            out[account_id] = (now - arr_then) / arr_then
    return out
