"""What the account page and the contact page show, each in a handful of bounded queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.metrics import Score, nps
from app.models import Account, Contact, Invitation, Response, Send, SurveyKind, utcnow

RECENT = 20
HISTORY = 50


@dataclass(frozen=True)
class MonthScore:
    """NPS of one calendar month."""

    month: date
    score: Score


@dataclass(frozen=True)
class NpsHistory:
    """An account's NPS over the last 12 months: overall and by month."""

    overall: Score
    months: list[MonthScore]
    bands: dict[str, int]


def _month_starts(today: date, count: int = 12) -> list[date]:
    """First days of the ``count`` calendar months ending with this one, oldest first."""
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        out.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def _bands(scores: list[int]) -> tuple[int, int, int]:
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return promoters, len(scores) - promoters - detractors, detractors


def nps_history(account_id: int, now: datetime | None = None) -> NpsHistory:
    """NPS of the last 12 calendar months for one account, computed with app.metrics."""
    now = now or utcnow()
    months = _month_starts(now.date())
    start = datetime.combine(months[0], datetime.min.time(), tzinfo=now.tzinfo)
    rows = db.session.execute(
        sa.select(Response.created_at, Response.score).where(
            Response.account_id == account_id,
            Response.kind == SurveyKind.NPS,
            Response.created_at >= start,
        )
    ).all()
    by_month: dict[date, list[int]] = {m: [] for m in months}
    for created_at, score in rows:
        by_month[date(created_at.year, created_at.month, 1)].append(score)
    all_scores = [s for scores in by_month.values() for s in scores]
    p, n, d = _bands(all_scores)
    return NpsHistory(
        overall=nps(p, n, d),
        months=[MonthScore(m, nps(*_bands(by_month[m]))) for m in months],
        bands={"promoters": p, "passives": n, "detractors": d},
    )


@dataclass(frozen=True)
class AccountDetail:
    """Everything on the account page."""

    account: Account
    contacts: list[Contact]
    contact_total: int
    responses: list[Response]
    nps: NpsHistory


def account_detail(account: Account) -> AccountDetail:
    """Contacts, recent responses and the NPS history of an account."""
    contacts = db.session.execute(
        sa.select(Contact)
        .where(Contact.account_id == account.id)
        .order_by(Contact.name, Contact.id)
        .limit(25)
    ).scalars()
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(Contact).where(Contact.account_id == account.id)
    ).scalar_one()
    responses = db.session.execute(
        sa.select(Response)
        .options(selectinload(Response.contact), selectinload(Response.survey))
        .where(Response.account_id == account.id)
        .order_by(Response.created_at.desc(), Response.id.desc())
        .limit(RECENT)
    ).scalars()
    return AccountDetail(account, list(contacts), total, list(responses), nps_history(account.id))


@dataclass(frozen=True)
class ContactDetail:
    """Everything on the contact page."""

    contact: Contact
    invitations: list[Invitation]
    responses: list[Response]
    invitation_total: int
    response_total: int


def contact_detail(contact: Contact) -> ContactDetail:
    """The contact's newest invitations and responses, with their totals."""
    invitations = db.session.execute(
        sa.select(Invitation)
        .options(selectinload(Invitation.survey), selectinload(Invitation.send).load_only(Send.id))
        .where(Invitation.contact_id == contact.id)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(HISTORY)
    ).scalars()
    responses = db.session.execute(
        sa.select(Response)
        .options(selectinload(Response.survey))
        .where(Response.contact_id == contact.id)
        .order_by(Response.created_at.desc(), Response.id.desc())
        .limit(HISTORY)
    ).scalars()
    totals = [
        db.session.execute(
            sa.select(sa.func.count()).select_from(model).where(col == contact.id)
        ).scalar_one()
        for model, col in ((Invitation, Invitation.contact_id), (Response, Response.contact_id))
    ]
    return ContactDetail(contact, list(invitations), list(responses), totals[0], totals[1])


def renewal_in_days(account: Account, today: date | None = None) -> int | None:
    """Days until the account renews (negative when the date has passed), or None without a date."""
    if account.renewal_date is None:
        return None
    return (account.renewal_date - (today or utcnow().date())).days
