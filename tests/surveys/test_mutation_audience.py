"""Audience edges the mutation run (docs/mutation.md) showed unguarded: addresses in angle brackets, the
per-send limit at exactly its size, the reasons a refused list is given, an audience in words, the
quarantine at its exact cut-off, and the admin's quarantine override."""

from __future__ import annotations

from datetime import timedelta

import pytest

import app.surveys.audience as audience
from app.extensions import db
from app.models import DeliveryState, utcnow
from app.surveys.audience import AudienceError, emails_from_csv
from app.workspace_settings import set_settings
from tests.factories import make_contact, make_invitation


def test_addresses_lose_their_angle_brackets_and_case_but_keep_their_letters():
    text = "Xavier,<Xavier@Example.COM>\n<xena@example.com>,XX@example.com\n"
    assert emails_from_csv(text) == ["xavier@example.com", "xena@example.com", "xx@example.com"]


def test_a_list_of_exactly_the_limit_is_accepted_and_one_more_is_refused(monkeypatch):
    monkeypatch.setattr(audience, "MAX_EMAILS", 3)
    three = [f"p{i}@example.com" for i in range(3)]
    assert emails_from_csv("\n".join(three)) == three
    with pytest.raises(AudienceError, match=r"^At most 3 addresses per send\.$"):
        emails_from_csv("\n".join([*three, "p3@example.com"]))


def test_a_list_that_is_not_csv_is_refused_with_a_way_forward():
    with pytest.raises(AudienceError, match=r"not readable CSV .*paste one address per line"):
        emails_from_csv("a@b.example," + "x" * 200_000)


@pytest.mark.parametrize(
    ("spec", "names", "words"),
    [
        ({"type": "all"}, None, "All contacts"),
        ({"type": "tier", "values": ["enterprise", "mid_market"]}, None, "Tier: enterprise, mid market"),
        ({"type": "plan", "values": ["Starter"]}, None, "Plan: Starter"),
        ({"type": "lifecycle", "values": ["at_risk"]}, None, "Lifecycle stage: at risk"),
        ({"type": "accounts", "ids": [1, 2]}, {1: "Acme", 2: "Globex"}, "Accounts: Acme, Globex"),
        (
            {"type": "accounts", "ids": [1, 2, 3, 4, 5, 6, 7]},
            {1: "A", 2: "B", 3: "C", 4: "D"},
            "Accounts: A, B, C, D, #5 and 2 more",
        ),
        ({"type": "accounts", "ids": [1, 2, 3, 4, 5]}, {}, "Accounts: #1, #2, #3, #4, #5"),
        ({"type": "accounts", "ids": [1, 2, 3, 4, 5, 6]}, {}, "Accounts: #1, #2, #3, #4, #5 and 1 more"),
        ({"type": "emails", "emails": ["a@b.example"] * 1234}, None, "Email list (1,234 addresses)"),
        ({"type": "segment"}, None, "Unknown audience"),
        # a stored spec missing its list (older rows) is still described, never a 500
        ({"type": "plan"}, None, "Plan: "),
        ({"type": "accounts"}, {}, "Accounts: "),
        ({"type": "emails"}, None, "Email list (0 addresses)"),
    ],
)
def test_an_audience_is_described_in_words(spec, names, words):
    assert audience.describe(spec, names) == words


@pytest.mark.parametrize(
    ("spec", "clean"),
    [
        ({"type": "all", "values": ["x"]}, {"type": "all"}),
        (
            {"type": "tier", "values": ["smb", "enterprise", "smb", " "]},
            {"type": "tier", "values": ["enterprise", "smb"]},
        ),
        ({"type": "plan", "values": ["Scale", "Starter"]}, {"type": "plan", "values": ["Scale", "Starter"]}),
        ({"type": "lifecycle", "values": ["renewal"]}, {"type": "lifecycle", "values": ["renewal"]}),
        ({"type": "accounts", "ids": ["7", 3, "x", 7]}, {"type": "accounts", "ids": [3, 7]}),
        (
            {"type": "emails", "emails": ["a@b.example", 5, "nope", "c@d.example"]},
            {"type": "emails", "emails": ["a@b.example", "c@d.example"]},
        ),
    ],
)
def test_a_valid_audience_comes_back_clean(spec, clean):
    assert audience.validate(spec) == clean


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "everyone"}, "Choose who should receive the survey."),
        ({"type": "tier", "values": ["enterprise", "galactic"]}, "Choose at least one tier."),
        ({"type": "lifecycle", "values": []}, "Choose at least one lifecycle stage."),
        ({"type": "plan", "values": [" "]}, "Choose at least one plan."),
        ({"type": "accounts", "ids": ["x"]}, "Choose at least one account."),
        ({"type": "emails", "emails": []}, "The list has no email addresses."),
    ],
)
def test_a_bad_audience_says_what_to_choose(spec, message):
    with pytest.raises(AudienceError) as refused:
        audience.validate(spec)
    assert str(refused.value) == message


def test_an_email_list_is_cut_at_the_limit(monkeypatch):
    monkeypatch.setattr(audience, "MAX_EMAILS", 2)
    spec = {"type": "emails", "emails": ["a@b.example", "c@d.example", "e@f.example"]}
    assert audience.validate(spec)["emails"] == ["a@b.example", "c@d.example"]


def _reasons(contacts, **kw):
    return audience.skip_reasons(contacts, None, **kw)


def test_the_quarantine_holds_at_exactly_its_cut_off_and_not_a_microsecond_before(app, monkeypatch):
    with app.app_context():
        now = utcnow()
        monkeypatch.setattr(audience, "utcnow", lambda: now)
        set_settings({"quarantine_days": 7})
        at_cut_off = make_contact(last_surveyed_at=now - timedelta(days=7))
        just_before = make_contact(last_surveyed_at=now - timedelta(days=7, microseconds=1))
        db.session.commit()
        assert _reasons([at_cut_off, just_before]) == {at_cut_off.id: "quarantined"}


def test_the_quarantine_override_mails_the_recently_surveyed_but_not_those_still_being_mailed(app):
    with app.app_context():
        set_settings({"quarantine_days": 30})
        recent = make_contact(last_surveyed_at=utcnow() - timedelta(days=2))
        in_flight = make_contact()
        make_invitation(contact=in_flight, state=DeliveryState.QUEUED, sent_at=None)
        db.session.commit()
        assert _reasons([recent, in_flight], ignore_quarantine=True) == {in_flight.id: "quarantined"}
        assert _reasons([recent, in_flight]) == {recent.id: "quarantined", in_flight.id: "quarantined"}
