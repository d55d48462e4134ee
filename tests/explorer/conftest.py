"""A small hand-built world for the explorer: responses whose every filterable property is known."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import (
    Channel,
    FollowUp,
    FollowUpState,
    Lifecycle,
    Mention,
    MentionSource,
    ResponseIntent,
    Tier,
)
from tests.factories import make_account, make_contact, make_response, make_survey, make_topic, make_user

DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@dataclass
class World:
    """Ids of the world's rows, by name."""

    ids: dict[str, int]

    def __getattr__(self, name: str) -> int:
        try:
            return self.ids[name]
        except KeyError:
            raise AttributeError(name) from None


def _mention(response, topic, sentiment, start=None, end=None, rejected=False, source=MentionSource.PHRASE):
    db.session.add(
        Mention(
            response_id=response.id,
            topic_id=topic.id,
            source=MentionSource.MANUAL if rejected else source,
            rejected=rejected,
            sentiment_label=sentiment,
            start=start,
            end=end,
        )
    )


def _span(text: str, word: str) -> tuple[int, int]:
    m = re.search(word, text)
    return m.start(), m.end()


def build_world() -> World:
    """Eight responses over four surveys, two accounts, three topics (one a child), intents, follow-ups."""
    owner = make_user(role="cs", name="Casey Owner")
    big = make_account(
        name="Bigco",
        tier=Tier.ENTERPRISE,
        plan="Pro",
        lifecycle_stage=Lifecycle.GROWTH,
        arr=120_000,
        csm_owner_id=owner.id,
    )
    small = make_account(
        name="Smallco", tier=Tier.SMB, plan="Basic", lifecycle_stage=Lifecycle.AT_RISK, arr=9_000
    )
    alice = make_contact(big, name="Alice Doe", email="alice@bigco.example")
    bob = make_contact(small, name="Bob Roe", email="bob@smallco.example")
    nps, csat, ces, form = make_survey("nps"), make_survey("csat"), make_survey("ces"), make_survey("form")
    billing = make_topic("Billing")
    invoices = make_topic("Invoices", parent_id=billing.id)
    onboarding = make_topic("Onboarding")

    def resp(survey, score, comment, days, account=None, contact=None, **kw):
        return make_response(
            survey,
            score=score,
            comment=comment,
            created_at=DAY + timedelta(days=days),
            account_id=account.id if account else None,
            contact_id=contact.id if contact else None,
            **kw,
        )

    t1 = "The invoices are wrong again, call alice@bigco.example"
    r1 = resp(nps, 2, t1, 0, big, alice, sentiment_label="negative", language="en")
    r2 = resp(nps, 10, "Onboarding was smooth", 1, small, bob, sentiment_label="positive", language="en")
    r3 = resp(nps, 8, None, 2, big, alice)
    r4 = resp(
        csat,
        5,
        "Billing page is clear",
        3,
        big,
        None,
        sentiment_label="positive",
        language="en",
        channel=Channel.LINK,
    )
    r5 = resp(csat, 1, "Die Rechnungen sind falsch", 4, small, bob, sentiment_label="negative", language="de")
    r6 = resp(ces, 2, "Hard to find the settings", 5, None, None, sentiment_label="negative", language="en")
    r7 = resp(ces, 6, "=SUM(A1) easy", 6, small, None, sentiment_label="positive", language="en")
    r8 = resp(
        form,
        None,
        "Please add SSO",
        7,
        big,
        alice,
        sentiment_label="neutral",
        language="en",
        channel=Channel.FORM,
    )
    _mention(r1, invoices, "negative", *_span(t1, "invoices"))
    _mention(r2, onboarding, "positive", 0, 10)
    _mention(r4, billing, "positive", 0, 7)
    _mention(r5, invoices, "negative", rejected=True)  # a person rejected it: never counts
    _mention(r8, onboarding, "neutral", source=MentionSource.MANUAL)
    for response, label in ((r1, "complaint"), (r2, "praise"), (r6, "bug_report"), (r8, "feature_request")):
        db.session.add(ResponseIntent(response_id=response.id, label=label, score=0.9))
    now = datetime.now(UTC)
    db.session.add_all(
        [
            FollowUp(
                response_id=r1.id,
                account_id=big.id,
                state=FollowUpState.OPEN,
                reason="detractor",
                due_at=now - timedelta(days=1),
            ),
            FollowUp(response_id=r2.id, account_id=small.id, state=FollowUpState.RESOLVED, reason="x"),
            FollowUp(
                response_id=r6.id, state=FollowUpState.CONTACTED, reason="x", due_at=now + timedelta(days=3)
            ),
        ]
    )
    db.session.commit()
    names = {
        "r1": r1,
        "r2": r2,
        "r3": r3,
        "r4": r4,
        "r5": r5,
        "r6": r6,
        "r7": r7,
        "r8": r8,
        "big": big,
        "small": small,
        "alice": alice,
        "bob": bob,
        "nps": nps,
        "csat": csat,
        "ces": ces,
        "form": form,
        "billing": billing,
        "invoices": invoices,
        "onboarding": onboarding,
        "owner": owner,
    }
    return World({k: v.id for k, v in names.items()})


@pytest.fixture
def world(app) -> World:
    """The world, committed to the test's transaction."""
    with app.app_context():
        return build_world()


def page_ids(client, query: str = "") -> list[int]:
    """Response ids shown on the explorer page for a query string, in order."""
    resp = client.get(f"/responses?{query}")
    assert resp.status_code == 200, resp.status_code
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', resp.get_data(as_text=True))]
