"""Creating and editing accounts and contacts by form: allow-listed fields, and bad input refused intact."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Account, AuditEvent, Contact, Tier
from tests.accounts.conftest import text
from tests.factories import make_account, make_contact, make_user

GOOD_ACCOUNT = {
    "name": "Acme",
    "external_id": "ACC-1",
    "domain": "https://www.Acme.example/about",
    "arr": "120000",
    "plan": "Enterprise",
    "tier": "enterprise",
    "lifecycle_stage": "growth",
    "renewal_date": "2027-03-31",
    "csm_owner_id": "",
    "churned_on": "",
    "churn_reason": "",
}


def test_create_an_account(cs_client, app):
    form = GOOD_ACCOUNT | {
        "attributes-0-key": "industry",
        "attributes-0-value": "Retail",
        "attributes-1-key": "",
        "attributes-1-value": "ignored without a name",
    }
    resp = cs_client.post("/accounts/new", data=form)
    assert resp.status_code == 303
    with app.app_context():
        account = db.session.execute(sa.select(Account).where(Account.external_id == "ACC-1")).scalar_one()
        assert (account.name, account.domain, account.arr, account.tier) == (
            "Acme",
            "acme.example",
            120000,
            Tier.ENTERPRISE,
        )
        assert account.attributes == {"industry": "Retail"}
        assert str(account.renewal_date) == "2027-03-31"
        event = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "account.create")
        ).scalar_one()
        assert event.target_id == str(account.id)
    assert resp.headers["Location"].endswith(f"/accounts/{account.id}")


def test_edit_an_account_and_its_attributes(cs_client, rows, app):
    owner = rows(lambda: make_user(role="cs", name="Owner"))
    account_id = rows(
        lambda: make_account(name="Old", attributes={"seats": 155, "region": "EMEA", "gone": "x"})
    )
    page = cs_client.get(f"/accounts/{account_id}/edit")
    assert page.status_code == 200 and 'value="155"' in page.get_data(as_text=True)
    form = GOOD_ACCOUNT | {
        "name": "New name",
        "external_id": "",
        "csm_owner_id": str(owner),
        "attributes-0-key": "seats",
        "attributes-0-value": "155",
        "attributes-1-key": "region",
        "attributes-1-value": "DACH",
        "attributes-2-key": "",
        "attributes-2-value": "x",
    }
    assert cs_client.post(f"/accounts/{account_id}/edit", data=form).status_code == 303
    with app.app_context():
        account = db.session.get(Account, account_id)
        assert account.name == "New name" and account.external_id is None and account.csm_owner_id == owner
        # An unchanged number keeps its type; a removed row is gone.
        assert account.attributes == {"seats": 155, "region": "DACH"}


@pytest.mark.parametrize(
    ("change", "field_message"),
    [
        ({"arr": "-5"}, "ARR must be 0 or more"),
        ({"arr": "lots"}, "Not a valid integer value"),
        ({"tier": "platinum"}, "Not a valid choice"),
        ({"lifecycle_stage": "zombie"}, "Not a valid choice"),
        ({"name": ""}, "An account needs a name."),
        ({"name": "x" * 201}, "Field cannot be longer than 200 characters"),
        ({"plan": "p" * 51}, "Field cannot be longer than 50 characters"),
        ({"domain": "not a domain"}, "is not a valid domain"),
        ({"renewal_date": "31/31/2026"}, "Not a valid date value"),
        ({"csm_owner_id": "999999"}, "Not a valid choice"),
        ({"external_id": "TAKEN"}, "already uses that external ID"),
        ({"attributes-0-key": "Name", "attributes-0-value": "x"}, "is a standard field"),
        (
            {"attributes-0-key": "k" * 101, "attributes-0-value": "x"},
            "Field cannot be longer than 100 characters",
        ),
        ({"attributes-0-key": "note", "attributes-0-value": "v" * 1001}, "Field cannot be longer than 1000"),
    ],
)
def test_bad_account_input_is_refused_and_nothing_is_written(
    cs_client, rows, counts, app, change, field_message
):
    rows(lambda: make_account(name="Other", external_id="TAKEN"))
    account_id = rows(lambda: make_account(name="Keep me", arr=7))
    before = counts()
    resp = cs_client.post(f"/accounts/{account_id}/edit", data=GOOD_ACCOUNT | change)
    assert resp.status_code == 422
    assert field_message in text(resp) and "nothing was saved" in text(resp)
    assert counts() == before
    with app.app_context():
        account = db.session.get(Account, account_id)
        assert (account.name, account.arr) == ("Keep me", 7)


def test_unknown_form_fields_are_ignored(cs_client, rows, app):
    account_id = rows(lambda: make_account(name="Safe"))
    form = GOOD_ACCOUNT | {"id": "424242", "created_at": "2000-01-01", "churned_on": "", "attributes": "{}"}
    assert cs_client.post(f"/accounts/{account_id}/edit", data=form).status_code == 303
    with app.app_context():
        account = db.session.get(Account, account_id)
        assert account.id == account_id and account.created_at.year > 2000


def test_viewers_and_pms_cannot_edit(viewer_client, pm_client, rows, counts):
    account_id = rows(lambda: make_account(name="Locked"))
    before = counts()
    for client in (viewer_client, pm_client):
        assert (
            client.post(f"/accounts/{account_id}/edit", data=GOOD_ACCOUNT, csrf="session").status_code == 403
        )
        assert client.post("/contacts/new", data={"email": "a@b.example"}, csrf="session").status_code == 403
    assert counts() == before


GOOD_CONTACT = {
    "email": "  Jane.Roe@Acme.EXAMPLE ",
    "name": "Jane Roe",
    "title": "VP Ops",
    "role": "champion",
    "locale": "de",
    "account": "",
}


@pytest.mark.parametrize(
    ("reference", "which"), [("ACC-7", 0), ("acme.example", 0), ("#{id}", 0), ("acme inc", 0), ("", None)]
)
def test_create_a_contact_naming_its_account_many_ways(cs_client, rows, app, reference, which):
    account_id = rows(lambda: make_account(name="Acme Inc", external_id="ACC-7", domain="acme.example"))
    resp = cs_client.post("/contacts/new", data=GOOD_CONTACT | {"account": reference.format(id=account_id)})
    assert resp.status_code == 303, text(resp)
    with app.app_context():
        contact = db.session.execute(
            sa.select(Contact).where(Contact.email == "jane.roe@acme.example")
        ).scalar_one()
        assert contact.locale == "de" and contact.title == "VP Ops"
        assert contact.account_id == (account_id if which is not None else None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "not-an-email"}, "is not a valid email address"),
        ({"email": ""}, "An email address is required."),
        ({"email": "TAKEN@acme.example"}, "Another contact already has the email taken@acme.example"),
        ({"email": "x" * 250 + "@a.example"}, "Field cannot be longer than 254 characters"),
        ({"locale": "it"}, "Not a valid choice"),
        ({"account": "no-such-account"}, "No account matches"),
        ({"account": "shared.example"}, "More than one account matches"),
        ({"name": "n" * 201}, "Field cannot be longer than 200 characters"),
    ],
)
def test_bad_contact_input_is_refused_and_nothing_is_written(cs_client, rows, counts, change, message):
    rows(
        lambda: [
            make_contact(email="taken@acme.example"),
            make_account(domain="shared.example"),
            make_account(domain="shared.example"),
        ]
    )
    before = counts()
    resp = cs_client.post("/contacts/new", data=GOOD_CONTACT | change)
    assert resp.status_code == 422
    assert message in text(resp)
    assert counts() == before


def test_edit_a_contact_and_mark_it_unsubscribed(cs_client, rows, app):
    contact_id = rows(lambda: make_contact(email="pat@acme.example", name="Pat"))
    page = cs_client.get(f"/contacts/{contact_id}/edit")
    assert 'value="pat@acme.example"' in page.get_data(as_text=True)
    form = GOOD_CONTACT | {"email": "pat@acme.example", "name": "Pat Lee", "unsubscribed": "y"}
    assert cs_client.post(f"/contacts/{contact_id}/edit", data=form).status_code == 303
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert contact.name == "Pat Lee" and contact.unsubscribed_at is not None
        from app.mail.suppression import is_suppressed

        assert is_suppressed("pat@acme.example")
    assert "only the contact can undo that" in text(cs_client.get(f"/contacts/{contact_id}/edit"))


def test_new_contact_form_preselects_the_account(cs_client, rows):
    account_id = rows(lambda: make_account(external_id="ACC-55"))
    assert 'value="ACC-55"' in cs_client.get(f"/contacts/new?account={account_id}").get_data(as_text=True)
