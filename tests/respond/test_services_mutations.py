"""Known answers for app/respond/services.py, called directly (issue 20's mutation goal): what each answer
path stores (every column), what it reports (created / changed / score / id), which webhook event it writes,
what it hands to tagging or to the follow-up rules, and the link-click and unsubscribe rules on both sides
of their conditions."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.mail.suppression import is_suppressed
from app.models import (
    AnalysisState,
    Channel,
    FormCategory,
    Invitation,
    LinkClick,
    Response,
    Suppression,
    SurveyKind,
    WebhookEndpoint,
    WebhookMessage,
    utcnow,
)
from app.respond import services as svc
from app.respond.services import Answer
from app.respond.suspect import INCLUDE_SUSPECTS, SCANNER_WINDOW, Verdict
from tests.factories import make_account, make_contact, make_invitation, make_survey


@pytest.fixture
def handoffs(monkeypatch):
    """What was handed to tagging and to the follow-up rules (instead of enqueueing jobs)."""
    calls: dict[str, list[list[int]]] = {"tagging": [], "rules": []}
    monkeypatch.setattr(
        "app.analysis.services.enqueue_tagging", lambda ids: calls["tagging"].append(list(ids))
    )
    monkeypatch.setattr("app.followups.services.enqueue_rules", lambda ids: calls["rules"].append(list(ids)))
    return calls


def _listen() -> None:
    db.session.add(WebhookEndpoint(url="https://hooks.example.com/x", secret="whsec_" + "A" * 32))
    db.session.flush()


def _events() -> list[tuple[str, int | None, int | None]]:
    rows = db.session.execute(
        sa.select(WebhookMessage.event_type, WebhookMessage.contact_id, WebhookMessage.response_id).order_by(
            WebhookMessage.id
        )
    ).all()
    return [tuple(r) for r in rows]


def _payloads() -> list[dict]:
    return list(db.session.execute(sa.select(WebhookMessage.payload).order_by(WebhookMessage.id)).scalars())


def _rows() -> list[Response]:
    return list(
        db.session.execute(
            sa.select(Response)
            .order_by(Response.id)
            .execution_options(populate_existing=True, **{INCLUDE_SUSPECTS: True})
        ).scalars()
    )


# --- submit_external (the REST API's answers) ---------------------------------------------------------


def test_an_external_answer_stores_every_field_and_reports_it_created(app, handoffs):
    with app.app_context():
        _listen()
        survey = make_survey("nps")
        account = make_account()
        contact = make_contact(account)
        db.session.commit()
        answer = Answer(
            score=7, comment="Quick help", comment_present=True, email="a@example.com", locale="de"
        )
        out = svc.submit_external(survey, answer, Channel.API, contact.id, account.id, None)
        [row] = _rows()
        assert (out.response, out.created, out.changed, out.score, out.response_id) == (
            row,
            True,
            True,
            7,
            row.id,
        )
        assert (row.survey_id, row.kind, row.channel, row.submission_id) == (
            survey.id,
            SurveyKind.NPS,
            Channel.API,
            None,
        )
        assert (row.contact_id, row.account_id, row.score, row.comment) == (
            contact.id,
            account.id,
            7,
            "Quick help",
        )
        assert (row.form_category, row.respondent_email, row.locale, row.edit_count) == (
            None,
            "a@example.com",
            "de",
            0,
        )
        assert row.scanner_suspect is False and row.auto_saved_at is None
        assert row.analysis_state == AnalysisState.PENDING
        assert _events() == [("response.created", contact.id, row.id)]
        assert _payloads()[0]["data"]["score"] == 7
        assert handoffs == {"tagging": [[row.id]], "rules": []}


def test_an_external_answer_without_a_comment_goes_to_the_follow_up_rules_at_once(app, handoffs):
    with app.app_context():
        survey = make_survey("form")
        db.session.commit()
        answer = Answer(score=None, category=FormCategory.BUG, email=None, locale="fr")
        out = svc.submit_external(survey, answer, Channel.FORM, None, None, None)
        [row] = _rows()
        assert (row.kind, row.channel, row.form_category, row.locale) == (
            SurveyKind.FORM,
            Channel.FORM,
            FormCategory.BUG,
            "fr",
        )
        assert row.analysis_state == AnalysisState.SKIPPED and out.response_id == row.id
        assert handoffs == {"tagging": [], "rules": [[row.id]]}


def test_external_answers_without_an_id_are_each_a_new_row(app, handoffs):
    with app.app_context():
        survey = make_survey("csat")
        db.session.commit()
        first = svc.submit_external(survey, Answer(score=4), Channel.API, None, None, None)
        second = svc.submit_external(survey, Answer(score=4), Channel.API, None, None, None)
        assert first.created and second.created and first.response_id != second.response_id
        assert [r.score for r in _rows()] == [4, 4]


def test_an_external_resend_with_the_callers_id_is_an_edit_of_the_same_row(app, handoffs):
    with app.app_context():
        _listen()
        survey = make_survey("nps")
        db.session.commit()
        first = svc.submit_external(survey, Answer(score=6), Channel.API, None, None, "ext-1")
        replay = svc.submit_external(survey, Answer(score=6), Channel.API, None, None, "ext-1")
        assert (first.created, first.changed) == (True, True)
        assert (replay.created, replay.changed, replay.score) == (False, False, 6)
        edit = svc.submit_external(
            survey,
            Answer(score=9, comment="Better now", comment_present=True),
            Channel.API,
            None,
            None,
            "ext-1",
        )
        [row] = _rows()
        assert (edit.created, edit.changed, edit.score, edit.response_id) == (False, True, 9, row.id)
        assert (row.submission_id, row.score, row.comment, row.edit_count) == ("ext-1", 9, "Better now", 1)
        assert row.analysis_state == AnalysisState.PENDING  # the new comment waits for tagging
        assert [e[0] for e in _events()] == ["response.created", "response.updated"]
        assert handoffs["rules"] == [[row.id]] and handoffs["tagging"] == [[row.id]]


# --- submit_invitation_answer / answer_invitation ---------------------------------------------------


def test_an_invitations_first_answer_comes_back_as_the_stored_row(app, handoffs):
    with app.app_context():
        inv, _ = make_invitation(make_survey("ces"))
        db.session.commit()
        out = svc.submit_invitation_answer(inv, Answer(score=5, locale="es"))
        [row] = _rows()
        assert (out.response, out.created, out.changed, out.score, out.response_id) == (
            row,
            True,
            True,
            5,
            row.id,
        )
        assert (row.kind, row.channel, row.locale, row.auto_saved_at) == (
            SurveyKind.CES,
            Channel.EMAIL,
            "es",
            None,
        )
        assert handoffs == {"tagging": [], "rules": [[row.id]]}
        db.session.refresh(inv)
        assert inv.responded_at is not None


def test_an_invitations_later_answer_is_an_edit_reported_as_changed(app, handoffs):
    with app.app_context():
        _listen()
        inv, _ = make_invitation(make_survey("nps"))
        db.session.commit()
        svc.submit_invitation_answer(inv, Answer(score=3))
        db.session.refresh(inv)
        out = svc.submit_invitation_answer(inv, Answer(score=8, comment="Fixed", comment_present=True))
        [row] = _rows()
        assert (out.response, out.created, out.changed, out.score, out.response_id) == (
            row,
            False,
            True,
            8,
            row.id,
        )
        assert (row.score, row.comment, row.edit_count) == (8, "Fixed", 1)
        same = svc.submit_invitation_answer(inv, Answer(score=8))
        assert (same.created, same.changed) == (False, False)
        # With an endpoint listening, the first answer's event is written too (it was missing, issue 18).
        assert [e[0] for e in _events()] == ["response.created", "response.updated"]


def test_the_pages_automatic_first_save_is_counted_but_unconfirmed(app, handoffs):
    with app.app_context():
        inv, _ = make_invitation(make_survey("nps"))
        db.session.commit()
        before = utcnow()
        svc.submit_invitation_answer(inv, Answer(score=10), Verdict.AUTO)
        [row] = _rows()
        assert row.scanner_suspect is False and row.auto_saved_at is not None
        assert row.auto_saved_at.replace(tzinfo=None) >= before.replace(tzinfo=None) - timedelta(seconds=1)
        svc.submit_invitation_answer(inv, Answer(score=10), Verdict.HUMAN)  # the button confirms it
        [row] = _rows()
        assert row.auto_saved_at is None


def test_a_held_automatic_save_is_refused_and_stores_nothing(app):
    with app.app_context():
        inv, _ = make_invitation()
        db.session.commit()
        with pytest.raises(ValueError, match=r"^a held automatic save is not stored$"):
            svc.submit_invitation_answer(inv, Answer(score=9), Verdict.HOLD)
        assert _rows() == []


def test_a_suspect_save_is_kept_apart_until_a_person_confirms_it(app, handoffs):
    with app.app_context():
        _listen()
        inv, _ = make_invitation(make_survey("nps"))
        db.session.commit()
        kept = svc.submit_invitation_answer(inv, Answer(score=0), Verdict.SUSPECT)
        [row] = _rows()
        assert (kept.created, kept.changed, kept.score) == (True, True, 0)
        assert row.scanner_suspect is True and row.auto_saved_at is not None
        assert _events() == [] and handoffs == {"tagging": [], "rules": []}
        db.session.refresh(inv)
        assert inv.responded_at is None
        again = svc.submit_invitation_answer(inv, Answer(score=4), Verdict.SUSPECT)  # changes nothing
        assert (again.created, again.changed, _rows()[0].score) == (False, False, 0)
        confirmed = svc.submit_invitation_answer(inv, Answer(score=9), Verdict.HUMAN)
        [row] = _rows()
        assert (confirmed.created, confirmed.changed, confirmed.score) == (True, True, 9)
        assert row.scanner_suspect is False and row.auto_saved_at is None and row.edit_count == 1
        assert _events() == [("response.created", inv.contact_id, row.id)]
        assert handoffs["rules"] == [[row.id]]
        db.session.refresh(inv)
        assert inv.responded_at is not None


def test_a_suspect_save_confirmed_by_the_pages_own_save_counts_but_stays_unconfirmed(app, handoffs):
    with app.app_context():
        inv, _ = make_invitation(make_survey("nps"))
        db.session.commit()
        svc.submit_invitation_answer(inv, Answer(score=2), Verdict.SUSPECT)
        db.session.refresh(inv)
        out = svc.submit_invitation_answer(inv, Answer(score=2), Verdict.AUTO)
        [row] = _rows()
        assert (out.created, out.changed) == (True, True)  # unchanged score, but it counts from now on
        assert row.scanner_suspect is False and row.auto_saved_at is not None and row.edit_count == 0


# --- submit_anonymous -------------------------------------------------------------------------------


def test_a_public_link_answer_stores_the_email_and_the_account_hint(app, handoffs):
    with app.app_context():
        survey = make_survey("csat")
        emailed, _ = make_invitation(survey)
        db.session.commit()
        svc.submit_invitation_answer(emailed, Answer(score=5))  # an email answer, no submission id
        answer = Answer(score=2, email="p@example.com", account_hint="Acme", locale="de")
        out = svc.submit_anonymous(survey, "sub-1", answer, Channel.LINK)
        first, row = _rows()
        assert (first.score, first.submission_id, first.edit_count) == (5, None, 0)  # not taken for this one
        assert (out.created, out.changed, out.score, out.response_id) == (True, True, 2, row.id)
        assert (row.channel, row.submission_id, row.respondent_email, row.account_hint, row.locale) == (
            Channel.LINK,
            "sub-1",
            "p@example.com",
            "Acme",
            "de",
        )
        assert (row.scanner_suspect, row.auto_saved_at, row.invitation_id) == (False, None, None)
        auto = svc.submit_anonymous(survey, "sub-2", Answer(score=1), Channel.LINK, Verdict.AUTO)
        suspect = svc.submit_anonymous(survey, "sub-3", Answer(score=1), Channel.LINK, Verdict.SUSPECT)
        rows = {r.submission_id: r for r in _rows()[1:]}
        assert rows["sub-2"].auto_saved_at is not None and rows["sub-2"].scanner_suspect is False
        assert rows["sub-3"].auto_saved_at is not None and rows["sub-3"].scanner_suspect is True
        assert auto.response_id == rows["sub-2"].id and suspect.response_id == rows["sub-3"].id
        assert suspect.response is rows["sub-3"]  # an ORM-path submission carries its row, a suspect one too
        assert handoffs["rules"][1:] == [[row.id], [rows["sub-2"].id]]  # the suspect one goes nowhere


# --- edits: what counts as an edit ------------------------------------------------------------------


def test_completing_the_answer_on_the_page_that_created_it_is_no_edit(app, handoffs):
    with app.app_context():
        survey = make_survey("nps")
        db.session.commit()
        svc.submit_anonymous(survey, "s", Answer(score=5), Channel.LINK)
        created = _rows()[0].created_at
        same_page = created - timedelta(seconds=5)
        svc.submit_anonymous(survey, "s", Answer(score=6, opened_at=same_page), Channel.LINK)
        assert _rows()[0].edit_count == 0
        at_once = created  # opened exactly when the answer was stored: still that page
        svc.submit_anonymous(survey, "s", Answer(score=7, opened_at=at_once), Channel.LINK)
        assert _rows()[0].edit_count == 0
        later = created + timedelta(seconds=1)
        svc.submit_anonymous(survey, "s", Answer(score=8, opened_at=later), Channel.LINK)
        assert _rows()[0].edit_count == 1
        svc.submit_anonymous(survey, "s", Answer(score=9), Channel.LINK)  # no page time: an edit
        assert _rows()[0].edit_count == 2
        assert len(handoffs["rules"]) == 5  # the answer and each change go to the follow-up rules
        unchanged = svc.submit_anonymous(survey, "s", Answer(score=9), Channel.LINK)
        assert unchanged.changed is False and _rows()[0].edit_count == 2


def test_an_answer_without_a_comment_field_leaves_the_stored_comment(app, handoffs):
    with app.app_context():
        survey = make_survey("form")
        db.session.commit()
        first = Answer(score=None, comment="Export broke", comment_present=True, category=FormCategory.BUG)
        svc.submit_anonymous(survey, "f", first, Channel.FORM)
        out = svc.submit_anonymous(survey, "f", Answer(score=None, category=FormCategory.BUG), Channel.FORM)
        assert out.changed is False and _rows()[0].comment == "Export broke"
        recat = svc.submit_anonymous(
            survey, "f", Answer(score=None, category=FormCategory.QUESTION), Channel.FORM
        )
        [row] = _rows()
        assert recat.changed is True and (row.form_category, row.comment) == (
            FormCategory.QUESTION,
            "Export broke",
        )
        cleared = svc.submit_anonymous(
            survey, "f", Answer(score=None, comment=None, comment_present=True), Channel.FORM
        )
        [row] = _rows()
        assert cleared.changed is True and row.comment is None and row.form_category == FormCategory.QUESTION


# --- link clicks ------------------------------------------------------------------------------------


def _clicks() -> list[LinkClick]:
    return list(
        db.session.execute(
            sa.select(LinkClick).order_by(LinkClick.id).execution_options(populate_existing=True)
        ).scalars()
    )


def test_a_click_is_logged_and_counted(app):
    with app.app_context():
        inv, _ = make_invitation()
        db.session.commit()
        assert svc.record_click(inv, "open", None, "x" * 400) is False
        first = inv.first_clicked_at
        assert svc.record_click(inv, "score", 9, "") is False
        a, b = _clicks()
        assert (a.kind, a.score, a.user_agent, a.suspected_scanner) == ("open", None, "x" * 300, False)
        assert (b.kind, b.score, b.user_agent, b.suspected_scanner) == ("score", 9, None, False)
        db.session.refresh(inv)
        assert inv.click_count == 2 and inv.first_clicked_at == first and inv.scanner_flagged_at is None
        assert inv.last_clicked_at >= inv.first_clicked_at


def test_two_different_scores_within_the_window_flag_a_scanner_and_older_clicks_do_not(app):
    with app.app_context():
        inv, _ = make_invitation()
        db.session.commit()
        now = utcnow()
        old = LinkClick(
            invitation_id=inv.id,
            kind="score",
            score=1,
            suspected_scanner=False,
            created_at=now - SCANNER_WINDOW * 2,
        )
        db.session.add(old)
        db.session.commit()
        assert svc.record_click(inv, "score", 9, None) is False  # the other score is outside the window
        assert svc.record_click(inv, "score", 9, None) is False  # the same score again: a double click
        assert svc.record_click(inv, "open", None, None) is False
        assert svc.record_click(inv, "score", 3, None) is True
        flags = [c.suspected_scanner for c in _clicks()]
        assert flags == [False, True, True, True, True]  # every click of the window, not the old one
        db.session.refresh(inv)
        assert inv.scanner_flagged_at is not None


def test_the_hidden_link_takes_back_an_automatic_save_made_just_before(app, handoffs):
    with app.app_context():
        inv, _ = make_invitation()
        db.session.commit()
        svc.submit_invitation_answer(inv, Answer(score=10), Verdict.AUTO)
        db.session.refresh(inv)
        assert inv.responded_at is not None
        assert svc.record_click(inv, "hidden", None, "Scanner/1.0") is True
        db.session.refresh(inv)
        assert inv.responded_at is None and _rows()[0].scanner_suspect is True


def test_the_hidden_link_leaves_a_confirmed_answer_alone(app, handoffs):
    with app.app_context():
        inv, _ = make_invitation()
        db.session.commit()
        svc.submit_invitation_answer(inv, Answer(score=10), Verdict.HUMAN)
        db.session.refresh(inv)
        answered = inv.responded_at
        assert svc.record_click(inv, "hidden", None, None) is True
        db.session.refresh(inv)
        assert inv.responded_at == answered and _rows()[0].scanner_suspect is False


# --- unsubscribe ------------------------------------------------------------------------------------


def test_unsubscribing_changes_the_contact_once_and_always_suppresses(app):
    with app.app_context():
        _listen()
        inv, _ = make_invitation()
        db.session.commit()
        contact = inv.contact
        assert svc.unsubscribe(inv) is True
        stamped = contact.unsubscribed_at
        assert stamped is not None and is_suppressed(contact.email)
        assert db.session.execute(sa.select(Suppression.reason)).scalar_one() == "unsubscribe"
        assert _events() == [("contact.unsubscribed", contact.id, None)]
        assert _payloads()[0]["data"]["email"] == contact.email
        db.session.execute(sa.delete(Suppression))  # an admin lifted the suppression
        db.session.commit()
        assert svc.unsubscribe(inv) is False  # nothing new for the contact ...
        assert is_suppressed(contact.email)  # ... but the address is suppressed again
        assert contact.unsubscribed_at == stamped and len(_events()) == 1


def test_an_invitation_whose_contact_was_erased_unsubscribes_nobody(app):
    with app.app_context():
        inv, _ = make_invitation()
        db.session.commit()
        email = inv.contact.email
        db.session.execute(sa.update(Invitation).where(Invitation.id == inv.id).values(contact_id=None))
        db.session.commit()
        db.session.refresh(inv)
        assert inv.contact is None
        assert svc.unsubscribe(inv) is False
        assert not is_suppressed(email)


def test_a_page_opened_in_another_time_zone_is_compared_as_the_same_instant(app, handoffs):
    with app.app_context():
        survey = make_survey("nps")
        db.session.commit()
        svc.submit_anonymous(survey, "tz", Answer(score=5), Channel.LINK)
        created = _rows()[0].created_at
        paris = timezone(timedelta(hours=2))
        before = (created - timedelta(minutes=30)).astimezone(paris)  # later on the clock, earlier in fact
        svc.submit_anonymous(survey, "tz", Answer(score=6, opened_at=before), Channel.LINK)
        assert _rows()[0].edit_count == 0
        after = (created + timedelta(minutes=30)).astimezone(timezone(timedelta(hours=-5)))
        svc.submit_anonymous(survey, "tz", Answer(score=7, opened_at=after), Channel.LINK)
        assert _rows()[0].edit_count == 1


def test_an_edit_keeps_when_the_invitation_was_first_answered_and_touches_no_other(app, handoffs):
    start = utcnow().replace(microsecond=0)
    with app.app_context():
        survey = make_survey("nps")
        inv, _ = make_invitation(survey)
        other, _ = make_invitation(survey)
        db.session.commit()
        with time_machine.travel(start, tick=False):
            svc.submit_invitation_answer(inv, Answer(score=0), Verdict.SUSPECT)
            db.session.refresh(inv)
            svc.submit_invitation_answer(inv, Answer(score=3))  # confirms: the ORM path stamps it
        db.session.refresh(inv)
        db.session.refresh(other)
        assert inv.responded_at == start and other.responded_at is None
        with time_machine.travel(start + timedelta(hours=1), tick=False):
            svc.submit_invitation_answer(inv, Answer(score=9))
        db.session.refresh(inv)
        db.session.refresh(other)
        assert inv.responded_at == start and other.responded_at is None
        assert _rows()[0].score == 9


def _race(monkeypatch):
    """The lookup before the insert sees no answer: a concurrent request stores its own in between."""
    real, calls = svc._existing, []

    def blind_once(invitation_id, submission_id):
        calls.append((invitation_id, submission_id))
        return None if len(calls) == 1 else real(invitation_id, submission_id)

    monkeypatch.setattr(svc, "_existing", blind_once)
    return calls


def test_an_anonymous_answer_that_loses_a_race_edits_the_winners_row(app, handoffs, monkeypatch):
    with app.app_context():
        survey = make_survey("nps")
        db.session.commit()
        svc.submit_anonymous(survey, "race", Answer(score=4), Channel.LINK)
        bystander, _ = make_invitation(survey)  # an email answer: no submission id
        db.session.commit()
        svc.submit_invitation_answer(bystander, Answer(score=1))
        calls = _race(monkeypatch)
        out = svc.submit_anonymous(survey, "race", Answer(score=8), Channel.LINK)
        row, other = _rows()
        assert calls == [(None, "race"), (None, "race")]
        assert (out.created, out.changed, out.response, row.score, row.edit_count) == (False, True, row, 8, 1)
        assert (other.score, other.edit_count) == (1, 0)


def test_an_invitation_answer_that_loses_a_race_edits_the_winners_row(app, handoffs, monkeypatch):
    with app.app_context():
        survey = make_survey("nps")
        svc.submit_external(survey, Answer(score=5), Channel.API, None, None, None)  # no ids at all
        inv, _ = make_invitation(survey)
        db.session.add(Response(survey_id=inv.survey_id, kind=inv.survey.kind, score=2, invitation_id=inv.id))
        db.session.commit()  # answered, though the invitation does not say so yet
        calls = _race(monkeypatch)
        out = svc.submit_invitation_answer(inv, Answer(score=10))
        other, row = _rows()
        assert (other.score, other.edit_count) == (5, 0)
        assert calls == [(inv.id, None), (inv.id, None)]
        assert (out.created, out.changed, out.response, row.score, row.edit_count) == (
            False,
            True,
            row,
            10,
            1,
        )


def test_a_suspect_save_stores_every_field_of_the_answer(app, handoffs):
    with app.app_context():
        account = make_account()
        inv, _ = make_invitation(make_survey("form"), make_contact(account))
        db.session.commit()
        answer = Answer(
            score=None,
            comment="Crashes on export",
            comment_present=True,
            category=FormCategory.BUG,
            locale="fr",
        )
        svc.submit_invitation_answer(inv, answer, Verdict.SUSPECT)
        [row] = _rows()
        assert (row.survey_id, row.kind, row.channel, row.invitation_id) == (
            inv.survey_id,
            SurveyKind.FORM,
            Channel.EMAIL,
            inv.id,
        )
        assert (row.contact_id, row.account_id, row.respondent_email) == (inv.contact_id, account.id, None)
        assert (row.comment, row.form_category, row.locale) == ("Crashes on export", FormCategory.BUG, "fr")
        assert row.scanner_suspect is True


def test_a_first_answer_with_a_comment_is_stamped_for_tagging(app, handoffs):
    with app.app_context():
        inv, _ = make_invitation(make_survey("nps"))
        db.session.commit()
        before = utcnow()
        svc.submit_invitation_answer(inv, Answer(score=6, comment="Slow", comment_present=True))
        [row] = _rows()
        assert row.analysis_state == AnalysisState.PENDING and row.analysis_attempts == 0
        assert row.analysis_requested_at is not None and row.analysis_requested_at >= before - timedelta(
            seconds=1
        )
        assert row.analysis_requested_at == row.created_at
        assert handoffs == {"tagging": [[row.id]], "rules": []}


def test_the_scanner_window_includes_its_edge_and_only_this_invitations_clicks(app):
    start = utcnow().replace(microsecond=0)
    with app.app_context():
        survey = make_survey()
        inv, _ = make_invitation(survey)
        neighbour, _ = make_invitation(survey)
        db.session.commit()
        with time_machine.travel(start, tick=False):
            svc.record_click(inv, "score", 2, None)
            svc.record_click(neighbour, "score", 2, None)
        with time_machine.travel(start + SCANNER_WINDOW, tick=False):  # exactly the window later
            assert svc.record_click(inv, "score", 9, None) is True
        flags = {(c.invitation_id, c.score): c.suspected_scanner for c in _clicks()}
        assert flags == {(inv.id, 2): True, (inv.id, 9): True, (neighbour.id, 2): False}
        db.session.refresh(neighbour)
        assert neighbour.scanner_flagged_at is None


def test_a_new_answer_after_erasure_is_a_persons_and_counts(app, handoffs):
    with app.app_context():
        inv, _ = make_invitation(make_survey("nps"))
        inv.responded_at = utcnow() - timedelta(days=1)  # answered once; that answer was erased
        db.session.commit()
        out = svc.submit_invitation_answer(inv, Answer(score=7, locale="fr"))
        [row] = _rows()
        assert (out.created, out.changed, out.response) == (True, True, row)
        assert (row.auto_saved_at, row.scanner_suspect, row.channel, row.locale) == (
            None,
            False,
            Channel.EMAIL,
            "fr",
        )
        assert row.respondent_email is None and row.edit_count == 0


def test_an_anonymous_suspect_save_never_changes_the_stored_answer_and_a_page_save_stays_unconfirmed(
    app, handoffs
):
    with app.app_context():
        survey = make_survey("nps")
        db.session.commit()
        svc.submit_anonymous(survey, "bot", Answer(score=0), Channel.LINK, Verdict.SUSPECT)
        again = svc.submit_anonymous(survey, "bot", Answer(score=10), Channel.LINK, Verdict.SUSPECT)
        assert (again.created, again.changed, _rows()[0].score) == (False, False, 0)
        svc.submit_anonymous(survey, "page", Answer(score=3), Channel.LINK, Verdict.AUTO)
        edit = svc.submit_anonymous(survey, "page", Answer(score=4), Channel.LINK, Verdict.AUTO)
        page = _rows()[1]
        assert (edit.changed, page.score) == (True, 4) and page.auto_saved_at is not None
