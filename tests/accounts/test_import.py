"""CSV import: upload → check every row → preview → confirm in one transaction; bad files change nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Account, AuditEvent, Contact, ImportBatch, Lifecycle, Tier
from tests.accounts.conftest import text, upload
from tests.factories import make_account, make_contact, make_user


def batch_id(resp) -> int:
    """The pending batch a successful upload redirected to."""
    assert resp.status_code == 303, text(resp)
    return int(re.search(r"/imports/(\d+)$", resp.headers["Location"])[1])


def account(app, external_id: str) -> Account | None:
    with app.app_context():
        return db.session.execute(
            sa.select(Account).where(Account.external_id == external_id)
        ).scalar_one_or_none()


def test_accounts_create_and_update_with_preview_then_confirm(cs_client, rows, counts, app):
    owner = rows(lambda: make_user(role="cs", email="casey@clearloop.example"))
    rows(
        lambda: make_account(
            name="Old Name", external_id="ACC-1", arr=100, tier=Tier.SMB, attributes={"industry": "Retail"}
        )
    )
    csv = (
        "External ID,Company,ARR (USD),Tier,Lifecycle,Renewal Date,CSM Email,Industry,Region\r\n"
        'ACC-1,New Name,"$12,000",Mid Market,at risk,03/31/2027,Casey@Clearloop.example,Retail,EMEA\r\n'
        "ACC-2,Brand New,5k,smb,,2027-01-02,,Software,\r\n"
    )
    before = counts()
    bid = batch_id(upload(cs_client, "accounts", csv))
    page = text(cs_client.get(f"/imports/{bid}"))
    assert "Import preview" in page
    assert re.search(r"New accounts 1 Updated 1 Unchanged 0", page)
    for change in (
        "Name : Old Name → New Name",
        "ARR : 100 → 12,000",
        "Tier : smb → mid_market",
        "Lifecycle : empty → at_risk",
        "Renewal date : empty → 2027-03-31",
        "CSM owner : empty → casey@clearloop.example",
        "Attribute “Region” : empty → EMEA",
    ):
        assert change in page, change
    assert "Columns stored as custom attributes: Industry , Region" in page
    assert counts() == before | {"import_batches": before["import_batches"] + 1}  # nothing applied yet
    assert account(app, "ACC-2") is None

    done = cs_client.post(f"/imports/{bid}/confirm")
    assert done.status_code == 303 and done.headers["Location"].endswith("/accounts")
    updated, created = account(app, "ACC-1"), account(app, "ACC-2")
    assert (updated.name, updated.arr, updated.tier, updated.lifecycle_stage) == (
        "New Name",
        12_000,
        Tier.MID_MARKET,
        Lifecycle.AT_RISK,
    )
    assert str(updated.renewal_date) == "2027-03-31" and updated.csm_owner_id == owner
    assert updated.attributes == {"industry": "Retail", "Industry": "Retail", "Region": "EMEA"}
    assert (created.name, created.arr, created.tier, created.attributes) == (
        "Brand New",
        5000,
        Tier.SMB,
        {"Industry": "Software"},
    )
    with app.app_context():
        batch = db.session.get(ImportBatch, bid)
        assert batch.state == "applied" and batch.content == "" and batch.summary["result"]["create"] == 1
        audit = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "accounts.import")
        ).scalar_one()
        assert audit.details["update"] == 1 and audit.details["filename"] == "data.csv"
    again = cs_client.post(f"/imports/{bid}/confirm", follow_redirects=True, csrf="session")  # a stale page
    assert "already applied or discarded" in text(again)


def test_the_preview_names_the_owner_being_replaced(cs_client, rows):
    old = rows(lambda: make_user(role="cs", email="old-owner@clearloop.example"))
    rows(lambda: make_user(role="cs", email="new-owner@clearloop.example"))
    rows(lambda: make_account(name="Owned", external_id="O-1", csm_owner_id=old))
    bid = batch_id(upload(cs_client, "accounts", "external_id,csm\nO-1,New-Owner@clearloop.example\n"))
    assert "CSM owner : old-owner@clearloop.example → new-owner@clearloop.example" in text(
        cs_client.get(f"/imports/{bid}")
    )


def test_contacts_import_links_accounts_by_external_id_or_domain(cs_client, rows, app):
    rows(
        lambda: [
            make_account(name="Acme", external_id="ACC-1", domain="acme.example"),
            make_account(name="Bolt", external_id="ACC-2", domain="bolt.example"),
            make_contact(email="old@acme.example", name="Old", unsubscribed_at=None),
        ]
    )
    csv = (
        "\ufeffEmail Address,First Name,Last Name,Job Title,Language,Account ID,Company Domain,Company,"
        "Opted out\n"
        "JANE@ACME.EXAMPLE,Jane,Roe,VP Ops,German,ACC-1,,Acme Inc,no\n"
        "bob@bolt.example,Bob,Stone,,fr-FR,,https://www.bolt.example/,Bolt,yes\n"
        "old@acme.example,,,CTO,,,,,\n"
    )
    resp = upload(cs_client, "contacts", csv.encode("utf-8"))
    bid = batch_id(resp)
    page = text(cs_client.get(f"/imports/{bid}"))
    assert "New contacts 2 Updated 1" in page
    assert "Columns ignored (Clearloop manages these itself): Company" in page
    assert cs_client.post(f"/imports/{bid}/confirm").status_code == 303
    with app.app_context():
        people = {c.email: c for c in db.session.execute(sa.select(Contact)).scalars()}
        jane, bob, old = people["jane@acme.example"], people["bob@bolt.example"], people["old@acme.example"]
        assert (jane.name, jane.title, jane.locale, jane.account.name) == ("Jane Roe", "VP Ops", "de", "Acme")
        assert jane.unsubscribed_at is None
        assert (bob.locale, bob.account.name) == ("fr", "Bolt") and bob.unsubscribed_at is not None
        from app.mail.suppression import is_suppressed

        assert is_suppressed("bob@bolt.example") and not is_suppressed("jane@acme.example")
        assert (old.name, old.title) == ("Old", "CTO")  # blank cells left the name alone


def test_an_import_never_resubscribes(cs_client, rows, app):
    from app.models import utcnow

    rows(lambda: make_contact(email="gone@acme.example", unsubscribed_at=utcnow()))
    bid = batch_id(upload(cs_client, "contacts", "email,unsubscribed\ngone@acme.example,no\n"))
    assert "never re-subscribes" in text(cs_client.get(f"/imports/{bid}"))
    cs_client.post(f"/imports/{bid}/confirm")
    with app.app_context():
        assert db.session.execute(sa.select(Contact.unsubscribed_at)).scalar_one() is not None


def rejected(resp, *messages: str) -> str:
    """Assert a file was refused with every message; return the page text."""
    page = text(resp)
    assert resp.status_code in (413, 422), resp.status_code
    for message in messages:
        assert message in page, f"{message!r} not in {page[:2000]}"
    return page


MALFORMED = {
    "cp1252": (
        "accounts",
        "external_id,name\nA1,Café Müller\n".encode("cp1252"),
        ["This file is not UTF-8", "line 2", "Windows-1252"],
    ),
    "utf16": ("contacts", "email\na@b.example\n".encode("utf-16"), ["looks like UTF-16", "CSV UTF-8"]),
    "binary": ("accounts", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", ["not UTF-8 text"]),
    "empty": ("accounts", b"", ["The file is empty."]),
    "no external_id": (
        "accounts",
        "Company,ARR\nAcme,100\n",
        ["required column “external_id” is missing", "The first line has: Company, ARR"],
    ),
    "no email": (
        "contacts",
        "name,title\nJane,CTO\n",
        ["required column “email” is missing", "email_address"],
    ),
    "two name columns": ("accounts", "external_id,name,company\nA,x,y\n", ["both mean name"]),
    "unnamed column": ("accounts", "external_id,,name\nA,zz,x\n", ["Column 2 has values but no name"]),
    "broken quotes": ("accounts", 'external_id,name\nA,"unclosed\n', ["is not valid CSV"]),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_files_are_refused_whole_and_change_nothing(cs_client, counts, case):
    kind, content, messages = MALFORMED[case]
    before = counts()
    rejected(upload(cs_client, kind, content), *messages, "Import")
    assert counts() == before


def test_duplicate_emails_are_reported_with_both_lines(cs_client, counts):
    csv = "email,name\nann@a.example,Ann\nbob@a.example,Bob\nANN@a.example,Ann again\n"
    before = counts()
    page = rejected(
        upload(cs_client, "contacts", csv),
        "This file cannot be imported",
        "1 problem found",
        "The email “ann@a.example” is on lines 2 and 4",
    )
    assert "Nothing was imported" in page
    assert counts() == before


def test_duplicate_external_ids_are_reported_even_when_the_first_row_is_bad(cs_client, counts):
    before = counts()
    rejected(
        upload(cs_client, "accounts", "external_id,name,arr\nA-1,x,-5\nA-1,y,10\n"),
        "2 problems found",
        "is negative",
        "external ID “A-1” is on lines 2 and 3",
    )
    assert counts() == before


def test_row_errors_name_line_column_and_why(cs_client, rows, counts):
    rows(lambda: make_account(name="Known", external_id="K-1", domain="dup.example"))
    rows(lambda: make_account(name="Twin", external_id="K-2", domain="dup.example"))
    rows(lambda: make_account(name="Solo", external_id="K-3", domain="solo.example"))
    accounts_csv = (
        "external_id,name,arr,tier,renewal_date,csm_owner,notes\n"
        "N-1,,100,,,,\n"  # line 2: new without a name
        "N-2,Ok,abc,,,,\n"  # line 3
        "N-3,Ok,,gold,,,\n"  # line 4
        "N-4,Ok,,,2026-02-30,,\n"  # line 5
        'N-5,"Multi\nline name",,,04/05/2026,,\n'  # lines 6–7: ambiguous date
        "N-6,Ok,,,,nobody@example.com,\n"  # line 8
        "N-7,Ok,,,,,fine,extra\n"  # line 9: too many cells
    )
    before = counts()
    page = rejected(upload(cs_client, "accounts", accounts_csv), "7 problems found")
    for line, column, why in [
        (2, "name", "A new account needs a name"),
        (3, "arr", "“abc” is not an amount"),
        (4, "tier", "“gold” is not one of: enterprise, mid_market, smb"),
        (5, "renewal_date", "“2026-02-30” is not a real date"),
        (6, "renewal_date", "“04/05/2026” could be 4 May or 5 April; write it as YYYY-MM-DD"),
        (8, "csm_owner", "No staff user has the email “nobody@example.com”"),
        (9, "—", "This row has 8 cells but the first line names 7 columns"),
    ]:
        assert f"{line} {column} {why}" in page, (line, column, why)
    contacts_csv = (
        "email,account_external_id,account_domain\na@x.example,NOPE,\nb@x.example,,dup.example\n"
        "c@x.example,K-1,solo.example\nd@x.example,,bad domain\n"
    )
    page = rejected(upload(cs_client, "contacts", contacts_csv), "4 problems found")
    assert "2 account_external_id No account has the external ID “NOPE”" in page
    assert "3 account_domain 2 accounts have the domain “dup.example”" in page
    assert "4 account_domain The external ID points to “Known” but the domain to “Solo”" in page
    assert "5 account_domain “bad domain” is not a valid domain" in page
    assert counts() == before


def test_a_10_mb_file_is_refused_with_413(cs_client, counts):
    row = "x" * 100 + "@example.com,Name\n"
    content = ("email,name\n" + row * (10 * 1024 * 1024 // len(row) + 10)).encode()
    assert len(content) > 10 * 1024 * 1024
    before = counts()
    resp = upload(cs_client, "contacts", content)
    assert resp.status_code == 413
    assert "the limit is 10 MB" in text(resp) and "Split it into smaller files" in text(resp)
    assert counts() == before


def test_more_than_50000_rows_is_refused(cs_client, counts):
    content = "email\n" + "".join(f"p{i}@e.example\n" for i in range(50_001))
    before = counts()
    resp = upload(cs_client, "contacts", content)
    assert resp.status_code == 413 and "more than 50,000 rows" in text(resp)
    assert counts() == before


def test_formula_cells_are_stored_as_text_and_round_trip_through_export(cs_client, app):
    csv = 'external_id,name,plan,Note\nF-1,=HYPERLINK("http://evil"),+plan,@SUM(A1)\nF-2,-minus,,\'=kept\n'
    bid = batch_id(upload(cs_client, "accounts", csv))
    cs_client.post(f"/imports/{bid}/confirm")
    first = account(app, "F-1")
    assert (first.name, first.plan, first.attributes) == (
        '=HYPERLINK("http://evil")',
        "+plan",
        {"Note": "@SUM(A1)"},
    )
    assert account(app, "F-2").attributes == {"Note": "=kept"}  # our own export's apostrophe is undone
    exported = cs_client.post("/accounts/export.csv").get_data(as_text=True)
    assert (
        "'=HYPERLINK" in exported
        and "'+plan" in exported
        and "'@SUM(A1)" in exported
        and "'-minus" in exported
    )
    again = batch_id(upload(cs_client, "accounts", exported.encode()))
    assert "New accounts 0 Updated 0 Unchanged 2" in text(cs_client.get(f"/imports/{again}"))


def test_semicolon_files_and_european_numbers(cs_client, app):
    bid = batch_id(
        upload(
            cs_client,
            "accounts",
            "Kunden-ID;Name;ARR\nE-1;Euro GmbH;12.500,00 €\n".replace("Kunden-ID", "customer_id"),
        )
    )
    cs_client.post(f"/imports/{bid}/confirm")
    assert account(app, "E-1").arr == 12_500


def test_data_that_changed_since_the_preview_is_not_applied_blindly(cs_client, rows, app):
    rows(lambda: make_account(name="Before", external_id="C-1"))
    bid = batch_id(upload(cs_client, "accounts", "external_id,name\nC-1,After\nC-2,Second\n"))
    with app.app_context():  # someone else creates C-2 meanwhile
        db.session.add(Account(name="Sneaky", external_id="C-2"))
        db.session.commit()
    resp = cs_client.post(f"/imports/{bid}/confirm", follow_redirects=True)
    assert "The data changed since the preview" in text(resp)
    assert account(app, "C-1").name == "Before" and account(app, "C-2").name == "Sneaky"
    assert "New accounts 0 Updated 2" in text(resp)  # the new preview
    cs_client.post(f"/imports/{bid}/confirm")
    assert account(app, "C-2").name == "Second"


def test_discard_and_expiry(cs_client, app):
    bid = batch_id(upload(cs_client, "accounts", "external_id,name\nD-1,Discard me\n"))
    assert "discarded" in text(cs_client.post(f"/imports/{bid}/discard", follow_redirects=True))
    assert account(app, "D-1") is None
    assert "already applied or discarded" in text(
        cs_client.post(f"/imports/{bid}/confirm", follow_redirects=True, csrf="session")
    )
    old = batch_id(upload(cs_client, "accounts", "external_id,name\nD-2,Too late\n"))
    with app.app_context():
        batch = db.session.get(ImportBatch, old)
        batch.created_at = batch.created_at - timedelta(days=2)
        db.session.commit()
    assert "more than a day old" in text(
        cs_client.post(f"/imports/{old}/confirm", follow_redirects=True, csrf="session")
    )
    assert account(app, "D-2") is None


def test_the_hourly_job_expires_unconfirmed_previews_and_drops_their_files(cs_client, app):
    from app.tasks.accounts import expire_import_previews

    stale = batch_id(upload(cs_client, "contacts", "email\nana@customer.example\n"))
    fresh = batch_id(upload(cs_client, "contacts", "email\nbo@customer.example\n"))
    with app.app_context():
        db.session.get(ImportBatch, stale).created_at -= timedelta(hours=25)
        db.session.commit()
        assert expire_import_previews() == 1
        assert expire_import_previews() == 0  # idempotent
        old, new = db.session.get(ImportBatch, stale), db.session.get(ImportBatch, fresh)
        assert (old.state, old.content) == ("expired", "")
        assert new.state == "preview" and "bo@customer.example" in new.content
    page = text(cs_client.get(f"/imports/{stale}"))
    assert "This preview expired after a day unconfirmed" in page and "Confirm" not in page
    confirm = text(cs_client.post(f"/imports/{stale}/confirm", follow_redirects=True, csrf="session"))
    assert "more than a day old. Upload the file again." in confirm


def test_upload_page_explains_columns(cs_client):
    page = text(cs_client.get("/contacts/import"))
    assert "email required" in page and "email_address" in page and "never re-subscribes" in page
    assert upload(cs_client, "accounts", b"").status_code == 422
    assert cs_client.post("/accounts/import", data={}).status_code == 422
