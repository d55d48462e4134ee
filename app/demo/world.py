"""The demo company's customers, in memory: ~50 accounts with a health story each, and ~400 contacts.

Days are counted from the start of the 18-month window (day 0) to ``as_of`` (day ``DAYS``). Each account
has an archetype (champion, steady, lukewarm, recovering, declining, churned) that drives how its people
score over time, and the topics they praise or complain about, so later dashboards show something true.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from app.demo.names import (
    ASCII_FOLD,
    CHURN_REASONS,
    COMPANY_STEMS,
    FIRST_NAMES,
    INDUSTRY_SUFFIXES,
    LAST_NAMES,
    LOCAL_TITLES,
    REGIONS,
    TITLES,
)

DAYS = 548  # 18 months
TIERS = [("enterprise", 8), ("mid_market", 17), ("smb", 25)]
ARCHETYPES = [
    ("champion", 12),
    ("steady", 15),
    ("lukewarm", 10),
    ("recovering", 4),
    ("declining", 5),
    ("churned", 4),  # drift for months before leaving: health can foresee it
]
# More churn, drawn from its own random stream so the accounts above keep their names and stories: two
# lukewarm accounts drift and leave too, and two steady ones leave without warning ("blindsided").
EXTRA_CHURN = {"lukewarm": ("churned", 2), "steady": ("blindsided", 2)}
# Why the blindsided ones left: nothing in their answers said so beforehand.
# The last quarter before today, for the declining accounts (still customers, lifecycle "at risk"): their
# renewal comes up within RENEWAL_DAYS and the talks go badly — the people still answering are cross, most
# no longer answer at all. Today's at-risk views show this. The backtest never sees it: its last as-of date
# is its horizon (90 days) before today and it reads only data created by each as-of date.
STRETCH_DAYS = 90
RENEWAL_DAYS = (30, 75)
SUDDEN_CHURN_REASONS = [
    "Acquired; the new parent company standardised on its own feedback tool",
    "Company-wide freeze on software spend after missing its funding round",
    "Business unit closed in a restructuring",
]
PAIN_BY_REASON = {
    "pricing": "pricing",
    "integrations": "integrations",
    "usability": "usability",
    "budget": "pricing",
    "performance": "performance",
}
TOPICS = [
    "onboarding",
    "billing",
    "performance",
    "support",
    "integrations",
    "reporting",
    "pricing",
    "bugs",
    "features",
    "usability",
    "docs",
    "security",
]


@dataclass
class DemoAccount:
    """A customer company and its story."""

    index: int
    name: str
    domain: str
    region: str
    lang: str
    industry: str
    tier: str
    archetype: str
    since_day: int  # negative: a customer from before the window
    plan: str = ""
    arr: int = 0
    seats: int = 0
    csm: int | None = None  # index into the CS staff list
    pain: dict[str, float] = field(default_factory=dict)
    love: dict[str, float] = field(default_factory=dict)
    turn_day: int = 0  # when a decline or recovery starts
    churn_day: int | None = None
    churn_reason: str | None = None
    email_style: str = "first.last"
    arr_changes: list[tuple[int, int]] = field(default_factory=list)  # (day, new ARR), in day order
    start_arr: int = 0  # ARR when the account became a customer (``arr`` is today's, after the changes)

    def health(self, day: int) -> float:
        """How happy the account is on a day, about -1.3 (leaving) to 1 (delighted)."""
        base = {"champion": 0.95, "steady": 0.5, "lukewarm": 0.0, "blindsided": 0.5}.get(self.archetype)
        if base is not None:
            return base
        span = max(1, (self.churn_day or DAYS) - self.turn_day)
        progress = min(1.0, max(0.0, (day - self.turn_day) / span))
        if self.archetype == "recovering":
            return -0.75 + 1.3 * progress
        return 0.45 - 1.75 * progress - 0.9 * self.stretch(day)  # declining and churned

    def stretch(self, day: int) -> float:
        """How far into the bad last quarter before today a declining account is: 0 (not yet) to 1 (today)."""
        if self.archetype != "declining":
            return 0.0
        return min(1.0, max(0.0, (day - (DAYS - STRETCH_DAYS)) / STRETCH_DAYS))

    def drift(self, day: int) -> float:
        """How far a decline toward leaving has gone on a day: 0 (none) to 1 (about to leave).

        Drifting accounts answer fewer of the invitations they are sent, complain about support and bugs,
        and cut seats; accounts that churn without warning (blindsided) never drift."""
        if self.archetype not in ("churned", "declining"):
            return 0.0
        span = max(1, (self.churn_day or DAYS) - self.turn_day)
        return min(1.0, max(0.0, (day - self.turn_day) / span))

    def active_on(self, day: int) -> bool:
        """A customer on that day (joined, not yet churned)."""
        return self.since_day <= day and (self.churn_day is None or day < self.churn_day)

    def since(self, start: date) -> date:
        """The date the account became a customer."""
        return start + timedelta(days=self.since_day)


@dataclass
class DemoContact:
    """A person at an account."""

    index: int
    account: DemoAccount
    name: str
    email: str
    title: str
    role: str
    locale: str
    joined_day: int
    mood: float  # personal offset from the account's health
    unsubscribe_day: int | None = None
    bounce_day: int | None = None


def _weighted(rng: random.Random, table: dict[str, tuple[float, str]]) -> str:
    keys = list(table)
    return rng.choices(keys, weights=[table[k][0] for k in keys])[0]


def _spread(rng: random.Random, counts: list[tuple[str, int]]) -> list[str]:
    items = [name for name, n in counts for _ in range(n)]
    rng.shuffle(items)
    return items


def build_accounts(rng: random.Random, churn_rng: random.Random | None = None) -> list[DemoAccount]:
    """Fifty accounts across tiers, regions and archetypes; ``churn_rng`` draws the extra churn and the
    ARR histories (its own stream, so adding them left the rest of the demo as it was)."""
    tiers, archetypes = _spread(rng, TIERS), _spread(rng, ARCHETYPES)
    reasons = rng.sample(sorted(CHURN_REASONS), len(CHURN_REASONS))  # varied stories, not one reason
    stems = {lang: rng.sample(names, len(names)) for lang, names in COMPANY_STEMS.items()}
    used: set[str] = set()
    accounts = []
    for index, (tier, archetype) in enumerate(zip(tiers, archetypes, strict=True)):
        region = _weighted(rng, REGIONS)
        lang = REGIONS[region][1]
        if not stems[lang]:
            region, lang = "North America", "en"
        stem = stems[lang].pop()
        industry = rng.choice(sorted(INDUSTRY_SUFFIXES))
        name = f"{stem} {INDUSTRY_SUFFIXES[industry][lang]}"
        domain = (stem.lower().translate(ASCII_FOLD) + "-" + industry.split()[0].lower()) + ".example"
        if domain in used:
            domain = domain.replace(".example", f"{index}.example")
        used.add(domain)
        account = DemoAccount(
            index, name, domain, region, lang, industry, tier, archetype, since_day=_since_day(rng, archetype)
        )
        _commercials(rng, account)
        _story(rng, account, reasons[index % len(reasons)])
        accounts.append(account)
    churn_rng = churn_rng or random.Random(rng.random())
    _extra_churn(churn_rng, accounts, reasons)
    _renewals_due(accounts)
    for account in accounts:
        _arr_story(churn_rng, account)
    return accounts


def _extra_churn(rng: random.Random, accounts: list[DemoAccount], reasons: list[str]) -> None:
    """Turn a few established accounts into churners: drifting ones (like ``churned``) and sudden ones."""
    for archetype, (becomes, count) in EXTRA_CHURN.items():
        pool = [a for a in accounts if a.archetype == archetype and a.since_day < DAYS - 400]
        for account in rng.sample(pool, min(count, len(pool))):
            account.archetype = becomes
            account.churn_day = rng.randint(DAYS - 300, DAYS - 45)
            if becomes == "blindsided":
                account.churn_reason = rng.choice(SUDDEN_CHURN_REASONS)
                continue
            reason = rng.choice(reasons)
            account.pain[PAIN_BY_REASON[reason]] *= 4
            account.turn_day = account.churn_day - rng.randint(150, 260)
            account.churn_reason = CHURN_REASONS[reason]


def _renewals_due(accounts: list[DemoAccount]) -> None:
    """The declining accounts' contracts renew within RENEWAL_DAYS of today: each keeps its whole years as
    a customer, its anniversary moved (no random draw, so every other account's story stays as it was)."""
    declining = [a for a in accounts if a.archetype == "declining"]
    low, high = RENEWAL_DAYS
    for k, account in enumerate(declining):
        due = low + (high - low) * k // max(1, len(declining) - 1)
        years = max(1, round((DAYS - account.since_day) / 365.25))
        account.since_day = DAYS + due - round(years * 365.25)


def _since_day(rng: random.Random, archetype: str) -> int:
    if archetype in ("churned", "declining"):
        return -rng.randint(200, 1100)
    roll = rng.random()
    if roll < 0.12:
        return rng.randint(DAYS - 85, DAYS - 20)  # onboarding now
    if roll < 0.25:
        return rng.randint(120, DAYS - 120)
    return -rng.randint(30, 1400)


PLANS = {
    "enterprise": [("Enterprise", 1.0)],
    "mid_market": [("Business", 0.7), ("Enterprise", 0.15), ("Growth", 0.15)],
    "smb": [("Growth", 0.5), ("Starter", 0.5)],
}
ARR_RANGE = {"enterprise": (180_000, 850_000), "mid_market": (36_000, 160_000), "smb": (4_800, 30_000)}
SEAT_PRICE = {"Enterprise": 720, "Business": 540, "Growth": 420, "Starter": 300}


def _commercials(rng: random.Random, account: DemoAccount) -> None:
    plans = PLANS[account.tier]
    account.plan = rng.choices([p for p, _ in plans], weights=[w for _, w in plans])[0]
    low, high = ARR_RANGE[account.tier]
    account.arr = round(rng.uniform(low, high) / 100) * 100
    account.seats = max(3, account.arr // SEAT_PRICE[account.plan])
    account.email_style = rng.choice(["first.last", "first.last", "flast", "first", "first_last"])


def _story(rng: random.Random, account: DemoAccount, reason: str) -> None:
    """Pain and love topics, and when a decline, recovery or churn happens."""
    account.pain = {t: rng.uniform(0.6, 1.4) for t in TOPICS}
    account.love = {t: rng.uniform(0.6, 1.4) for t in TOPICS}
    for topic in rng.sample(TOPICS, 2):
        account.love[topic] *= 2.5
    if account.archetype in ("declining", "churned"):
        account.pain[PAIN_BY_REASON[reason]] *= 4
        account.pain[rng.choice(TOPICS)] *= 1.8
        if account.archetype == "churned":
            account.churn_day = rng.randint(DAYS - 210, DAYS - 45)
            account.turn_day = account.churn_day - rng.randint(150, 260)
            account.churn_reason = CHURN_REASONS[reason]
        else:
            account.turn_day = DAYS - rng.randint(150, 260)
    elif account.archetype == "recovering":
        account.pain[rng.choice(TOPICS)] *= 3
        account.turn_day = rng.randint(120, 300)
    if account.since_day > DAYS - 120:
        account.pain["onboarding"] *= 2.5
        account.love["onboarding"] *= 2.5


def _arr_story(rng: random.Random, account: DemoAccount) -> None:
    """Seat changes over the window: drifting accounts contract (a seat cut or two on the way out),
    happy ones sometimes expand, the rest now and then trim or add a few seats (so ARR is no label)."""
    arr, changes = account.arr, []
    first = max(account.since_day, 0) + 60
    last = (account.churn_day or DAYS) - 10
    if account.archetype in ("churned", "declining"):
        cuts = 2 if rng.random() < 0.5 else 1
        span = (account.churn_day or DAYS) - account.turn_day
        for k in range(cuts):
            day = account.turn_day + int((k + 1) * span / (cuts + 1))
            if first <= day <= last:
                arr = round(arr * rng.uniform(0.65, 0.85) / 100) * 100
                changes.append((day, arr))
    else:
        chance = {"champion": 0.6, "steady": 0.35, "recovering": 0.3}.get(account.archetype, 0.2)
        if rng.random() < chance and first < last:
            up = account.archetype in ("champion", "steady", "recovering") or rng.random() < 0.4
            factor = rng.uniform(1.1, 1.35) if up else rng.uniform(0.8, 0.95)
            arr = round(arr * factor / 100) * 100
            changes.append((rng.randint(first, last), arr))
    account.start_arr, account.arr, account.arr_changes = account.arr, arr, sorted(changes)


def assign_owners(rng: random.Random, accounts: list[DemoAccount], cs_count: int) -> None:
    """Enterprise and mid-market accounts get a CSM (DACH ones mostly the German speaker, the last);
    most small accounts are served by the pooled team (no owner)."""
    for account in accounts:
        if account.tier == "smb" and rng.random() < 0.6:
            continue
        if account.lang == "de" and rng.random() < 0.8:
            account.csm = cs_count - 1
        else:
            account.csm = rng.randrange(cs_count - 1)


CONTACTS_PER_TIER = {"enterprise": (14, 20), "mid_market": (7, 11), "smb": (3, 6)}


def build_contacts(rng: random.Random, accounts: list[DemoAccount]) -> list[DemoContact]:
    """People at each account: names in the region's language (mostly), emails at the account's domain."""
    contacts: list[DemoContact] = []
    emails: set[str] = set()
    for account in accounts:
        names: set[str] = set()
        for _ in range(rng.randint(*CONTACTS_PER_TIER[account.tier])):
            locale = account.lang if rng.random() < 0.78 else "en"
            first, last = rng.choice(FIRST_NAMES[locale]), rng.choice(LAST_NAMES[locale])
            while f"{first} {last}" in names:  # two people of one name at one company reads as a bug
                first, last = rng.choice(FIRST_NAMES[locale]), rng.choice(LAST_NAMES[locale])
            names.add(f"{first} {last}")
            email = _unique_email(_email(account.email_style, first, last, account.domain), emails)
            title, role = _title(rng, locale)
            joined = max(account.since_day, 0) + (rng.randint(0, 200) if rng.random() < 0.2 else 0)
            joined = min(joined, DAYS - 5)
            contact = DemoContact(
                len(contacts),
                account,
                f"{first} {last}",
                email,
                title,
                role,
                locale,
                joined,
                mood=rng.gauss(0, 0.35),
            )
            roll = rng.random()
            if roll < 0.035:
                contact.unsubscribe_day = rng.randint(max(joined, 30), DAYS - 3)
            elif roll < 0.055:
                contact.bounce_day = rng.randint(max(joined, 30), DAYS - 3)
            contacts.append(contact)
    return contacts


def _email(style: str, first: str, last: str, domain: str) -> str:
    f, l_ = first.lower().translate(ASCII_FOLD), last.lower().translate(ASCII_FOLD)
    local = {"first.last": f"{f}.{l_}", "flast": f"{f[0]}{l_}", "first": f, "first_last": f"{f}_{l_}"}[style]
    return f"{local}@{domain}"


def _unique_email(email: str, taken: set[str]) -> str:
    local, _, domain = email.partition("@")
    candidate, n = email, 2
    while candidate in taken:
        candidate, n = f"{local}{n}@{domain}", n + 1
    taken.add(candidate)
    return candidate


def _title(rng: random.Random, locale: str) -> tuple[str, str]:
    if locale in LOCAL_TITLES and rng.random() < 0.25:
        return rng.choice(LOCAL_TITLES[locale])
    return rng.choice(TITLES)


def lifecycle(account: DemoAccount, renewal_in: int) -> str:
    """The stage a CS team would give this account today."""
    if account.churn_day is not None:
        return "churned"
    if account.archetype == "declining":
        return "at_risk"
    if account.since_day > DAYS - 90:
        return "onboarding"
    if account.since_day > DAYS - 270:
        return "adoption"
    if renewal_in <= 60:
        return "renewal"
    if account.archetype == "champion" and account.tier != "smb":
        return "expansion"
    return "growth"
