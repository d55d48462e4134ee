"""The weekly digest: what it says (known data), its local DST week and schedule, one per team and week
whatever the retries, the empty week, and who may preview or send it."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.insights import services
from app.insights.digest import excerpt
from app.models import Digest, DigestState, FollowUp, FollowUpState, OutboxMessage, TeamMessage, utcnow
from tests.factories import make_account, make_contact, make_user
from tests.helpers import text
from tests.insights.conftest import add_response, make_team, topic

ZONE = "Europe/Berlin"
# The week of 23–29 March 2026 in Berlin: summer time starts on its Sunday, so it lasts 167 hours.
WEEK_START = datetime(2026, 3, 22, 23, 0, tzinfo=UTC)  # Monday 00:00 CET
WEEK_END = datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # next Monday 00:00 CEST
DUE = datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # Monday 08:00 CEST
MID = datetime(2026, 3, 25, 10, 0, tzinfo=UTC)
LAST_WEEK = MID - timedelta(days=7)


def _old_team(**kw):
    team = make_team(timezone=ZONE, **kw)
    team.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.flush()
    return team


@pytest.fixture
def week(ctx):
    """A team following Billing (with Invoices) and feedback about it that week and the week before."""
    return _build_week()


@pytest.fixture
def week_ids(app):
    """The same, built in a context of its own (for tests that make requests)."""
    with app.app_context():
        return _build_week()


def _build_week() -> dict:
    billing = topic("Billing")
    invoices = topic("Invoices", parent=billing)
    other = topic("Onboarding")
    big = make_account(name="Globex", arr=300_000)
    small = make_account(name="Initech", arr=40_000)
    jane = make_contact(big, name="Jane Roe", email="jane.roe@globex.example")
    janes = add_response(
        MID,
        2,
        comment="Jane Roe here: the invoice export is broken again, call me at jane.roe@globex.example",
        topics={invoices: "negative"},
        account_id=big.id,
        contact_id=jane.id,
    )
    janes.mentions[0].sentiment_score = -0.95  # Globex's most negative: its verbatim in the digest
    add_response(
        MID,
        3,
        comment="Billing is confusing and the invoice totals are wrong",
        topics={billing: "negative"},
        account_id=big.id,
    )
    add_response(
        MID, 6, comment="Invoices arrive late every month", topics={invoices: "negative"}, account_id=small.id
    )
    add_response(MID, 10, comment="Billing got much better", topics={billing: "positive"})
    add_response(MID, 9, comment="Onboarding was smooth", topics={other: "positive"})
    add_response(LAST_WEEK, 9, comment="Billing ok", topics={billing: "positive"})
    add_response(LAST_WEEK, 8, comment="Nothing to add")
    # Boundaries: Sunday 23:30 CEST is in the week; Monday 00:30 CEST is not.
    add_response(
        datetime(2026, 3, 29, 21, 30, tzinfo=UTC),
        9,
        comment="Late Sunday invoice praise",
        topics={invoices: "positive"},
    )
    add_response(
        datetime(2026, 3, 29, 22, 30, tzinfo=UTC),
        1,
        comment="Monday rant about billing",
        topics={billing: "negative"},
    )
    resolved = add_response(
        MID, 4, comment="Refund please", topics={billing: "negative"}, account_id=small.id
    )
    db.session.add(FollowUp(response_id=resolved.id, account_id=small.id, reason="detractor",
                            state=FollowUpState.RESOLVED, resolved_at=MID + timedelta(hours=5)))  # fmt: skip
    old = add_response(LAST_WEEK, 2, comment="Old issue", topics={billing: "negative"})
    db.session.add(FollowUp(response_id=old.id, reason="detractor", state=FollowUpState.RESOLVED,
                            resolved_at=LAST_WEEK))  # fmt: skip
    open_one = add_response(MID, 1, comment="Still waiting", topics={billing: "negative"})
    db.session.add(FollowUp(response_id=open_one.id, reason="detractor", state=FollowUpState.OPEN))
    members = [make_user("pm", name="Pat PM"), make_user("admin", name="Ada Admin")]
    team = _old_team(name="Billing squad", members=members, topics=[billing])
    db.session.commit()
    emails = sorted(u.email for u in members)
    return {"team": team.id, "billing": billing, "invoices": invoices, "big": big.id, "members": emails}


def _digest(team_id: int) -> Digest:
    return db.session.execute(sa.select(Digest).where(Digest.team_id == team_id)).scalar_one()


def test_the_scheduled_digest_covers_the_local_dst_week_and_says_what_happened(week):
    assert services.schedule_digests(DUE) == {"created": 1}
    digest = _digest(week["team"])
    assert (digest.period_start, digest.period_end) == (date(2026, 3, 23), date(2026, 3, 29))
    assert digest.state == DigestState.SENT
    c = digest.content
    assert c["period"]["zone"] == ZONE and not c["empty"]
    # Billing with Invoices: 6 responses in the week (5 on the Wednesday + late Sunday), not Monday's rant.
    billing = next(r for r in c["topics"] if r["id"] == week["billing"])
    assert (billing["responses"], billing["prev_responses"]) == (7, 2)
    assert c["totals"]["responses"] == 7 and c["totals"]["nps"]["n"] == 7
    assert c["totals"]["nps_change"]["words"].endswith("noise")
    theme = c["themes"][0]
    assert theme["id"] == week["billing"]
    accounts = [v["account_id"] for v in theme["verbatims"]]
    assert len(accounts) == len(set(accounts)) and 2 <= len(theme["verbatims"]) <= 3  # one per account
    quoted = " ".join(v["text"] for v in theme["verbatims"])
    assert "[NAME] [NAME] here: the invoice export is broken again, call me at [EMAIL]" in quoted
    assert all(v["url"].startswith("/responses/") for v in theme["verbatims"])
    assert c["revenue"]["total"] == 340_000 and c["revenue"]["accounts"][0]["name"] == "Globex"
    assert c["closed"]["count"] == 1  # resolved this week; not last week's, not the open one


def test_each_member_gets_one_email_whatever_the_retries(week):
    services.schedule_digests(DUE)
    services.schedule_digests(DUE + timedelta(hours=1))  # a second scheduler tick, or a second rq cron
    digest = _digest(week["team"])
    services.build_digest(digest.id)  # an RQ retry of the build
    services.deliver_digest(digest.id)  # and of the delivery
    services.sweep_team_mail(DUE + timedelta(hours=2))
    sent = db.session.execute(
        sa.select(OutboxMessage.to_addr).where(OutboxMessage.kind == "digest")
    ).scalars()
    assert sorted(sent) == week["members"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Digest)).scalar() == 1


def test_a_crash_mid_send_leaves_uncertain_and_never_resends(week, app, monkeypatch):
    from app.mail import transport as transport_module

    class Killed(BaseException):
        """The worker dies (SIGKILL has no handler: nothing after the send runs)."""

    sends = []
    original = transport_module.OutboxTransport.send

    def dying_send(self, msg, kind="invitation"):
        sends.append(msg["To"])
        if len(sends) == 1:
            raise Killed
        return original(self, msg, kind)

    monkeypatch.setattr(transport_module.OutboxTransport, "send", dying_send)
    third = make_user("viewer", email="zz-third@example.com")
    db.session.commit()
    team = services._team(week["team"])
    team.members = [*team.members, third]
    db.session.commit()
    with contextlib.suppress(Killed):  # inline, RQ records the dead job's failure itself
        services.schedule_digests(DUE)
    db.session.rollback()
    assert len(sends) == 1
    digest = _digest(week["team"])
    assert digest.state == DigestState.SENDING
    monkeypatch.setitem(app.config, "MAIL_SENDING_TIMEOUT", 0)
    later = utcnow() + timedelta(minutes=3)  # past the grace a delivery job gets to start
    services.sweep_team_mail(later)  # the killed row is uncertain; the others go out
    rows = db.session.execute(sa.select(TeamMessage.to_email, TeamMessage.state)).all()
    states = sorted(s.value for _, s in rows)
    assert states == ["sent", "sent", "uncertain"]
    db.session.refresh(digest)
    assert digest.state == DigestState.UNCERTAIN
    services.sweep_team_mail(later + timedelta(hours=1))
    services.deliver_digest(digest.id)
    delivered = db.session.execute(sa.select(OutboxMessage.to_addr)).scalars().all()
    assert len(delivered) == len(set(delivered)) == 2  # the uncertain member is never mailed again


def test_a_week_without_feedback_says_so_in_one_line(ctx):
    team = _old_team(name="Quiet", members=[make_user("pm")])
    db.session.commit()
    services.schedule_digests(DUE)
    digest = _digest(team.id)
    assert digest.content["empty"] is True
    assert digest.content["line"] == "No new feedback in the week of 23–29 Mar 2026."
    mail = db.session.execute(sa.select(OutboxMessage)).scalar_one()
    assert "no new feedback" in mail.subject
    assert "Your topics" not in mail.raw and "No new feedback in the week of 23" in mail.raw


def test_the_schedule_waits_for_the_local_hour_and_for_the_team_to_exist(ctx):
    team = _old_team(name="Later", members=[make_user("pm")], digest_weekday=2, digest_hour=17)
    db.session.commit()
    assert services.schedule_digests(datetime(2026, 4, 1, 14, 59, tzinfo=UTC))["created"] == 1  # last week's
    assert _digest(team.id).period_start == date(2026, 3, 16)
    assert services.schedule_digests(datetime(2026, 4, 1, 15, 0, tzinfo=UTC))["created"] == 1  # 17:00 CEST
    young = make_team(name="Young", members=[make_user("pm")], timezone=ZONE)
    young.created_at = datetime(2026, 3, 31, tzinfo=UTC)
    db.session.commit()
    assert services.schedule_digests(DUE + timedelta(hours=1))["created"] == 0  # created after it fell due
    young.digest_enabled = False
    db.session.commit()
    assert services.schedule_digests(DUE + timedelta(days=10))["created"] == 1  # only "Later"


def test_send_now_is_once_per_week_and_needs_members(week):
    actor = make_user("admin").id
    digest = services.send_digest_now(week["team"], actor, now=DUE)
    assert digest.state == DigestState.SENT and digest.requested_by_id == actor
    with pytest.raises(services.DigestError, match="already sent"):
        services.send_digest_now(week["team"], actor, now=DUE + timedelta(hours=3))
    lonely = _old_team(name="Lonely", members=[])
    db.session.commit()
    with pytest.raises(services.DigestError, match="no members"):
        services.send_digest_now(lonely.id, actor, now=DUE)


def test_preview_and_send_now_are_for_admins(app, week_ids, pm_client, admin_client, viewer_client):
    team_id = week_ids["team"]
    for client in (pm_client, viewer_client):
        assert client.get(f"/teams/{team_id}/digest/preview").status_code == 403
        assert client.post(f"/teams/{team_id}/digest/send", csrf="session").status_code == 403
    preview = admin_client.get(f"/teams/{team_id}/digest/preview")
    assert preview.status_code == 200 and "stored nowhere" in text(preview)
    html = admin_client.get(f"/teams/{team_id}/digest/preview.html")
    assert "sandbox" in html.headers["Content-Security-Policy"]
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Digest)).scalar() == 0
    sent = admin_client.post(f"/teams/{team_id}/digest/send", page=f"/teams/{team_id}/digest/preview")
    assert sent.status_code == 303 and "/digests/" in sent.headers["Location"]
    again = admin_client.post(
        f"/teams/{team_id}/digest/send", follow_redirects=True, page=f"/teams/{team_id}/digest/preview"
    )
    assert "already sent" in text(again)
    page = viewer_client.get(sent.headers["Location"])
    # "Now" is today: the feedback above is from March 2026, so the last complete week has none.
    assert page.status_code == 200 and "No new feedback about Billing in the week of" in text(page)
    assert viewer_client.get(sent.headers["Location"] + "/email.html").status_code == 200


def test_excerpt_cuts_at_spaces_around_the_evidence():
    long = "word " * 100 + "the invoice export is broken " + "more " * 100
    start = long.index("invoice")
    cut = excerpt(long, start, start + 7, size=80)
    assert "invoice" in cut and cut.startswith("… ") and cut.endswith(" …") and len(cut) <= 84
    assert excerpt("short  text\n here", None, None) == "short text here"


def test_a_lost_job_is_caught_up_by_the_sweeper_or_by_send_now(week):
    from app.insights import digest_flow
    from app.insights.periods import Period
    from app.models import Team

    team = db.session.get(Team, week["team"])
    digest_flow.ensure_digest(team, Period(date(2026, 3, 23), date(2026, 3, 29), ZONE))
    assert services.sweep_team_mail(utcnow())["builds"] == 1  # never built (its job vanished): built now
    assert _digest(week["team"]).state == DigestState.SENT
    assert sorted(_sent()) == week["members"]
    other, _ = digest_flow.ensure_digest(team, Period(date(2026, 3, 30), date(2026, 4, 5), ZONE))
    assert digest_flow.build(other.id)  # built, but the delivery job was lost (Redis down)
    assert db.session.get(Digest, other.id).state == DigestState.READY
    assert services.sweep_team_mail(utcnow())["digests"] == 0  # too fresh: its job may still start
    services.send_digest_now(team.id, None, now=datetime(2026, 4, 6, 9, tzinfo=UTC))
    assert db.session.get(Digest, other.id).state == DigestState.SENT
    assert len(_sent()) == 2 * len(week["members"])


def _sent() -> list[str]:
    query = sa.select(OutboxMessage.to_addr).where(OutboxMessage.kind == "digest")
    return list(db.session.execute(query).scalars())
