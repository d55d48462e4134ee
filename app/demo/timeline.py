"""Eighteen months of surveying the demo customers: sends, invitations and the responses they brought.

Everything is planned in memory as plain dicts (referencing contacts and sends by index) and inserted in
bulk by seed.py. Scores follow each account's health over time plus the product's events (an outage, a
new report builder, a price increase); comments follow the scores' tone.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.demo.comments import OUTAGE_DAY, PRICE_DAY, REPORTS_DAY, CommentWriter
from app.demo.world import DAYS, DemoAccount, DemoContact

SURVEYS = ("nps", "csat", "ces", "form")
FORM_CATEGORIES = [("bug", 30), ("feature_request", 35), ("question", 15), ("praise", 12), ("other", 8)]
TICKETS_PER_WEEK = (95, 130)
PULSE_DAY = DAYS - 40  # the pre-renewal pulse to the declining accounts (see world.STRETCH_DAYS)
STRETCH_TICKETS = 0.5  # extra closed tickets per contact and week of a declining account at renewal


def clamp(value: float, low: int, high: int) -> int:
    """Round and keep within [low, high]."""
    return max(low, min(high, round(value)))


def _tone(score: int, high: int, good: int, middle: int, roll: float) -> str:
    """Tone of a support comment: top scores praise, the next mostly praise, the middle is mixed or cross."""
    if score >= high or (score == good and roll < 0.75):
        return "positive"
    if score == good or (score == middle and roll < 0.6):
        return "mixed"
    return "negative"


def in_outage(day: int) -> bool:
    """The weeks after the performance incident."""
    return OUTAGE_DAY <= day < OUTAGE_DAY + 40


@dataclass
class Plan:
    """Rows to insert; invitations and responses point at sends/contacts/invitations by index."""

    sends: list[dict[str, Any]] = field(default_factory=list)
    invitations: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    bounced: dict[int, datetime] = field(default_factory=dict)  # contact index → when it bounced
    surveyed: dict[int, datetime] = field(default_factory=dict)  # contact index → last invitation sent


class Timeline:
    """Plans the whole history for a set of accounts and contacts."""

    def __init__(
        self,
        rng: random.Random,
        start: date,
        as_of: datetime,
        csm_names: dict[int, str],
        stretch_rng: random.Random | None = None,
    ) -> None:
        self.rng = rng
        # the declining accounts' last quarter draws from its own stream, so the rest of the story is the
        # same with or without it
        self.stretch_rng = stretch_rng or random.Random(0)
        self.pulse = False
        self.start = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
        self.as_of = as_of
        self.writer = CommentWriter(rng, start)
        self.csm_names = csm_names
        self.plan = Plan()

    def at(self, day: int, hour: int, minute: int = 0) -> datetime:
        """A moment of a window day."""
        return self.start + timedelta(days=day, hours=hour, minutes=minute)

    def build(self, contacts: list[DemoContact]) -> Plan:
        """Monthly NPS waves, weekly support CSAT/CES sends, and a trickle of feedback-form messages."""
        waves: list[tuple[int, int, str, list[DemoContact], int | None]] = []
        for month in range(18):
            day = 3 + int(month * 30.4)
            cohort = [c for c in contacts if c.index % 3 == month % 3 and self._reachable(c, day)]
            waves.append((day, 14, "nps", cohort, 3))
        for week in range(DAYS // 7):
            day = week * 7 + 4
            tickets = self._tickets(contacts, day)
            split = round(len(tickets) * 0.6)
            waves += [(day, 16, "csat", tickets[:split], None), (day, 16, "ces", tickets[split:], None)]
        stretch = self._stretch_waves(contacts)
        # In time order: a bounce or the last-surveyed time is seen by every later send, never an earlier one.
        for day, hour, kind, people, reminder_days in sorted(
            [*waves, *stretch], key=lambda w: (w[0], w[1], SURVEYS.index(w[2]))
        ):
            if any(w[3] is people for w in stretch):
                with self._stretch(pulse=kind == "nps"):
                    self._send(kind, day, hour, people, reminder_days)
            else:
                self._send(kind, day, hour, people, reminder_days)
        self._forms(contacts)
        return self.plan

    def _stretch_waves(self, contacts: list[DemoContact]) -> list[tuple[int, int, str, list, int | None]]:
        """The declining accounts' last quarter (world.STRETCH_DAYS): their problems pile up (more support
        tickets each week, which go badly as their drift says) and, 40 days before today, their CSMs run a
        pre-renewal pulse (an NPS send to everyone there, most of whom answer: they are unhappy)."""
        rng, waves = self.stretch_rng, []
        for week in range(DAYS // 7):
            day = week * 7 + 4
            pool = [c for c in contacts if c.account.stretch(day) > 0 and self._reachable(c, day)]
            people = [c for c in pool if rng.random() < STRETCH_TICKETS * c.account.stretch(day)]
            if people:
                waves.append((day, 17, "csat" if week % 2 else "ces", people, None))
        pulse = [c for c in contacts if c.account.stretch(PULSE_DAY) > 0 and self._reachable(c, PULSE_DAY)]
        if pulse:
            waves.append((PULSE_DAY, 10, "nps", pulse, 3))
        return waves

    @contextmanager
    def _stretch(self, pulse: bool):
        """Draw from the stretch's own stream (answers, scores, comments) while planning its sends."""
        main = self.rng
        self.rng = self.writer.rng = self.stretch_rng
        self.pulse = pulse
        try:
            yield
        finally:
            self.rng = self.writer.rng = main
            self.pulse = False

    def _reachable(self, contact: DemoContact, day: int) -> bool:
        return contact.account.active_on(day) and contact.joined_day <= day

    def _tickets(self, contacts: list[DemoContact], day: int) -> list[DemoContact]:
        """The people whose support tickets were closed this week."""
        pool = [c for c in contacts if self._reachable(c, day)]
        weights = [
            (2.0 if c.account.tier == "enterprise" else 1.0) * (1.6 if c.role == "admin" else 1.0)
            for c in pool
        ]
        wanted = self.rng.randint(*TICKETS_PER_WEEK) * (1.6 if in_outage(day) else 1.0)
        chosen: dict[int, DemoContact] = {}
        while pool and len(chosen) < min(int(wanted * len(pool) / 400), len(pool)):
            c = self.rng.choices(pool, weights=weights)[0]
            chosen.setdefault(c.index, c)
        return list(chosen.values())

    def _send(
        self, kind: str, day: int, hour: int, people: list[DemoContact], reminder_days: int | None = None
    ) -> None:
        if not people:
            return
        when = self.at(day, hour)
        send_index = len(self.plan.sends)
        self.plan.sends.append(
            {
                "kind": kind,
                "scheduled_at": when,
                "started_at": when,
                "completed_at": when + timedelta(minutes=4),
                "reminder_delay_days": reminder_days,
                "expires_at": when + timedelta(days=30),
                "audience": {"type": "emails", "emails": sorted(c.email for c in people)},
                "created_at": when,
            }
        )
        for contact in people:
            self._invite(kind, send_index, day, when, contact, reminder_days)

    def _invite(
        self,
        kind: str,
        send_index: int,
        day: int,
        when: datetime,
        contact: DemoContact,
        reminder_days: int | None,
    ) -> None:
        rng, plan = self.rng, self.plan
        row: dict[str, Any] = {
            "send": send_index,
            "kind": kind,
            "contact": contact.index,
            "created_at": when,
            "expires_at": when + timedelta(days=30),
            "state": "sent",
            "attempts": 1,
        }
        if contact.unsubscribe_day is not None and contact.unsubscribe_day <= day:
            row |= {"state": "skipped", "skip_reason": "unsubscribed", "attempts": 0}
        elif contact.index in plan.bounced:
            row |= {"state": "skipped", "skip_reason": "bounced", "attempts": 0}
        elif contact.bounce_day is not None and contact.bounce_day <= day:
            row |= {"state": "bounced", "error": "550 5.1.1 The email account does not exist"}
            plan.bounced[contact.index] = when + timedelta(minutes=3)
        plan.invitations.append(row)
        if row["state"] != "sent":
            return
        sent = when + timedelta(minutes=rng.randint(0, 25), seconds=rng.randint(0, 59))
        row["sent_at"] = sent
        plan.surveyed[contact.index] = sent
        self._answer(kind, day, sent, contact, row, reminder_days)

    def _answer(
        self,
        kind: str,
        day: int,
        sent: datetime,
        contact: DemoContact,
        row: dict[str, Any],
        reminder_days: int | None,
    ) -> None:
        rng = self.rng
        health = contact.account.health(day) + contact.mood
        chance = {"nps": 0.5 + 0.08 * health, "csat": 0.55, "ces": 0.5}[kind]
        chance *= 1 - 0.8 * contact.account.drift(day)  # a drifting account goes quiet
        if self.pulse:  # … but asked in person before the renewal, most of its people say what is wrong
            chance = 0.8
        delay = timedelta(hours=min(rng.expovariate(1 / 12), 150))
        answered = rng.random() < chance and sent + delay < self.as_of
        reminder_at = sent + timedelta(days=reminder_days) if reminder_days else None
        if reminder_at and reminder_at < self.as_of and (not answered or sent + delay > reminder_at):
            row |= {
                "reminder_state": "sent",
                "reminder_sent_at": reminder_at,
                "reminder_claimed_at": reminder_at,
            }
        if not answered:
            if rng.random() < 0.06 and sent + delay < self.as_of:  # opened the page, never answered
                row |= {"first_clicked_at": sent + delay, "last_clicked_at": sent + delay, "click_count": 1}
            return
        at = sent + delay
        clicks = rng.choice([1, 1, 1, 2])
        row |= {
            "responded_at": at,
            "first_clicked_at": at - timedelta(seconds=40),
            "last_clicked_at": at,
            "click_count": clicks,
        }
        response = self._response(kind, day, at, contact)
        response["invitation"] = len(self.plan.invitations) - 1
        self.plan.responses.append(response)

    def _response(self, kind: str, day: int, at: datetime, contact: DemoContact) -> dict[str, Any]:
        """A scored response whose comment's tone matches its score."""
        account = contact.account
        if kind == "nps":
            score, tone, comment_p = self._nps_score(account, contact, day)
        else:
            score, tone, comment_p = self._support_score(kind, account, contact, day)
        comment = None
        if self.rng.random() < comment_p:
            if kind == "nps":
                pain, love = self._topic_weights(account, day, tone)
                csm = self.csm_names.get(account.index)
                comment = self.writer.nps(tone, pain, love, day, contact.locale, csm, score)
            else:
                comment = self.writer.support(kind, tone, day, contact.locale)
        return {
            "kind": kind,
            "score": score,
            "comment": comment,
            "created_at": at,
            "contact": contact.index,
            "account": account.index,
            "locale": contact.locale,
            "channel": "email",
        }

    def _nps_score(self, account: DemoAccount, contact: DemoContact, day: int) -> tuple[int, str, float]:
        rng = self.rng
        latent = account.health(day) + contact.mood + rng.gauss(0, 0.85)
        latent -= 0.35 if in_outage(day) else 0
        latent -= (0.25 if account.tier == "smb" else 0.1) if day >= PRICE_DAY else 0
        latent += 0.1 if day >= REPORTS_DAY else 0
        score = clamp(7.7 + 1.9 * latent, 0, 10)
        roll = rng.random()
        if score >= 9:
            return score, "positive", 0.65
        if score >= 7:
            return score, "mixed" if roll < 0.6 else ("positive" if roll < 0.85 else "negative"), 0.7
        return score, "negative" if roll < 0.78 else "mixed", 0.85

    def _support_score(
        self, kind: str, account: DemoAccount, contact: DemoContact, day: int
    ) -> tuple[int, str, float]:
        rng = self.rng
        quality = 0.45 + 0.35 * day / DAYS - (0.7 if in_outage(day) else 0)
        latent = 0.6 * quality + 0.35 * (account.health(day) + contact.mood) + rng.gauss(0, 0.9)
        latent -= 1.2 * account.drift(day)  # tickets of a drifting account go badly, and they say so
        roll = rng.random()
        if kind == "csat":
            score = clamp(4.0 + 1.1 * latent, 1, 5)
            tone = _tone(score, high=5, good=4, middle=3, roll=roll)
            return score, tone, 0.75 if score <= 2 else 0.55
        score = clamp(5.0 + 1.4 * latent, 1, 7)
        tone = _tone(score, high=6, good=5, middle=4, roll=roll)
        return score, tone, 0.7 if score <= 3 else 0.5

    def _topic_weights(
        self, account: DemoAccount, day: int, tone: str = "mixed"
    ) -> tuple[dict[str, float], dict[str, float]]:
        """The account's pain and love topics, bent by what the product went through that month."""
        pain, love = dict(account.pain), dict(account.love)
        if in_outage(day):
            pain["performance"] *= 4
        if day >= PRICE_DAY:
            pain["pricing"] *= 3.5 if account.tier == "smb" else 2
        if day >= REPORTS_DAY:
            love["reporting"] *= 2.5
        drift = account.drift(day) if tone != "positive" else 0.0
        if drift:  # a drifting account's complaints turn to support and bugs
            pain["support"] *= 1 + 4 * drift
            pain["bugs"] *= 1 + 4 * drift
        if account.since_day > day - 120:
            pain["onboarding"] *= 2
            love["onboarding"] *= 2
        return pain, love

    def _forms(self, contacts: list[DemoContact]) -> None:
        """Feedback-form messages: about two a week, mostly from known contacts."""
        rng = self.rng
        names = [c for c, _ in FORM_CATEGORIES]
        for day in range(DAYS):
            if rng.random() > 0.62:
                continue
            pool = [c for c in contacts if self._reachable(c, day)]
            contact = rng.choice(pool) if pool and rng.random() < 0.82 else None
            category = rng.choices(names, weights=[w for _, w in FORM_CATEGORIES])[0]
            at = self.at(day, rng.randint(7, 19), rng.randint(0, 59))
            if at >= self.as_of:
                continue
            self.plan.responses.append(
                {
                    "kind": "form",
                    "score": None,
                    "comment": self.writer.form(category, day),
                    "created_at": at,
                    "contact": contact.index if contact else None,
                    "account": contact.account.index if contact else None,
                    "locale": contact.locale if contact else "en",
                    "channel": "form",
                    "form_category": category,
                    "respondent_email": contact.email if contact else None,
                    "submission_id": f"{rng.getrandbits(128):032x}",
                }
            )
