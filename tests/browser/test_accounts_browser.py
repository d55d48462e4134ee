"""A real browser: search the accounts list, open an account, and import a CSV through preview and confirm."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Account, Tier

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_search_open_and_import(staff_page, app):
    with app.app_context():
        db.session.add_all(
            [
                Account(
                    name="Acme Logistics",
                    external_id="ACC-1",
                    domain="acme.example",
                    arr=120_000,
                    tier=Tier.ENTERPRISE,
                ),
                Account(
                    name="Bolt Retail", external_id="ACC-2", domain="bolt.example", arr=9_000, tier=Tier.SMB
                ),
            ]
        )
        db.session.commit()
    page = staff_page("cs")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_label("Search").fill("acme")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/accounts?q=acme*")
    assert page.get_by_role("link", name="Acme Logistics").is_visible()
    assert page.get_by_role("link", name="Bolt Retail").count() == 0

    page.get_by_role("link", name="Acme Logistics").click()
    assert page.get_by_role("heading", name="Acme Logistics").is_visible()
    assert "120,000" in page.content()

    page.goto("/accounts/import")
    csv = b'External ID,Company,ARR\nACC-1,Acme Logistics,"$150,000"\nACC-3,Comet Labs,12k\n'
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "accounts.csv", "mimeType": "text/csv", "buffer": csv}]
    )
    page.get_by_role("button", name="Upload and preview").click()
    assert page.get_by_role("heading", name="Import preview").is_visible()
    body = page.locator("main").inner_text()
    assert "Comet Labs" in body and "120,000" in body and "150,000" in body
    page.get_by_role("button", name="Confirm import").click()
    page.wait_for_url("**/accounts")
    assert "1 created, 1 updated" in page.get_by_role("status").first.inner_text()
    assert page.get_by_role("link", name="Comet Labs").is_visible()
    with app.app_context():
        arr = db.session.execute(sa.select(Account.arr).where(Account.external_id == "ACC-1")).scalar_one()
    assert arr == 150_000
    assert errors == []
