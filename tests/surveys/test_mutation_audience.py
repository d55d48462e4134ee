"""Audience edges the mutation run (docs/mutation.md) showed unguarded: addresses in angle brackets, the
per-send limit at exactly its size, the reasons a refused list is given, an audience in words, the
quarantine at its exact cut-off, the admin's quarantine override, a send's own invitations, and audiences
past one chunk of 500."""

from __future__ import annotations

from datetime import timedelta

import pytest

import app.surveys.audience as audience
from app.extensions import db
from app.models import DeliveryState, Lifecycle, utcnow
from app.surveys.audience import AudienceError, emails_from_csv
from app.workspace_settings import set_settings
from tests.factories import make_account, make_contact, make_invitation


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
        (
            {"type": "tier", "values": ["smb", "mid_market", "enterprise"]},
            {"type": "tier", "values": ["enterprise", "mid_market", "smb"]},
        ),
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
        ({"type": "lifecycle", "values": ["renewal", "galactic"]}, "Choose at least one lifecycle stage."),
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


def test_the_override_ignores_past_sends_and_no_quarantine_mails_even_this_instant(app, monkeypatch):
    with app.app_context():
        now = utcnow()
        monkeypatch.setattr(audience, "utcnow", lambda: now)
        set_settings({"quarantine_days": 30})
        mailed_earlier = make_contact(last_surveyed_at=now - timedelta(days=1))
        make_invitation(contact=mailed_earlier, state=DeliveryState.SENT)  # another send's, delivered
        db.session.commit()
        assert _reasons([mailed_earlier], ignore_quarantine=True) == {}
        assert _reasons([mailed_earlier]) == {mailed_earlier.id: "quarantined"}
        set_settings({"quarantine_days": 0})
        surveyed_now = make_contact(last_surveyed_at=now)
        db.session.commit()
        assert _reasons([surveyed_now]) == {}


def test_a_sends_own_invitations_do_not_hold_its_contacts(app):
    with app.app_context():
        set_settings({"quarantine_days": 30})
        contact = make_contact()
        invitation, _ = make_invitation(contact=contact, state=DeliveryState.QUEUED, sent_at=None)
        db.session.commit()
        assert audience.skip_reasons([contact], invitation.send_id) == {}
        assert audience.skip_reasons([contact], None) == {contact.id: "quarantined"}
        elsewhere = make_contact()
        make_invitation(contact=elsewhere, state=DeliveryState.QUEUED, sent_at=None)  # another send's
        db.session.commit()
        reasons = audience.skip_reasons([contact, elsewhere], invitation.send_id)
        assert reasons == {elsewhere.id: "quarantined"}


def test_a_lifecycle_audience_leaves_out_the_other_stages(app):
    with app.app_context():
        renewal = make_contact(make_account(lifecycle_stage=Lifecycle.RENEWAL))
        make_contact(make_account(lifecycle_stage=Lifecycle.ONBOARDING))
        db.session.commit()
        spec = {"type": "lifecycle", "values": ["renewal"]}
        assert [c.id for chunk in audience.audience_contacts(spec) for c in chunk] == [renewal.id]


def test_audiences_past_one_chunk_yield_every_contact_once_in_order(app):
    with app.app_context():
        account = make_account(plan="Chunky")
        contacts = [make_contact(account) for _ in range(1001)]
        db.session.commit()
        expected = [c.id for c in contacts]
        for spec in (
            {"type": "plan", "values": ["Chunky"]},
            {"type": "emails", "emails": [c.email for c in contacts]},
        ):
            chunks = list(audience.audience_contacts(spec))
            assert [len(chunk) for chunk in chunks] == [500, 500, 1]
            assert [c.id for chunk in chunks for c in chunk] == expected
        emails = [c.email for c in contacts]
        spec = {"type": "emails", "emails": ["nobody@else.example", *emails, "late@else.example"]}
        assert audience.unknown_emails(spec) == ["nobody@else.example", "late@else.example"]


def test_a_one_day_quarantine_still_holds(app):
    with app.app_context():
        set_settings({"quarantine_days": 1})
        this_morning = make_contact(last_surveyed_at=utcnow() - timedelta(hours=12))
        yesterday = make_contact(last_surveyed_at=utcnow() - timedelta(hours=25))
        db.session.commit()
        assert _reasons([this_morning, yesterday]) == {this_morning.id: "quarantined"}


def test_a_contact_whose_address_cannot_be_mailed_is_skipped_as_invalid(app):
    with app.app_context():
        set_settings({"quarantine_days": 0})
        broken, accented, fine = (
            make_contact(email="pat at example.com"),
            make_contact(email="josé@example.com"),
            make_contact(),
        )
        db.session.commit()
        assert _reasons([broken, accented, fine]) == {
            broken.id: "invalid_email",
            accented.id: "invalid_email",
        }
        assert audience.SKIP_REASONS["invalid_email"] == "Address cannot be mailed"


def test_another_sends_invitation_holds_a_contact_only_while_recent_and_live(app, monkeypatch):
    with app.app_context():
        now = utcnow()
        monkeypatch.setattr(audience, "utcnow", lambda: now)
        set_settings({"quarantine_days": 30})
        cut_off = now - timedelta(days=30)
        cases = {
            "queued at the cut-off": (DeliveryState.QUEUED, cut_off, "quarantined"),
            "queued a microsecond before it": (
                DeliveryState.QUEUED,
                cut_off - timedelta(microseconds=1),
                None,
            ),
            "sent 40 days ago": (DeliveryState.SENT, now - timedelta(days=40), None),
            "skipped yesterday": (DeliveryState.SKIPPED, now - timedelta(days=1), None),
            "uncertain yesterday": (DeliveryState.UNCERTAIN, now - timedelta(days=1), "quarantined"),
        }
        contacts = {}
        for name, (state, created_at, _) in cases.items():
            contacts[name] = make_contact()
            make_invitation(contact=contacts[name], state=state, created_at=created_at)
        db.session.commit()
        reasons = _reasons(list(contacts.values()))
        assert {name: reasons.get(c.id) for name, c in contacts.items()} == {
            name: expected for name, (_, _, expected) in cases.items()
        }
