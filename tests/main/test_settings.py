"""Workspace settings: only admins edit them; bad values are refused with a reason and nothing saved."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Setting
from app.workspace_settings import DEFAULTS, get_setting, set_settings, workspace_timezone
from tests.helpers import text

GOOD = {
    "company_name": "Globex",
    "quarantine_days": "30",
    "reminder_delay_days": "5",
    "invitation_expiry_days": "14",
    "followup_sla_business_days": "3",
    "timezone": "Europe/Berlin",
}


def test_admin_sees_the_defaults(admin_client):
    resp = admin_client.get("/settings")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert f'value="{DEFAULTS["company_name"]}"' in body and 'value="90"' in body


def test_admin_saves_settings_and_they_take_effect(admin_client, app):
    resp = admin_client.post("/settings", data=GOOD)
    assert resp.status_code == 303
    with app.app_context():
        assert get_setting("company_name") == "Globex"
        assert get_setting("quarantine_days") == 30
        assert get_setting("invitation_expiry_days") == 14
        assert workspace_timezone() == ZoneInfo("Europe/Berlin")
        event = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "settings.update")
        ).scalar_one()
        assert event.details["quarantine_days"] == 30
    assert "Settings saved." in text(admin_client.get("/settings"))


def test_bad_values_are_refused_and_nothing_is_saved(admin_client, app):
    for field, bad in [
        ("quarantine_days", "-1"),
        ("quarantine_days", "366"),
        ("quarantine_days", "ninety"),
        ("reminder_delay_days", "0"),
        ("invitation_expiry_days", ""),
        ("company_name", ""),
        ("company_name", "x" * 121),
        ("timezone", "Mars/Olympus_Mons"),
    ]:
        resp = admin_client.post("/settings", data=GOOD | {field: bad})
        assert resp.status_code == 422, (field, bad)
        body = resp.get_data(as_text=True)
        # the reason sits next to the field that caused it, announced to screen readers
        assert f'<p class="error" id="{field}-err" role="alert">' in body, (field, bad)
        assert body.count('role="alert"') == 1, (field, bad)
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Setting)).scalar_one() == 0


def test_only_admins_open_settings(cs_client, pm_client, viewer_client, client):
    for c in (cs_client, pm_client, viewer_client):
        assert c.get("/settings").status_code == 403
        assert c.post("/settings", data=GOOD, csrf="session").status_code == 403
    assert client.get("/settings").status_code in (302, 303)


def test_settings_are_read_once_per_transaction_and_afresh_after_it(app):
    """A page asks for the time zone dozens of times: one SELECT per transaction, and a saved or rolled-back
    change is seen by the next read."""
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        if "settings" in statement.lower():
            statements.append(statement)

    with app.app_context():
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", seen)
        try:
            for _ in range(20):
                assert workspace_timezone() == ZoneInfo("UTC")  # the default: no row to cache
                assert get_setting("quarantine_days") == DEFAULTS["quarantine_days"]
            assert len(statements) == 1, statements

            set_settings({"timezone": "Asia/Tokyo"})
            assert workspace_timezone() == ZoneInfo("Asia/Tokyo")  # seen before commit
            db.session.rollback()
            assert workspace_timezone() == ZoneInfo("UTC")  # rolled back: not kept

            set_settings({"timezone": "America/Chicago"})
            db.session.commit()
            statements.clear()
            assert workspace_timezone() == ZoneInfo("America/Chicago")
            assert workspace_timezone() == ZoneInfo("America/Chicago")
            assert len(statements) == 1, statements
        finally:
            sa.event.remove(sa.engine.Engine, "before_cursor_execute", seen)
