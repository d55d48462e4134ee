"""Fill an empty database with the demo company, in one transaction, with bulk inserts.

The same seed and ``as_of`` day always give the same rows; only secrets differ between runs (passwords,
invitation token salts, public survey tokens), which must never be predictable.
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.analysis import services as analysis
from app.auth.services import hash_password, normalise_email
from app.demo import world
from app.demo.login import write_login
from app.demo.names import STAFF, STAFF_DOMAIN, VENDOR
from app.demo.timeline import Timeline
from app.extensions import db
from app.health.services import refresh_account_nps
from app.mail.queries import email_hash
from app.models import (
    Account,
    ArrChange,
    Contact,
    Invitation,
    Response,
    Role,
    Send,
    Suppression,
    Survey,
    SurveyKind,
    User,
    utcnow,
)
from app.surveys.services import new_token
from app.workspace_settings import set_settings

CHUNK = 2000
SURVEY_DEFS = [
    ("nps", "Relationship NPS", 3, "What is the main reason for your score?"),
    ("csat", "Support CSAT", None, "How could we have made this experience better?"),
    ("ces", "Support effort (CES)", None, "What made it easy or hard?"),
    ("form", "Product feedback form", None, None),
]


class SeedRefused(RuntimeError):
    """The database is not empty (or already has the demo staff); the message says what to do."""


@dataclass(frozen=True)
class SeedResult:
    """What a seed created, the admin login, and how long it took."""

    counts: dict[str, int]
    email: str
    password: str
    seconds: float


def database_is_empty() -> bool:
    """True when there are no accounts, contacts, surveys or responses."""
    for model in (Account, Contact, Survey, Response):
        if db.session.execute(sa.select(model.id).limit(1)).first() is not None:
            return False
    return True


def seed_demo(seed: int, as_of: datetime | None = None) -> SeedResult:
    """Create the demo company; raises SeedRefused unless the database is empty. Commits once."""
    started = time.perf_counter()
    if not database_is_empty():
        raise SeedRefused(
            "The database already has accounts, contacts, surveys or responses; the demo data "
            "only goes into an empty database."
        )
    emails = [normalise_email(f"{local}@{STAFF_DOMAIN}") for local, _, _ in STAFF]  # the users' own rule
    if db.session.execute(sa.select(User.email).where(User.email.in_(emails))).first():
        raise SeedRefused("The demo staff users already exist in this database.")
    as_of = (as_of or utcnow()).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    start = as_of.date() - timedelta(days=world.DAYS)
    password = secrets.token_urlsafe(15)
    staff = _staff(emails, password, start)
    accounts = world.build_accounts(random.Random(f"{seed}:accounts"), random.Random(f"{seed}:churn"))
    cs_staff = [u for u in staff if u.role.value == "cs"]
    world.assign_owners(random.Random(f"{seed}:owners"), accounts, len(cs_staff))
    contacts = world.build_contacts(random.Random(f"{seed}:contacts"), accounts)
    csm_names = {a.index: cs_staff[a.csm].name.split()[0] for a in accounts if a.csm is not None}
    stretch = random.Random(f"{seed}:stretch")
    plan = Timeline(random.Random(f"{seed}:timeline"), start, as_of, csm_names, stretch).build(contacts)
    account_ids = _insert(Account, [_account_row(a, start, as_of.date(), cs_staff) for a in accounts])
    _insert(ArrChange, _arr_rows(accounts, account_ids, start, cs_staff), returning=False)
    contact_ids = _insert(Contact, [_contact_row(c, start, plan, account_ids) for c in contacts])
    surveys = _surveys(start, staff[0].id)
    send_ids = _insert(Send, [_send_row(s, surveys) for s in plan.sends])
    invitation_ids = _insert(
        Invitation, [_invitation_row(i, surveys, send_ids, contact_ids) for i in plan.invitations]
    )
    refs = {"account": account_ids, "contact": contact_ids, "invitation": invitation_ids}
    _insert(Response, [_response_row(r, surveys, refs) for r in plan.responses], returning=False)
    _suppressions(contacts, plan, start)
    set_settings({"company_name": VENDOR})
    refresh_account_nps()  # the accounts list's 12-month NPS, from the rollups the triggers just filled
    db.session.commit()
    counts = {
        "users": len(staff),
        "accounts": len(accounts),
        "contacts": len(contacts),
        "surveys": len(surveys),
        "sends": len(send_ids),
        "invitations": len(invitation_ids),
        "responses": len(plan.responses),
    }
    write_login(emails[0], password)
    return SeedResult(counts, emails[0], password, time.perf_counter() - started)


def _insert(model: type, rows: list[dict[str, Any]], returning: bool = True) -> list[int]:
    """Bulk insert in chunks; the new ids in the order of ``rows``."""
    ids: list[int] = []
    for begin in range(0, len(rows), CHUNK):
        chunk = rows[begin : begin + CHUNK]
        if returning:
            stmt = sa.insert(model).returning(model.id, sort_by_parameter_order=True)
            ids += db.session.scalars(stmt, chunk).all()
        else:
            db.session.execute(sa.insert(model), chunk)
    return ids


def _staff(emails: list[str], password: str, start: date) -> list[User]:
    """The admin (with the printed password) and the demo team (random passwords nobody knows)."""
    created = datetime.combine(start - timedelta(days=60), datetime.min.time(), tzinfo=UTC)
    users = []
    for email, (_, name, role) in zip(emails, STAFF, strict=True):
        secret = password if role == "admin" else secrets.token_urlsafe(24)
        users.append(
            User(
                email=email,
                name=name,
                role=Role(role),
                password_hash=hash_password(secret),
                created_at=created,
                updated_at=created,
            )
        )
    db.session.add_all(users)
    db.session.flush()
    return users


def _renewal(since: date, today: date) -> date:
    """The next contract anniversary after today (annual contracts)."""
    years = max(1, today.year - since.year)
    renewal = since.replace(year=since.year + years, day=min(since.day, 28))
    while renewal <= today:
        renewal = renewal.replace(year=renewal.year + 1)
    return renewal


def _moment(start: date, day: int, hour: int = 9) -> datetime:
    return datetime.combine(start + timedelta(days=day), datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=hour
    )


def _account_row(a: world.DemoAccount, start: date, today: date, cs_staff: list[User]) -> dict[str, Any]:
    since = a.since(start)
    churned = start + timedelta(days=a.churn_day) if a.churn_day is not None else None
    renewal = churned or _renewal(since, today)
    created = _moment(start, a.since_day)
    return {
        "external_id": f"CUS-{1001 + a.index}",
        "name": a.name,
        "domain": a.domain,
        "arr": a.arr,
        "plan": a.plan,
        "tier": a.tier,
        "lifecycle_stage": world.lifecycle(a, (renewal - today).days),
        "renewal_date": renewal,
        "csm_owner_id": cs_staff[a.csm].id if a.csm is not None else None,
        "attributes": {"industry": a.industry, "region": a.region, "seats": a.seats},
        "churned_on": churned,
        "churn_reason": a.churn_reason,
        "created_at": created,
        "updated_at": created,
    }


def _arr_rows(
    accounts: list[world.DemoAccount], account_ids: list[int], start: date, cs_staff: list[User]
) -> list[dict[str, Any]]:
    """Each account's ARR history: its creation (from the CRM import), then the seat changes its CSM
    entered, each recorded the day it took effect."""
    rows = []
    for a, account_id in zip(accounts, account_ids, strict=True):
        rows.append(
            {
                "account_id": account_id,
                "old_arr": None,
                "new_arr": a.start_arr,
                "effective_on": a.since(start),
                "source": "import",
                "actor_id": None,
                "created_at": _moment(start, a.since_day),
            }
        )
        before = a.start_arr
        for day, arr in a.arr_changes:
            rows.append(
                {
                    "account_id": account_id,
                    "old_arr": before,
                    "new_arr": arr,
                    "effective_on": start + timedelta(days=day),
                    "source": "edit",
                    "actor_id": cs_staff[a.csm].id if a.csm is not None else None,
                    "created_at": _moment(start, day, 11),
                }
            )
            before = arr
    return rows


def _contact_row(c: world.DemoContact, start: date, plan: Any, account_ids: list[int]) -> dict[str, Any]:
    created = _moment(start, c.joined_day, 10)
    bounced = plan.bounced.get(c.index)
    return {
        "email": c.email,
        "name": c.name,
        "title": c.title,
        "role": c.role,
        "locale": c.locale,
        "account_id": account_ids[c.account.index],
        "attributes": {},
        "unsubscribed_at": _moment(start, c.unsubscribe_day, 15) if c.unsubscribe_day is not None else None,
        "bounced_at": bounced,
        "bounce_count": 1 if bounced else 0,
        "last_surveyed_at": plan.surveyed.get(c.index),
        "created_at": created,
        "updated_at": created,
    }


def _surveys(start: date, admin_id: int) -> dict[str, Survey]:
    created = datetime.combine(start - timedelta(days=30), datetime.min.time(), tzinfo=UTC)
    surveys = {}
    for kind, name, reminder, followup in SURVEY_DEFS:
        surveys[kind] = Survey(
            name=name,
            kind=SurveyKind(kind),
            followup_question=followup,
            public_token=secrets.token_urlsafe(32),
            public_link_enabled=kind == "form",
            reminder_delay_days=reminder,
            expiry_days=30,
            created_by_id=admin_id,
            created_at=created,
            updated_at=created,
        )
    db.session.add_all(surveys.values())
    db.session.flush()
    return surveys


def _send_row(s: dict[str, Any], surveys: dict[str, Survey]) -> dict[str, Any]:
    row = {k: v for k, v in s.items() if k != "kind"}
    return row | {"survey_id": surveys[s["kind"]].id, "status": "completed", "updated_at": s["completed_at"]}


def _invitation_row(
    i: dict[str, Any], surveys: dict[str, Survey], send_ids: list[int], contact_ids: list[int]
) -> dict[str, Any]:
    token = new_token()
    row = {k: v for k, v in i.items() if k not in ("send", "kind", "contact")}
    return row | {
        "send_id": send_ids[i["send"]],
        "survey_id": surveys[i["kind"]].id,
        "contact_id": contact_ids[i["contact"]],
        "token_salt": token.salt,
        "token_hash": token.token_hash,
        "updated_at": i.get("responded_at", i["created_at"]),
    }


def _response_row(
    r: dict[str, Any], surveys: dict[str, Survey], refs: dict[str, list[int]]
) -> dict[str, Any]:
    row = {k: v for k, v in r.items() if k not in ("contact", "account", "invitation")}
    for key in ("contact", "account", "invitation"):
        row[f"{key}_id"] = refs[key][r[key]] if r.get(key) is not None else None
    return row | {
        "survey_id": surveys[r["kind"]].id,
        "updated_at": r["created_at"],
        # Pending rows are what the tagger's sweeper picks up; rows without a comment have nothing to tag.
        "analysis_state": analysis.initial_state(r.get("comment")),
        "analysis_requested_at": r["created_at"],
    }


def _suppressions(contacts: list[world.DemoContact], plan: Any, start: date) -> None:
    """Unsubscribed and bounced addresses go on the suppression list, as the real paths do."""
    rows = [
        {
            "email_hash": email_hash(c.email),
            "reason": "unsubscribe",
            "created_at": _moment(start, c.unsubscribe_day, 15),
        }
        for c in contacts
        if c.unsubscribe_day is not None
    ]
    rows += [
        {"email_hash": email_hash(c.email), "reason": "bounce", "created_at": plan.bounced[c.index]}
        for c in contacts
        if c.index in plan.bounced
    ]
    if rows:
        db.session.execute(sa.insert(Suppression), rows)
