"""Big CSV imports are applied by a worker (still in one transaction), and the preview page follows them."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from app import queue
from app.accounts.imports.apply import queue_batch, store_batch
from app.accounts.imports.plan import plan_upload
from app.extensions import db
from app.models import Account, ImportBatch
from app.tasks.accounts import apply_import, expire_import_previews
from tests.accounts.conftest import text, upload
from tests.accounts.test_import import account, batch_id

THREE = "external_id,name\nB-1,One\nB-2,Two\nB-3,Three\n"


@pytest.fixture
def small_threshold(monkeypatch):
    """Treat any file over one row as big."""
    monkeypatch.setattr("app.accounts.services.BACKGROUND_ROWS", 1)


def test_a_big_file_is_confirmed_in_the_background_and_the_page_shows_the_result(
    cs_client, app, small_threshold
):
    bid = batch_id(upload(cs_client, "accounts", THREE))
    resp = cs_client.post(f"/imports/{bid}/confirm")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/imports/{bid}")
    page = text(cs_client.get(resp.headers["Location"]))
    assert "Importing 3 rows in the background." in page
    # jobs run inline here, so the worker's part is already done
    assert "This import was applied" in page and "3 created, 0 updated, 0 unchanged" in page
    assert account(app, "B-2").name == "Two"
    again = cs_client.post(f"/imports/{bid}/confirm", follow_redirects=True, csrf="session")
    assert "already applied or discarded" in text(again)


def test_while_queued_the_page_says_so_and_refreshes(cs_client, app):
    bid = batch_id(upload(cs_client, "accounts", THREE))
    with app.app_context():
        assert queue_batch(bid) and not queue_batch(bid)
    resp = cs_client.get(f"/imports/{bid}")
    body = resp.get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in body
    assert "Importing in the background" in text(resp) and "Confirm import" not in body
    assert account(app, "B-1") is None


def test_a_queued_import_whose_data_changed_comes_back_with_the_reason(cs_client, app):
    bid = batch_id(upload(cs_client, "accounts", THREE))
    with app.app_context():
        queue_batch(bid)
        db.session.add(Account(name="Sneaky", external_id="B-3"))  # someone else, meanwhile
        db.session.commit()
        assert apply_import(bid, None) is None
        assert db.session.get(ImportBatch, bid).state == "preview"
    page = text(cs_client.get(f"/imports/{bid}"))
    assert "The data changed since the preview" in page and "New accounts 2 Updated 1" in page
    assert account(app, "B-1") is None  # nothing half-imported
    cs_client.post(f"/imports/{bid}/confirm")
    assert account(app, "B-3").name == "Three"
    assert "The data changed" not in text(cs_client.get(f"/imports/{bid}"))


def test_the_sweeper_enqueues_an_import_whose_job_was_lost(cs_client, app):
    bid = batch_id(upload(cs_client, "accounts", THREE))
    with app.app_context():
        queue_batch(bid)  # ...and Redis lost the job
        expire_import_previews()
        assert db.session.get(ImportBatch, bid, populate_existing=True).state == "applied"
        assert apply_import(bid, None) is None  # a duplicate job changes nothing
    assert account(app, "B-1").name == "One"


@pytest.mark.committed
@pytest.mark.redis
def test_a_real_worker_applies_a_queued_import(redis_app, clean_redis, worker_process):
    rows = "".join(f"R-{i},Company {i}\n" for i in range(2_000))
    with redis_app.app_context():
        plan, content = plan_upload("accounts", "big.csv", ("external_id,name\n" + rows).encode())
        batch = store_batch(plan, content, None)
        assert queue_batch(batch.id)
        queue.enqueue("accounts.apply_import", batch.id, None)
        bid = batch.id
        assert db.session.execute(sa.select(sa.func.count(Account.id))).scalar_one() == 0  # queued, not run
    worker = worker_process("default")
    deadline = time.monotonic() + 90
    while worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    with redis_app.app_context():
        db.session.remove()
        assert db.session.get(ImportBatch, bid).state == "applied"
        assert db.session.execute(sa.select(sa.func.count(Account.id))).scalar_one() == 2_000
