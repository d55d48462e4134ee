"""Known answers for app/mail/delivery.py (issue 20's mutation goal), with a scripted relay: each outcome's
row state, error text (cut at 500 characters), counts and contact changes; the attempt and in-a-row limits
on both sides; claims, releases, skips, the sweeper's cut-off and the sends that need a batch."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.mail import delivery
from app.mail.delivery import (
    MAX_ATTEMPTS,
    MAX_TEMPORARY_IN_A_ROW,
    claim_invitations,
    deliver_batch,
    last_minute_skip,
    record_bounce,
    recover_stuck,
    sends_needing_batches,
    skip_queued,
)
from app.mail.message import WireMessage
from app.mail.suppression import is_suppressed, suppress
from app.mail.transport import PermanentMailError, TemporaryMailError, UncertainMailError
from app.models import Contact, DeliveryState, Invitation, SendStatus, utcnow
from tests.factories import make_contact, make_invitation, make_send, make_survey

LONG = "4.2.0 " + "x" * 600  # a relay's reply longer than the 500 characters kept


class ScriptedRelay:
    """A transport whose answer per recipient is scripted: an exception to raise, or None to accept."""

    def __init__(self, script: dict[str, Exception | None] | None = None) -> None:
        self.script = script or {}
        self.sent: list[str] = []
        self.tried: list[str] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def send(self, msg, kind):
        to = WireMessage.of(msg).recipients[0]
        self.tried.append(to)
        outcome = self.script.get(to)
        if outcome is not None:
            raise outcome
        self.sent.append(to)


@pytest.fixture
def relay(monkeypatch):
    relay = ScriptedRelay()
    monkeypatch.setattr(delivery, "get_transport", lambda: relay)
    return relay


def _queued(n: int, status: SendStatus = SendStatus.SENDING, **kw):
    survey = make_survey()
    send = make_send(survey, status=status)
    invitations = [
        make_invitation(survey, send=send, state=DeliveryState.QUEUED, sent_at=None, **kw)[0]
        for _ in range(n)
    ]
    db.session.commit()
    return send, invitations


def _fresh(inv: Invitation) -> Invitation:
    return db.session.execute(
        sa.select(Invitation).where(Invitation.id == inv.id).execution_options(populate_existing=True)
    ).scalar_one()


def _contact(contact_id: int) -> Contact:
    return db.session.execute(
        sa.select(Contact).where(Contact.id == contact_id).execution_options(populate_existing=True)
    ).scalar_one()


def test_each_relay_answer_gives_its_row_state_error_and_count(app, relay):
    with app.app_context():
        send, invs = _queued(5)
        ok, later, refused, gone, unknown = invs
        relay.script = {
            later.contact.email: TemporaryMailError(LONG, 451),
            refused.contact.email: PermanentMailError("550 policy " + "y" * 600, 550),
            gone.contact.email: PermanentMailError("550 no such user", 550, hard_bounce=True),
            unknown.contact.email: UncertainMailError("connection lost " + "z" * 600),
        }
        before = utcnow()
        counts = deliver_batch(send.id)
        assert counts == {"sent": 1, "retry": 1, "failed": 1, "bounced": 1, "uncertain": 1}
        ok, later, refused, gone, unknown = (_fresh(i) for i in invs)
        assert (ok.state, ok.error, ok.attempts) == (DeliveryState.SENT, None, 1)
        assert ok.message_id is not None and ok.sent_at.replace(tzinfo=None) >= before.replace(tzinfo=None)
        assert _contact(ok.contact_id).last_surveyed_at == ok.sent_at
        assert (later.state, later.error, later.message_id) == (DeliveryState.QUEUED, LONG[:500], None)
        assert (refused.state, refused.error) == (DeliveryState.FAILED, ("550 policy " + "y" * 600)[:500])
        assert refused.message_id is not None  # it went out to the relay: never sent again
        assert (gone.state, gone.error) == (DeliveryState.BOUNCED, "550 no such user")
        assert (unknown.state, unknown.error) == (
            DeliveryState.UNCERTAIN,
            ("connection lost " + "z" * 600)[:500],
        )
        assert unknown.message_id is not None
        for inv in (later, refused, gone, unknown):
            assert inv.sent_at is None and _contact(inv.contact_id).last_surveyed_at is None
        bounced = _contact(gone.contact_id)
        assert bounced.bounce_count == 1 and bounced.bounced_at is not None
        assert not is_suppressed(bounced.email)  # one bounce: skipped from now on, not yet suppressed
        assert _contact(refused.contact_id).bounce_count == 0  # a soft refusal is no bounce


def test_a_temporary_refusal_fails_the_row_only_at_the_last_attempt(app, relay):
    with app.app_context():
        send, (short, last) = _queued(2)
        short.attempts, last.attempts = MAX_ATTEMPTS - 2, MAX_ATTEMPTS - 1  # the claim adds one
        db.session.commit()
        relay.script = {inv.contact.email: TemporaryMailError("451 busy", 451) for inv in (short, last)}
        assert deliver_batch(send.id) == {"retry": 1, "failed": 1}
        short, last = _fresh(short), _fresh(last)
        assert (short.state, short.attempts, short.error) == (
            DeliveryState.QUEUED,
            MAX_ATTEMPTS - 1,
            "451 busy",
        )
        assert (last.state, last.attempts, last.error) == (DeliveryState.FAILED, MAX_ATTEMPTS, "451 busy")
        assert short.message_id is None and last.message_id is None


def test_temporary_refusals_in_a_row_release_the_rest_of_the_batch(app, relay):
    with app.app_context():
        send, invs = _queued(MAX_TEMPORARY_IN_A_ROW + 2)
        relay.script = {inv.contact.email: TemporaryMailError("421 later", 421) for inv in invs}
        counts = deliver_batch(send.id)
        assert counts == {"retry": MAX_TEMPORARY_IN_A_ROW, "released": 2}
        rows = [_fresh(i) for i in invs]
        assert [r.state for r in rows] == [DeliveryState.QUEUED] * len(invs)
        assert [r.attempts for r in rows] == [1] * MAX_TEMPORARY_IN_A_ROW + [0, 0]  # untried: not spent
        assert [r.error for r in rows] == ["421 later"] * MAX_TEMPORARY_IN_A_ROW + [None, None]
        assert len(relay.tried) == MAX_TEMPORARY_IN_A_ROW


def test_one_refusal_short_of_the_limit_keeps_the_batch_going(app, relay):
    with app.app_context():
        send, invs = _queued(MAX_TEMPORARY_IN_A_ROW + 1)
        refused = invs[: MAX_TEMPORARY_IN_A_ROW - 1]
        relay.script = {inv.contact.email: TemporaryMailError("421 later", 421) for inv in refused}
        relay.script[invs[-1].contact.email] = TemporaryMailError("421 later", 421)  # not in a row
        counts = deliver_batch(send.id)
        assert counts == {"retry": MAX_TEMPORARY_IN_A_ROW, "sent": 1}
        assert len(relay.tried) == len(invs)


def test_the_last_release_of_a_batch_with_nothing_left_releases_nothing(app, relay):
    with app.app_context():
        send, invs = _queued(MAX_TEMPORARY_IN_A_ROW)
        relay.script = {inv.contact.email: TemporaryMailError("421 later", 421) for inv in invs}
        assert deliver_batch(send.id) == {"retry": MAX_TEMPORARY_IN_A_ROW, "released": 0}


def test_a_batch_takes_the_configured_size_lowest_ids_first(app, relay, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", 2)
    with app.app_context():
        send, invs = _queued(3)
        assert deliver_batch(send.id) == {"sent": 2}
        assert [_fresh(i).state for i in invs] == [
            DeliveryState.SENT,
            DeliveryState.SENT,
            DeliveryState.QUEUED,
        ]
        assert deliver_batch(send.id) == {"sent": 1}
        assert deliver_batch(send.id) == {}


def test_a_message_that_cannot_be_built_keeps_500_characters_of_the_reason(app, relay, monkeypatch):
    def broken(invitation, **kw):
        raise ValueError("v" * 600)

    monkeypatch.setattr(delivery, "build_invitation", broken)
    with app.app_context():
        send, (inv,) = _queued(1)
        assert deliver_batch(send.id) == {"failed": 1}
        inv = _fresh(inv)
        assert inv.state == DeliveryState.FAILED and inv.message_id is None
        assert inv.error == ("could not build the message: " + "v" * 600)[:500]
        assert relay.tried == []


def test_an_address_changed_after_the_batch_was_read_is_mailed_at_the_new_one(app, relay, monkeypatch):
    real_load = delivery._load_batch

    def load_then_change(ids):
        loaded = real_load(ids)
        db.session.execute(
            sa.update(Contact)
            .where(Contact.id == next(iter(loaded.values())).contact_id)
            .values(email="moved@customer.example")
        )  # as another request would, behind the loaded object's back
        return loaded

    monkeypatch.setattr(delivery, "_load_batch", load_then_change)
    with app.app_context():
        send, (_inv,) = _queued(1)
        assert deliver_batch(send.id) == {"sent": 1}
        assert relay.sent == ["moved@customer.example"]


def test_a_row_taken_by_the_sweeper_meanwhile_is_left_alone(app, relay, monkeypatch):
    real_load = delivery._load_batch

    def load_then_release(ids):
        loaded = real_load(ids)
        db.session.execute(
            sa.update(Invitation).where(Invitation.id.in_(ids)).values(state=DeliveryState.QUEUED)
        )
        return loaded

    monkeypatch.setattr(delivery, "_load_batch", load_then_release)
    with app.app_context():
        send, (inv,) = _queued(1)
        assert deliver_batch(send.id) == {"gone": 1}
        inv = _fresh(inv)
        assert (inv.state, inv.message_id, inv.skip_reason) == (DeliveryState.QUEUED, None, None)
        assert relay.tried == []


@pytest.mark.parametrize("late", ["unsubscribed", "bounced", "cancelled"])
def test_consent_lost_after_the_claim_skips_the_row_with_its_reason(app, relay, monkeypatch, late):
    real_load = delivery._load_batch

    def load_then_change(ids):
        loaded = real_load(ids)
        inv = next(iter(loaded.values()))
        if late == "cancelled":
            db.session.execute(
                sa.text("UPDATE sends SET status = 'cancelled' WHERE id = :i"), {"i": inv.send_id}
            )
        else:
            db.session.execute(
                sa.update(Contact).where(Contact.id == inv.contact_id).values({f"{late}_at": utcnow()})
            )
        return loaded

    monkeypatch.setattr(delivery, "_load_batch", load_then_change)
    with app.app_context():
        send, (inv,) = _queued(1)
        assert deliver_batch(send.id) == {"skipped": 1}
        inv = _fresh(inv)
        assert (inv.state, inv.skip_reason, inv.message_id) == (DeliveryState.SKIPPED, late, None)
        assert relay.tried == []


def test_the_last_moment_reasons_in_their_order(app):
    with app.app_context():
        inv, _ = make_invitation()
        db.session.commit()
        contact = inv.contact
        assert last_minute_skip(inv) is None
        contact.bounced_at = utcnow()
        assert last_minute_skip(inv) == "bounced"
        contact.unsubscribed_at = utcnow()
        assert last_minute_skip(inv) == "unsubscribed"
        suppress(contact.email, "complaint")
        db.session.flush()
        assert last_minute_skip(inv) == "suppressed"
        inv.contact = None
        assert last_minute_skip(inv) == "erased"


def test_the_second_hard_bounce_suppresses_the_address(app):
    with app.app_context():
        record_bounce(None)  # an erased contact: nothing to record
        contact = make_contact()
        db.session.commit()
        record_bounce(contact)
        first = contact.bounced_at
        assert (contact.bounce_count, is_suppressed(contact.email)) == (1, False) and first is not None
        record_bounce(contact)
        assert (contact.bounce_count, contact.bounced_at, is_suppressed(contact.email)) == (2, first, True)


def test_a_claim_moves_only_queued_rows_of_that_send_and_counts_the_attempt(app):
    with app.app_context():
        send, (a, b, c) = _queued(3)
        _other_send, (other,) = _queued(1)
        b.state = DeliveryState.SENT
        db.session.commit()
        claimed = claim_invitations(send.id, 5)
        assert claimed == [(a.id, 1), (c.id, 1)]
        a, b, c, other = (_fresh(i) for i in (a, b, c, other))
        assert (a.state, c.state, b.state, other.state) == (
            DeliveryState.SENDING,
            DeliveryState.SENDING,
            DeliveryState.SENT,
            DeliveryState.QUEUED,
        )
        assert a.claimed_at is not None and b.claimed_at is None
        assert claim_invitations(send.id, 5) == []


def test_skipping_a_cancelled_sends_queue_leaves_its_other_rows(app):
    with app.app_context():
        send, (a, b) = _queued(2)
        _, (other,) = _queued(1)
        b.state = DeliveryState.SENT
        db.session.commit()
        skip_queued(send.id, "cancelled")
        db.session.commit()
        a, b, other = (_fresh(i) for i in (a, b, other))
        assert (a.state, a.skip_reason) == (DeliveryState.SKIPPED, "cancelled")
        assert (b.state, b.skip_reason) == (DeliveryState.SENT, None)
        assert (other.state, other.skip_reason) == (DeliveryState.QUEUED, None)


def test_the_sweeper_acts_only_after_the_sending_timeout(app):
    timeout = app.config["MAIL_SENDING_TIMEOUT"]
    start = utcnow().replace(microsecond=0)
    with app.app_context():
        _, (never, inflight, reminder) = _queued(3)
        for inv in (never, inflight):
            inv.state, inv.claimed_at, inv.attempts = DeliveryState.SENDING, start, 1
        inflight.message_id = "<in-flight@example>"
        reminder.state = DeliveryState.SENT
        reminder.reminder_state, reminder.reminder_claimed_at = DeliveryState.SENDING, start
        db.session.commit()
        with time_machine.travel(start + timedelta(seconds=timeout), tick=False):
            assert recover_stuck() == {"released": 0, "uncertain": 0}  # exactly the timeout: still at work
        with time_machine.travel(start + timedelta(seconds=timeout + 1), tick=False):
            assert recover_stuck() == {"released": 1, "uncertain": 2}
        never, inflight, reminder = (_fresh(i) for i in (never, inflight, reminder))
        assert (never.state, never.attempts, never.error) == (DeliveryState.QUEUED, 1, None)
        assert (inflight.state, inflight.error) == (
            DeliveryState.UNCERTAIN,
            "the sender stopped while sending this one; not resent",
        )
        assert (reminder.state, reminder.reminder_state) == (DeliveryState.SENT, DeliveryState.UNCERTAIN)


def test_sends_needing_a_batch_are_running_ones_with_queued_rows_and_no_batch_at_work(app):
    with app.app_context():
        waiting, _ = _queued(2)
        busy, (working, _) = _queued(2)
        working.state = DeliveryState.SENDING
        paused, _ = _queued(1, status=SendStatus.SCHEDULED)
        done, (sent,) = _queued(1)
        sent.state = DeliveryState.SENT
        db.session.commit()
        assert sorted(sends_needing_batches()) == [(waiting.id, 2)]
        assert busy.id and paused.id and done.id


# Cases added after the mutation run of 2026-12-07 (each a new test function: mutmut maps new names only).


def test_an_address_changed_behind_the_loaded_contact_is_marked_again_and_mailed_there(
    app, relay, monkeypatch
):
    """The first mark fails on the old address, the row is read again (not from the stale object) and the
    second mark, with the new address, wins: ``retry_mark``, then sent."""
    real_load = delivery._load_batch

    def load_then_change(ids):
        loaded = real_load(ids)
        db.session.execute(
            sa.update(Contact)
            .where(Contact.id == next(iter(loaded.values())).contact_id)
            .values(email="moved@customer.example"),
            execution_options={"synchronize_session": False},  # the loaded contact keeps the old address
        )
        return loaded

    monkeypatch.setattr(delivery, "_load_batch", load_then_change)
    with app.app_context():
        send, (inv,) = _queued(1)
        old = inv.contact.email
        assert deliver_batch(send.id) == {"sent": 1}
        assert relay.sent == ["moved@customer.example"] and old not in relay.tried
        inv = _fresh(inv)
        assert (inv.state, inv.skip_reason) == (DeliveryState.SENT, None) and inv.message_id is not None


def test_the_second_bounce_suppresses_the_address_as_a_bounce(app):
    from app.mail.suppression import email_hash
    from app.models import Suppression

    with app.app_context():
        contact = make_contact()
        db.session.commit()
        record_bounce(contact)
        record_bounce(contact)
        db.session.flush()
        reason = db.session.execute(
            sa.select(Suppression.reason).where(Suppression.email_hash == email_hash(contact.email))
        ).scalar_one()
        assert reason == "bounce"


def test_a_release_gives_back_only_the_batchs_own_untried_rows(app, relay, monkeypatch):
    """Released: the untried rows of this batch still ``sending`` and never in flight. Not released: another
    send's claimed row, and a row of this batch the sweeper handed back meanwhile (its attempt stays)."""
    real_load = delivery._load_batch
    swept: list[int] = []

    def load_then_sweep(ids):
        loaded = real_load(ids)
        db.session.execute(
            sa.update(Invitation).where(Invitation.id == ids[-1]).values(state=DeliveryState.QUEUED),
            execution_options={"synchronize_session": False},
        )
        swept.append(ids[-1])
        return loaded

    with app.app_context():
        _other, (elsewhere,) = _queued(1)
        assert claim_invitations(_other.id, 5) == [(elsewhere.id, 1)]
        send, invs = _queued(MAX_TEMPORARY_IN_A_ROW + 2)
        relay.script = {inv.contact.email: TemporaryMailError("421 later", 421) for inv in invs}
        monkeypatch.setattr(delivery, "_load_batch", load_then_sweep)
        assert deliver_batch(send.id) == {"retry": MAX_TEMPORARY_IN_A_ROW, "released": 2}
        released, by_sweeper = _fresh(invs[-2]), _fresh(invs[-1])
        assert swept == [by_sweeper.id]
        assert (released.state, released.attempts) == (DeliveryState.QUEUED, 0)
        assert (by_sweeper.state, by_sweeper.attempts) == (DeliveryState.QUEUED, 1)  # not taken back twice
        elsewhere = _fresh(elsewhere)
        assert (elsewhere.state, elsewhere.attempts) == (DeliveryState.SENDING, 1)


def test_the_last_attempts_refusal_keeps_500_characters_of_the_reply(app, relay):
    with app.app_context():
        send, (last,) = _queued(1)
        last.attempts = MAX_ATTEMPTS - 1
        db.session.commit()
        relay.script = {last.contact.email: TemporaryMailError(LONG, 451)}
        assert deliver_batch(send.id) == {"failed": 1}
        last = _fresh(last)
        assert (last.state, last.error) == (DeliveryState.FAILED, LONG[:500]) and len(last.error) == 500


def test_a_row_sent_after_an_earlier_refusal_loses_the_old_error(app, relay):
    with app.app_context():
        send, (inv,) = _queued(1, error="451 busy", attempts=1)
        assert deliver_batch(send.id) == {"sent": 1}
        inv = _fresh(inv)
        assert (inv.state, inv.error, inv.attempts) == (DeliveryState.SENT, None, 2)


def test_the_sweeper_leaves_reminders_that_finished_long_ago(app):
    timeout = app.config["MAIL_SENDING_TIMEOUT"]
    start = utcnow().replace(microsecond=0)
    with app.app_context():
        _, (done, failed) = _queued(2)
        for inv, state in ((done, DeliveryState.SENT), (failed, DeliveryState.FAILED)):
            inv.state = DeliveryState.SENT
            inv.reminder_state, inv.reminder_claimed_at = state, start
        db.session.commit()
        with time_machine.travel(start + timedelta(seconds=timeout + 3600), tick=False):
            assert recover_stuck() == {"released": 0, "uncertain": 0}
        assert [_fresh(i).reminder_state for i in (done, failed)] == [
            DeliveryState.SENT,
            DeliveryState.FAILED,
        ]


def test_each_waiting_send_needs_a_batch_with_its_own_queued_count(app):
    with app.app_context():
        first, _ = _queued(2)
        second, _ = _queued(1)
        assert sorted(sends_needing_batches()) == sorted([(first.id, 2), (second.id, 1)])


def test_a_row_deleted_before_the_batch_read_it_counts_as_gone(app, relay, monkeypatch):
    real_load = delivery._load_batch

    def load_without_the_first(ids):
        loaded = real_load(ids)
        loaded.pop(ids[0])  # as if the row was deleted between the claim and the read
        return loaded

    monkeypatch.setattr(delivery, "_load_batch", load_without_the_first)
    with app.app_context():
        send, (_first, second) = _queued(2)
        assert deliver_batch(send.id) == {"gone": 1, "sent": 1}
        assert relay.sent == [second.contact.email]


def test_a_row_deleted_after_the_batch_read_it_is_gone_and_not_mailed(app, relay, monkeypatch):
    real_load = delivery._load_batch

    def load_then_delete(ids):
        loaded = real_load(ids)
        db.session.execute(
            sa.delete(Invitation).where(Invitation.id == ids[0]),
            execution_options={"synchronize_session": False},
        )
        return loaded

    monkeypatch.setattr(delivery, "_load_batch", load_then_delete)
    with app.app_context():
        send, (_inv,) = _queued(1)
        assert deliver_batch(send.id) == {"gone": 1}
        assert relay.tried == []


def test_a_row_another_claim_took_is_left_alone_even_when_its_contact_unsubscribed(app, relay, monkeypatch):
    real_load = delivery._load_batch

    def load_then_reclaim(ids):
        loaded = real_load(ids)
        inv = loaded[ids[0]]
        db.session.execute(
            sa.update(Invitation).where(Invitation.id == inv.id).values(attempts=Invitation.attempts + 1),
            execution_options={"synchronize_session": False},
        )
        db.session.execute(
            sa.update(Contact).where(Contact.id == inv.contact_id).values(unsubscribed_at=utcnow()),
            execution_options={"synchronize_session": False},
        )
        return loaded

    monkeypatch.setattr(delivery, "_load_batch", load_then_reclaim)
    with app.app_context():
        send, (inv,) = _queued(1)
        assert deliver_batch(send.id) == {"gone": 1}
        inv = _fresh(inv)
        assert (inv.state, inv.attempts, inv.skip_reason) == (DeliveryState.SENDING, 2, None)  # the other's
        assert relay.tried == []


def test_a_claimed_row_whose_contact_was_erased_is_skipped_as_erased(app, relay):
    with app.app_context():
        send, (inv,) = _queued(1)
        inv.contact_id = None
        db.session.commit()
        assert deliver_batch(send.id) == {"skipped": 1}
        inv = _fresh(inv)
        assert (inv.state, inv.skip_reason, inv.message_id) == (DeliveryState.SKIPPED, "erased", None)
        assert relay.tried == []


def test_a_delivered_message_restarts_the_count_of_refusals_in_a_row(app, relay):
    """retry, sent, retry, retry: never three in a row, so the batch goes on to its last row."""
    with app.app_context():
        send, invs = _queued(MAX_TEMPORARY_IN_A_ROW + 2)
        refused = [invs[0], *invs[2 : MAX_TEMPORARY_IN_A_ROW + 1]]
        relay.script = {inv.contact.email: TemporaryMailError("421 later", 421) for inv in refused}
        assert deliver_batch(send.id) == {"retry": MAX_TEMPORARY_IN_A_ROW, "sent": 2}
        assert relay.sent == [invs[1].contact.email, invs[-1].contact.email]


def test_a_release_never_hands_back_a_row_another_claim_has_in_flight(app, relay, monkeypatch):
    real_load = delivery._load_batch

    def load_then_taken(ids):
        loaded = real_load(ids)
        db.session.execute(
            sa.update(Invitation).where(Invitation.id == ids[-1]).values(message_id="<taken@elsewhere>"),
            execution_options={"synchronize_session": False},
        )  # the sweeper released it and another worker claimed it and marked it in flight
        return loaded

    with app.app_context():
        send, invs = _queued(MAX_TEMPORARY_IN_A_ROW + 1)
        relay.script = {inv.contact.email: TemporaryMailError("421 later", 421) for inv in invs}
        monkeypatch.setattr(delivery, "_load_batch", load_then_taken)
        assert deliver_batch(send.id) == {"retry": MAX_TEMPORARY_IN_A_ROW, "released": 1}
        taken = _fresh(invs[-1])
        assert (taken.state, taken.message_id, taken.attempts) == (
            DeliveryState.SENDING,
            "<taken@elsewhere>",
            1,
        )


# Cases added after the mutation run of 2026-12-07 03:20 (the early SMTP envelope, the second mark, the claim
# on PostgreSQL).


def _smtp_log(recorder, monkeypatch) -> list[str]:
    """What the relay was asked, in order: ``RCPT <address>`` and ``RSET`` (a reset envelope)."""
    seen: list[str] = []
    real_rcpt = recorder.handle_RCPT

    async def rcpt(server, session, envelope, address, options):
        seen.append(f"RCPT {address.lower()}")
        return await real_rcpt(server, session, envelope, address, options)

    async def rset(server, session, envelope):
        seen.append("RSET")
        return "250 OK"

    monkeypatch.setattr(recorder, "handle_RCPT", rcpt)
    monkeypatch.setattr(recorder, "handle_RSET", rset, raising=False)
    return seen


def test_each_message_goes_out_on_the_envelope_started_for_it(smtp_app, smtp_server, monkeypatch):
    """One MAIL/RCPT per message, the early one, from the configured sender: never reset and said again."""
    seen = _smtp_log(smtp_server.recorder, monkeypatch)
    with smtp_app.app_context():
        send, invs = _queued(2)
        emails = [inv.contact.email.lower() for inv in invs]
        assert deliver_batch(send.id) == {"sent": 2}
    assert seen == [f"RCPT {email}" for email in emails]
    assert smtp_server.recorder.recipients() == emails
    assert {sender for sender, _, _ in smtp_server.recorder.messages} == {
        parseaddr(smtp_app.config["MAIL_FROM"])[1]
    }


def test_a_claimed_row_whose_contact_was_erased_is_skipped_on_the_smtp_relay_too(
    smtp_app, smtp_server, monkeypatch
):
    seen = _smtp_log(smtp_server.recorder, monkeypatch)
    with smtp_app.app_context():
        send, (erased, kept) = _queued(2)
        erased.contact_id = None
        db.session.commit()
        assert deliver_batch(send.id) == {"skipped": 1, "sent": 1}
        assert (_fresh(erased).state, _fresh(erased).skip_reason) == (DeliveryState.SKIPPED, "erased")
        assert smtp_server.recorder.recipients() == [kept.contact.email.lower()]
    assert seen == [f"RCPT {kept.contact.email.lower()}"]  # no envelope for a row without an address


def test_on_the_smtp_relay_an_address_changed_behind_the_batch_resets_the_old_envelope_and_mails_the_new(
    smtp_app, smtp_server, monkeypatch
):
    seen = _smtp_log(smtp_server.recorder, monkeypatch)
    real_load = delivery._load_batch

    def load_then_change(ids):
        loaded = real_load(ids)
        db.session.execute(
            sa.update(Contact)
            .where(Contact.id == next(iter(loaded.values())).contact_id)
            .values(email="moved@customer.example"),
            execution_options={"synchronize_session": False},
        )
        return loaded

    monkeypatch.setattr(delivery, "_load_batch", load_then_change)
    with smtp_app.app_context():
        send, (inv,) = _queued(1)
        old = inv.contact.email.lower()
        assert deliver_batch(send.id) == {"sent": 1}
        assert _fresh(inv).state == DeliveryState.SENT
    assert seen == [f"RCPT {old}", "RSET", "RCPT moved@customer.example"]
    assert smtp_server.recorder.recipients() == ["moved@customer.example"]


def test_an_address_that_changes_again_before_the_second_mark_leaves_the_row_for_the_sweeper(
    app, relay, monkeypatch
):
    """Two marks lost to address changes: the row is "gone" for this batch, still ``sending`` without a
    Message-ID (so the sweeper hands it back to the queue), and nothing is sent."""
    real_load, real_not_marked = delivery._load_batch, delivery._not_marked

    def move(contact_id: int, email: str) -> None:
        db.session.execute(
            sa.update(Contact).where(Contact.id == contact_id).values(email=email),
            execution_options={"synchronize_session": False},
        )

    def load_then_change(ids):
        loaded = real_load(ids)
        move(next(iter(loaded.values())).contact_id, "moved@customer.example")
        return loaded

    def not_marked_then_change_again(invitation, attempts):
        outcome = real_not_marked(invitation, attempts)
        move(invitation.contact_id, "moved-again@customer.example")
        return outcome

    monkeypatch.setattr(delivery, "_load_batch", load_then_change)
    monkeypatch.setattr(delivery, "_not_marked", not_marked_then_change_again)
    with app.app_context():
        send, (inv,) = _queued(1)
        assert deliver_batch(send.id) == {"gone": 1}
        inv = _fresh(inv)
        assert (inv.state, inv.message_id, inv.skip_reason, inv.attempts) == (
            DeliveryState.SENDING,
            None,
            None,
            1,
        )
        assert relay.tried == []


def _lost_database(*args, **kwargs):
    raise sa.exc.OperationalError(
        "UPDATE invitations SET message_id=…", {}, Exception("server closed the connection")
    )


def test_a_database_failure_at_the_in_flight_mark_stops_the_batch_with_that_error(app, relay, monkeypatch):
    monkeypatch.setattr(delivery, "_mark_in_flight", _lost_database)
    with app.app_context():
        send, (inv,) = _queued(1)
        with pytest.raises(sa.exc.OperationalError, match="server closed the connection"):
            deliver_batch(send.id)
        db.session.rollback()
        inv = _fresh(inv)
        assert (inv.state, inv.message_id) == (DeliveryState.SENDING, None)  # the sweeper's to hand back
        assert relay.tried == []


def test_a_database_failure_at_the_in_flight_mark_resets_the_early_envelope(
    smtp_app, smtp_server, monkeypatch
):
    seen = _smtp_log(smtp_server.recorder, monkeypatch)
    monkeypatch.setattr(delivery, "_mark_in_flight", _lost_database)
    with smtp_app.app_context():
        send, (inv,) = _queued(1)
        email = inv.contact.email.lower()
        with pytest.raises(sa.exc.OperationalError, match="server closed the connection"):
            deliver_batch(send.id)
        db.session.rollback()
        assert (_fresh(inv).state, _fresh(inv).message_id) == (DeliveryState.SENDING, None)
    assert seen == [f"RCPT {email}", "RSET"]
    assert smtp_server.recorder.messages == []


def test_a_message_that_cannot_be_built_is_logged_with_its_invitation_and_cause(
    app, relay, monkeypatch, caplog
):
    def broken(invitation, **kw):
        raise ValueError("template variable missing")

    monkeypatch.setattr(delivery, "build_invitation", broken)
    with app.app_context(), caplog.at_level("ERROR", logger="app.mail.delivery"):
        send, (inv,) = _queued(1)
        inv_id = inv.id
        assert deliver_batch(send.id) == {"failed": 1}
    (record,) = [r for r in caplog.records if r.name == "app.mail.delivery"]
    assert record.getMessage() == f"could not build invitation {inv_id}"
    assert isinstance(record.exc_info[1], ValueError)


def _postgresql_only() -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's claim (FOR UPDATE SKIP LOCKED, row versions) is not SQLite's")


def test_on_postgresql_a_claim_takes_the_lowest_ids_even_after_the_first_row_was_rewritten(app):
    """An UPDATE writes a new row version at the end of the table: a claim without its ORDER BY would take
    the second row first (a sequential scan's order)."""
    with app.app_context():
        _postgresql_only()
        send, (first, second, third) = _queued(3)
        first.error = "451 busy"  # an earlier refusal, as a retried row has
        db.session.commit()
        assert claim_invitations(send.id, 1) == [(first.id, 1)]
        assert claim_invitations(send.id, 1) == [(second.id, 1)]
        assert claim_invitations(send.id, 5) == [(third.id, 1)]


def test_on_postgresql_a_claim_takes_the_lowest_ids_after_the_first_rows_state_was_rewritten(app):
    """A change of an indexed column (the delivery state: a row held back, then queued again) writes a new
    row version and new index entries after the others; index, bitmap and sequential scans then all meet
    the first row last, so only the claim's ORDER BY keeps the oldest invitations first."""
    with app.app_context():
        _postgresql_only()
        send, (first, second, third) = _queued(3)
        for state in (DeliveryState.SKIPPED, DeliveryState.QUEUED):
            db.session.execute(sa.update(Invitation).where(Invitation.id == first.id).values(state=state))
            db.session.commit()
        assert claim_invitations(send.id, 2) == [(first.id, 1), (second.id, 1)]
        assert claim_invitations(send.id, 5) == [(third.id, 1)]


@pytest.mark.committed
def test_on_postgresql_a_claim_skips_the_rows_another_worker_holds_without_waiting(app):
    """Parallel workers take disjoint rows: a row locked by another worker's claim is skipped at once (the
    claim's transaction gives up after 3 s instead of waiting for it, so a waiting claim fails here)."""
    with app.app_context():
        _postgresql_only()
        send, (held, free_a, free_b) = _queued(3)
        other = db.engine.connect()
        try:
            other.begin()
            other.execute(sa.text("SELECT id FROM invitations WHERE id = :i FOR UPDATE"), {"i": held.id})
            db.session.execute(sa.text("SET LOCAL lock_timeout = '3s'"))
            assert claim_invitations(send.id, 5) == [(free_a.id, 1), (free_b.id, 1)]
        finally:
            other.rollback()
            other.close()
        assert claim_invitations(send.id, 5) == [(held.id, 1)]  # free again: the next claim takes it
