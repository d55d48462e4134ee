"""Compose realistic, varied survey comments from the phrase banks, in the respondent's tone and language.

A comment is built from an opener, one to three topic clauses (praise and/or complaint, joined with "and",
"but" or "However"), and a closer, with slots filled at random and an occasional typo. Topics follow the
account's story (its pain and love topics) and what happened to the product at the time (an outage, a new
report builder, a price increase), so later topic trends have something true to find.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

from app.demo import phrases_en as en
from app.demo import phrases_frame as frame
from app.demo import phrases_support as sup
from app.demo.phrases_intl import LANGS

# Product events, as days into the 18-month window: they gate clauses that mention them.
OUTAGE_DAY, REPORTS_DAY, PRICE_DAY = 305, 390, 450
GATES = {"outage": OUTAGE_DAY, "new report builder": REPORTS_DAY, "price increase": PRICE_DAY}


def cap(text: str) -> str:
    """Upper-case the first letter."""
    return text[:1].upper() + text[1:]


class CommentWriter:
    """Writes comments for one seeded run; all randomness comes from the given generator."""

    def __init__(self, rng: random.Random, start: date) -> None:
        self.rng = rng
        self.start = start

    # --- slots ---------------------------------------------------------------------------------------
    def _month(self, day: int, event: str | None = None) -> str:
        if event is not None:
            return (self.start + timedelta(days=GATES[event])).strftime("%B")
        return (self.start + timedelta(days=day - self.rng.randint(20, 120))).strftime("%B")

    def fill(self, text: str, day: int, csm: str | None = None) -> str:
        """Fill every {slot} of a phrase."""
        rng = self.rng
        event = next((e for e in GATES if e in text), None)
        values = {
            "product": rng.choice(frame.PRODUCT_NAMES),
            "very": rng.choice(frame.INTENSIFIERS),
            "integration": rng.choice(frame.INTEGRATIONS),
            "feature": rng.choice(frame.FEATURES),
            "csm": csm or rng.choice(["our CSM", "our account manager", "the CS team"]),
            "month": self._month(day, event),
            "team": rng.choice(frame.TEAMS),
            "number": rng.choice(frame.NUMBERS),
            "timeframe": rng.choice([t for t in frame.TIMEFRAMES if "outage" not in t or day > OUTAGE_DAY]),
            "agent": rng.choice(["Maya", "Tom", "Lena", "Carlos", "Aisha", "Ben", "Priscilla", "Kenji"]),
            "problem": rng.choice(sup.PROBLEMS),
            "action": rng.choice(sup.ACTIONS),
            "symptom": rng.choice(sup.SYMPTOMS),
            "env": rng.choice(sup.ENVIRONMENTS),
            "task": rng.choice(sup.TASKS),
            "thing": rng.choice(sup.THINGS),
        }
        return text.format_map(values).strip()

    def _allowed(self, phrases: list[str], day: int) -> list[str]:
        ok = [p for p in phrases if all(day >= gate for e, gate in GATES.items() if e in p)]
        return ok or phrases[:1]

    def _topic(self, weights: dict[str, float], available: list[str]) -> str:
        topics = [t for t in available if weights.get(t, 0) > 0] or available
        return self.rng.choices(topics, weights=[weights.get(t, 1.0) for t in topics])[0]

    def _clause(self, tone: str, weights: dict[str, float], day: int, csm: str | None) -> str:
        bank = en.POSITIVE if tone == "positive" else en.NEGATIVE
        topic = self._topic(weights, list(bank))
        return self.fill(self.rng.choice(self._allowed(bank[topic], day)), day, csm)

    # --- NPS -----------------------------------------------------------------------------------------
    def nps(
        self,
        tone: str,
        pain: dict[str, float],
        love: dict[str, float],
        day: int,
        locale: str = "en",
        csm: str | None = None,
        score: int = 5,
    ) -> str:
        """A relationship-survey comment in the given tone (positive, mixed, negative) for a score."""
        if locale in LANGS and self.rng.random() < 0.75:
            return self._foreign(LANGS[locale], tone, pain, love, day, csm)
        rng = self.rng
        if rng.random() < 0.08:
            return self.typo(rng.choice(frame.SHORT[tone]))
        if tone == "mixed":
            return self.typo(self._mixed(pain, love, day, csm, score))
        weights = love if tone == "positive" else pain
        parts = [self._clause(tone, weights, day, csm)]
        if rng.random() < 0.45:
            parts.append(self._clause(tone, weights, day, csm))
        text = cap(" and ".join(parts) if rng.random() < 0.6 else ". ".join(cap(p) for p in parts)) + "."
        if rng.random() < 0.3:
            text += " " + cap(self._clause(tone, weights, day, csm)) + "."
        if tone == "positive" and rng.random() < 0.25:
            text += " " + self.fill(rng.choice(frame.PROMOTER_WISHES), day, csm)
        # A passive who complains does not open with "Sorry, but no."
        opener = rng.choice(frame.OPENERS[tone]) if tone == "positive" or score <= 4 else ""
        closer = rng.choice(frame.CLOSERS[tone]) if tone == "positive" or score <= 6 else ""
        return self.typo(" ".join(s for s in (opener, text, closer) if s))

    def _mixed(
        self, pain: dict[str, float], love: dict[str, float], day: int, csm: str | None, score: int
    ) -> str:
        rng = self.rng
        good, bad = self._clause("positive", love, day, csm), self._clause("negative", pain, day, csm)
        shape = rng.choice([0, 1, 2, 3, 4, 5] if score >= 7 else [0, 1, 3, 5])
        if shape == 0:
            text = f"{cap(good)}, but {bad}."
        elif shape == 1:
            text = f"{cap(good)}. However, {bad}."
        elif shape == 2:
            text = f"{cap(good)}. Would be a 10 {self.fill(rng.choice(frame.WISHES), day, csm)}."
        elif shape == 3:
            text = f"{cap(bad)}, but {good}."
        elif shape == 4:
            return f"Overall good. We'd really like {rng.choice(frame.FEATURES)}. {cap(good)}."
        else:
            text = f"{cap(good)}. On the other hand, {bad}."
        return " ".join(
            s for s in (rng.choice(frame.OPENERS["mixed"]), text, rng.choice(frame.CLOSERS["mixed"])) if s
        )

    def _foreign(
        self, bank: dict, tone: str, pain: dict[str, float], love: dict[str, float], day: int, csm: str | None
    ) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            return rng.choice(bank["short"][tone])

        csm = csm or str(bank["csm"])

        def clause(kind: str, weights: dict[str, float]) -> str:
            topics = bank[kind]
            return self.fill(rng.choice(topics[self._topic(weights, list(topics))]), day, csm)

        if tone == "mixed":
            text = f"{cap(clause('positive', love))}, {bank['but']} {clause('negative', pain)}."
        else:
            kind, weights = ("positive", love) if tone == "positive" else ("negative", pain)
            text = cap(clause(kind, weights))
            if rng.random() < 0.4:
                text += f" {bank['and']} {clause(kind, weights)}"
            text += "."
        opener = rng.choice(bank["openers"][tone])
        return f"{opener} {text}".strip()

    # --- support and forms ---------------------------------------------------------------------------
    def support(self, kind: str, tone: str, day: int, locale: str = "en") -> str:
        """A CSAT or CES comment about a support interaction: opener, main sentence, sometimes an extra."""
        rng = self.rng
        if locale in LANGS and rng.random() < 0.6:
            bank = LANGS[locale]
            side = "positive" if tone == "positive" else "negative"
            return cap(self.fill(rng.choice(bank[side]["support"]), day, str(bank["csm"]))) + "."
        bank = sup.CSAT if kind == "csat" else sup.CES
        parts = [rng.choice(sup.SUPPORT_OPENERS[tone]), self.fill(rng.choice(bank[tone]), day)]
        if rng.random() < 0.4:
            parts.append(cap(self.fill(rng.choice(sup.SUPPORT_EXTRAS[tone]), day)))
        return self.typo(" ".join(p for p in parts if p))

    def form(self, category: str, day: int) -> str:
        """A feedback-form message of a category."""
        return self.typo(self.fill(self.rng.choice(sup.FORM[category]), day))

    # --- noise ---------------------------------------------------------------------------------------
    def typo(self, text: str) -> str:
        """Now and then, the small slips real people make when typing fast."""
        rng = self.rng
        if rng.random() > 0.1 or len(text) < 12:
            return text
        kind = rng.randrange(5)
        if kind == 0:
            words = [w for w in frame.TYPOS if re.search(rf"\b{re.escape(w)}\b", text)]
            if words:
                word = rng.choice(words)
                return re.sub(rf"\b{re.escape(word)}\b", frame.TYPOS[word], text, count=1)
        if kind == 1:
            return text.lower()
        if kind == 2:
            return text.rstrip(".!")
        words = text.split(" ")
        long_words = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if not long_words:
            return text
        i = rng.choice(long_words)
        w = words[i]
        j = rng.randrange(1, len(w) - 2)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :] if kind == 3 else w[:j] + w[j + 1 :]
        return " ".join(words)
