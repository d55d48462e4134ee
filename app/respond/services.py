"""Respondent use cases: link clicks (telling people from mail scanners), answers, feedback forms, and
unsubscribes. Each answer is committed first (analysis ``pending``) and handed to tagging after commit.

Idempotency (RELIABILITY 2): one response per invitation (unique constraint) and per anonymous submission
id (unique). A concurrent duplicate insert hits the constraint, is rolled back to its savepoint, and
turns into an update of the row that won: never a second row, never a 500. A replay with the same
values changes nothing; a different score or comment is an intended edit (``edit_count`` + 1).

An invitation's first answer, the path every email click takes, is written by Core statements in one
transaction: ``INSERT … ON CONFLICT (invitation_id) DO NOTHING RETURNING id`` and the invitation's
``responded_at``; no ORM object, no savepoint. On PostgreSQL both are one statement (data-modifying
CTEs) run on an autocommit connection: it is its own transaction, so the answer costs the invitation's
read and that statement — two round trips (a third, a ping, only when the pooled connection sat idle for
a while: app/database.py), no BEGIN or COMMIT. When the insert finds
the row already there (a replay, a double click, a concurrent post), the answer becomes an edit of that
row, as above. When a webhook endpoint exists, the first answer takes the ORM path too, which writes the
``response.created`` event in the answer's transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache

import sqlalchemy as sa

from app.analysis import services as analysis
from app.database import (
    DriverStatement,
    end_autocommit,
    insert_ignoring_conflict,
    is_unique_violation,
    sqlite_write,
)
from app.extensions import db
from app.followups import services as followups
from app.mail import services as mail
from app.models import (
    AnalysisState,
    Channel,
    FormCategory,
    Invitation,
    LinkClick,
    Response,
    Survey,
    SurveyKind,
    utcnow,
)
from app.respond.suspect import (
    INCLUDE_SUSPECTS,
    SCANNER_HOLD,
    SCANNER_WINDOW,
    Verdict,
    suspect_recent_auto_saves,
)
from app.surveys.queries import InvitationRef, invitation_ref
from app.webhooks import services as webhooks

__all__ = ["SCANNER_HOLD", "SCANNER_WINDOW", "Verdict"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """What a respondent posted; ``comment_present`` False leaves an existing comment alone."""

    score: int | None
    comment: str | None = None
    comment_present: bool = False
    category: FormCategory | None = None
    email: str | None = None
    account_hint: str | None = None
    locale: str = "en"
    opened_at: datetime | None = None  # when the answering page was rendered (from its form key)


@dataclass(frozen=True)
class Submission:
    """The stored response and what the call did to it (``score`` read before commit expired the row).

    ``response`` is None when the answer was inserted by the Core path (no ORM object was made)."""

    response: Response | None
    created: bool
    changed: bool
    score: int | None = None
    response_id: int | None = None


def record_click(invitation: Invitation, kind: str, score: int | None, user_agent: str | None) -> bool:
    """Log a GET of an email link; flag the invitation as scanned when the pattern is not a person's."""
    now = utcnow()
    suspected = kind == "hidden"
    if kind == "score" and score is not None:
        other = db.session.execute(
            sa.select(LinkClick.id).where(
                LinkClick.invitation_id == invitation.id,
                LinkClick.kind == "score",
                LinkClick.score != score,
                LinkClick.created_at >= now - SCANNER_WINDOW,
            )
        ).first()
        suspected = other is not None
    db.session.add(
        LinkClick(
            invitation_id=invitation.id,
            kind=kind,
            score=score,
            user_agent=(user_agent or "")[:300] or None,
            suspected_scanner=suspected,
            created_at=now,
        )
    )
    invitation.click_count = (invitation.click_count or 0) + 1
    invitation.first_clicked_at = invitation.first_clicked_at or now
    invitation.last_clicked_at = now
    if suspected:
        invitation.scanner_flagged_at = now
        db.session.execute(
            sa.update(LinkClick)
            .where(LinkClick.invitation_id == invitation.id, LinkClick.created_at >= now - SCANNER_WINDOW)
            .values(suspected_scanner=True)
        )
        # An automatic save just before this, with no person's action since, was the scanner's page too.
        if suspect_recent_auto_saves(invitation.id, now):
            invitation.responded_at = None
    db.session.commit()
    return suspected


def _apply(response: Response, answer: Answer) -> tuple[bool, bool]:
    """Apply an edit in place; returns (changed, comment_changed)."""
    changed = comment_changed = False
    if answer.score is not None and response.score != answer.score:
        response.score = answer.score
        changed = True
    if answer.comment_present and response.comment != answer.comment:
        response.comment = answer.comment
        changed = comment_changed = True
    if answer.category is not None and response.form_category != answer.category:
        response.form_category = answer.category
        changed = True
    if changed and _is_edit(response, answer):
        response.edit_count = (response.edit_count or 0) + 1
    return changed, comment_changed


def _is_edit(response: Response, answer: Answer) -> bool:
    """A change counts as an edit only from a page opened after the answer existed: completing the first
    answer on the page that created it (auto-saved score, then comment, then Save) is no edit."""
    created = response.created_at
    if answer.opened_at is None or created is None:
        return True
    if created.tzinfo is None:
        created = created.replace(tzinfo=answer.opened_at.tzinfo)
    return answer.opened_at > created


def with_opened_at(answer: Answer, opened_at: datetime | None) -> Answer:
    """The answer, stamped with when its page was rendered."""
    return replace(answer, opened_at=opened_at)


def _existing(invitation_id: int | None, submission_id: str | None) -> Response | None:
    """The stored answer of an invitation or submission, a suspect one included (the answer path edits or
    confirms it: a second row would break the one-answer rule)."""
    column, value = (
        (Response.invitation_id, invitation_id) if invitation_id else (Response.submission_id, submission_id)
    )
    return db.session.execute(
        sa.select(Response).where(column == value).execution_options(**{INCLUDE_SUSPECTS: True})
    ).scalar_one_or_none()


def invitation_response(invitation: Invitation) -> Response | None:
    """The counted response an invitation already has, if any (a suspect one is not shown as the answer)."""
    return db.session.execute(
        sa.select(Response).where(Response.invitation_id == invitation.id)
    ).scalar_one_or_none()


def _store(
    new: Response, answer: Answer, first: bool = False, verdict: Verdict = Verdict.HUMAN
) -> Submission:
    """Insert ``new`` or, when its invitation/submission already answered, edit that row instead.

    ``first`` says no answer is known yet (the invitation has no ``responded_at``): the insert is tried
    straight away and the unique constraint catches a concurrent one, saving a query on the common path.
    By ``verdict`` (app/respond/suspect.py): a suspect save never changes a stored answer; a person's action
    confirms it, and a suspect answer that a person's action or page saves counts from now on (reported as
    created: it is the first answer that counts).
    """
    existing = None if first else _existing(new.invitation_id, new.submission_id)
    if existing is None:
        analysis.request_analysis(new)
        try:
            with db.session.begin_nested():
                db.session.add(new)
            return Submission(new, True, True)
        except sa.exc.IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            existing = _existing(new.invitation_id, new.submission_id)
            if existing is None:  # pragma: no cover - the winner's row must be visible after the conflict
                raise
    if verdict == Verdict.SUSPECT:
        return Submission(existing, False, False)
    counted_now = existing.scanner_suspect
    changed, comment_changed = _apply(existing, answer)
    if verdict == Verdict.HUMAN:
        existing.auto_saved_at = None  # confirmed: a later scanner signal no longer touches it
    if counted_now:  # it counts from now on; unconfirmed still if only the page saved it
        existing.scanner_suspect = False
        if verdict == Verdict.AUTO:
            existing.auto_saved_at = utcnow()
    if comment_changed:
        analysis.request_analysis(existing)
    return Submission(existing, counted_now, changed or counted_now)


def _finish(outcome: Submission, analyse: bool) -> Submission:
    """Commit, then hand the response to tagging (best effort, after commit: rule 1)."""
    response = outcome.response
    response_id, score, pending = (
        response.id,
        response.score,
        response.analysis_state == AnalysisState.PENDING,
    )
    if response.scanner_suspect:  # counted nowhere: no webhook, no tagging, no follow-up rule
        db.session.commit()
        return Submission(response, outcome.created, outcome.changed, score, response_id)
    if outcome.created or outcome.changed:  # in this transaction: the outbox row commits with the answer
        event = "response.created" if outcome.created else "response.updated"
        webhooks.emit(event, webhooks.response_data(response), response.contact_id, response_id)
    db.session.commit()
    if analyse:
        _hand_off(response_id, tag=pending)
    return Submission(response, outcome.created, outcome.changed, score, response_id)


def _hand_off(response_id: int, tag: bool) -> None:
    """After commit: tagging for a comment (follow-up rules run once it is analysed), else the score rules
    now. The answer is stored: a hand-off that fails is the sweeper's to repeat, never the respondent's
    500."""
    try:
        if tag:
            analysis.enqueue_tagging([response_id])
        else:
            followups.enqueue_rules([response_id])
    except Exception:
        log.exception("answer %s stored, its hand-off failed; the sweeper will pick it up", response_id)


_FIRST_COLUMNS = (
    "survey_id",
    "kind",
    "channel",
    "invitation_id",
    "contact_id",
    "account_id",
    "score",
    "comment",
    "form_category",
    "locale",
    "edit_count",
    "created_at",
    "updated_at",
    "analysis_state",
    "analysis_requested_at",
    "analysis_attempts",
    "analysis_error",
    "analysis",
    "scanner_suspect",
    "auto_saved_at",
)


@cache
def _statements(dialect: str) -> tuple[sa.Executable, sa.Executable | None]:
    """The answer path's statements, built once per backend (only their parameters change).

    PostgreSQL: one statement, the insert and the invitation's ``responded_at`` in data-modifying CTEs
    (one round trip). SQLite, which has no such CTEs and no round trips: the insert, then the update.
    """
    responses = Response.__table__
    values = {name: sa.bindparam(f"p_{name}", type_=responses.c[name].type) for name in _FIRST_COLUMNS}
    insert = insert_ignoring_conflict(dialect, responses, "invitation_id").values(values)
    insert = insert.returning(responses.c.id)
    now = sa.bindparam("p_created_at", type_=Invitation.__table__.c.responded_at.type)
    invitation_id = sa.bindparam("p_invitation_id", type_=sa.Integer())
    responded = sa.update(Invitation).where(Invitation.id == invitation_id, Invitation.responded_at.is_(None))
    if dialect != "postgresql":
        return insert, responded.values(responded_at=now, updated_at=now)
    answered = insert.cte("answered")
    responded = responded.where(sa.exists(sa.select(answered.c.id))).values(responded_at=now, updated_at=now)
    return sa.select(answered.c.id).add_cte(responded.cte("responded")), None


@cache
def _driver_statements(dialect: sa.Dialect) -> tuple[DriverStatement, DriverStatement]:
    """SQLite's two statements of the answer path, compiled once for its driver."""
    insert, responded = _statements(dialect.name)
    return DriverStatement.compile(insert, dialect), DriverStatement.compile(responded, dialect)


def _write_first_sqlite(engine: sa.Engine, values: dict) -> int | None:
    """SQLite, outside any session transaction: the insert and ``responded_at`` in one short
    ``BEGIN IMMEDIATE`` transaction on the driver's cursor (``app.database.sqlite_write``)."""
    insert, responded = _driver_statements(engine.dialect)

    def steps(run) -> int | None:
        rows = run(insert, values)
        if rows:
            run(responded, values)
        return rows[0][0] if rows else None

    return sqlite_write(engine, steps)


def _mark_responded(invitation_id: int, now: datetime) -> None:
    db.session.connection().execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.responded_at.is_(None))
        .values(responded_at=now, updated_at=now)
    )


def _insert_first(
    invitation: InvitationRef, kind: SurveyKind, answer: Answer, auto: bool = False
) -> int | None:
    """Insert an invitation's first answer and set its ``responded_at``; None when it already has an
    answer (nothing is written then). ``auto``: the page's automatic save (counted, unconfirmed)."""
    now = utcnow()
    values = {
        "p_survey_id": invitation.survey_id,
        "p_kind": kind,
        "p_channel": Channel.EMAIL,
        "p_invitation_id": invitation.id,
        "p_contact_id": invitation.contact_id,
        "p_account_id": invitation.account_id,
        "p_score": answer.score,
        "p_comment": answer.comment,
        "p_form_category": answer.category,
        "p_locale": answer.locale,
        "p_edit_count": 0,
        "p_created_at": now,
        "p_updated_at": now,
        **{f"p_{k}": v for k, v in analysis.analysis_columns(answer.comment, now).items()},
        "p_analysis": {},
        "p_scanner_suspect": False,
        "p_auto_saved_at": now if auto else None,
    }
    session = db.session()
    bind = session.get_bind()
    if bind.dialect.name == "sqlite" and isinstance(bind, sa.Engine) and not session.in_transaction():
        return _write_first_sqlite(bind, values)
    conn = session.connection()
    insert, responded = _statements(conn.dialect.name)
    response_id = conn.execute(insert, values).scalar()
    if response_id is not None and responded is not None:
        conn.execute(responded, values)
    return response_id


def submit_invitation_answer(
    invitation: Invitation, answer: Answer, verdict: Verdict = Verdict.HUMAN
) -> Submission:
    """Record (or edit) the answer of an invitation's contact, loaded as an ORM object (commands, tests,
    other features); the returned submission carries the stored response."""
    outcome = answer_invitation(invitation_ref(invitation), invitation.survey.kind, answer, verdict)
    if outcome.response is not None:
        return outcome
    response = db.session.execute(
        sa.select(Response)
        .where(Response.id == outcome.response_id)
        .execution_options(**{INCLUDE_SUSPECTS: True})
    ).scalar_one()
    return Submission(response, outcome.created, outcome.changed, outcome.score, outcome.response_id)


def answer_invitation(
    invitation: InvitationRef, kind: SurveyKind, answer: Answer, verdict: Verdict = Verdict.HUMAN
) -> Submission:
    """Record (or edit) the answer of an invitation's contact: the first answer by the Core path, a later
    one (or one that lost a race) as an edit of the stored row. The answer endpoint's way: the submission
    of a first answer carries only the response's id (``response`` is None). A suspect save
    (``verdict``) is stored apart from the counts and leaves the invitation unanswered."""
    if verdict == Verdict.HOLD:
        raise ValueError("a held automatic save is not stored")
    suspect = verdict == Verdict.SUSPECT
    # With a webhook endpoint about, the ORM path below writes the event in the answer's transaction.
    if invitation.responded_at is None and not suspect and not invitation.webhooks:
        response_id = _insert_first(invitation, kind, answer, auto=verdict == Verdict.AUTO)
        if response_id is not None:
            db.session.commit()  # on PostgreSQL's autocommit connection the statement committed already
            _hand_off(response_id, tag=bool(answer.comment))
            return Submission(None, True, True, answer.score, response_id)
    end_autocommit(db.session())  # the edit path's statements need a transaction of their own
    new = Response(
        survey_id=invitation.survey_id,
        kind=kind,
        channel=Channel.EMAIL,
        invitation_id=invitation.id,
        contact_id=invitation.contact_id,
        account_id=invitation.account_id,
        score=answer.score,
        comment=answer.comment,
        form_category=answer.category,
        respondent_email=None,
        locale=answer.locale,
        scanner_suspect=suspect,
        auto_saved_at=utcnow() if verdict != Verdict.HUMAN else None,
    )
    outcome = _store(new, answer, verdict=verdict)
    if not outcome.response.scanner_suspect:
        _mark_responded(invitation.id, utcnow())
    return _finish(outcome, outcome.created or outcome.changed)


def submit_anonymous(
    survey: Survey, submission_id: str, answer: Answer, channel: Channel, verdict: Verdict = Verdict.HUMAN
) -> Submission:
    """Record (or edit) an answer given through a survey's public link or feedback form (``verdict``: see
    app/respond/suspect.py; an automated browser's automatic save is kept apart from the counts)."""
    new = Response(
        survey_id=survey.id,
        kind=survey.kind,
        channel=channel,
        submission_id=submission_id,
        score=answer.score,
        comment=answer.comment,
        form_category=answer.category,
        respondent_email=answer.email,
        account_hint=answer.account_hint,
        locale=answer.locale,
        scanner_suspect=verdict == Verdict.SUSPECT,
        auto_saved_at=utcnow() if verdict != Verdict.HUMAN else None,
    )
    outcome = _store(new, answer, verdict=verdict)
    return _finish(outcome, outcome.created or outcome.changed)


def submit_external(
    survey: Survey,
    answer: Answer,
    channel: Channel,
    contact_id: int | None,
    account_id: int | None,
    submission_id: str | None,
) -> Submission:
    """Record an answer gathered by another system (the REST API): the same rules as every other channel,
    with ``submission_id`` (the caller's own id) making a resend an edit of the same row."""
    new = Response(
        survey_id=survey.id,
        kind=survey.kind,
        channel=channel,
        submission_id=submission_id,
        contact_id=contact_id,
        account_id=account_id,
        score=answer.score,
        comment=answer.comment,
        form_category=answer.category,
        respondent_email=answer.email,
        locale=answer.locale,
    )
    outcome = _store(new, answer) if submission_id else _store(new, answer, first=True)
    return _finish(outcome, outcome.created or outcome.changed)


def unsubscribe(invitation: Invitation) -> bool:
    """Stop surveys to the invitation's contact and suppress the address; True when it changed anything."""
    contact = invitation.contact
    if contact is None:
        return False
    changed = contact.unsubscribed_at is None
    if changed:
        contact.unsubscribed_at = utcnow()
        webhooks.emit("contact.unsubscribed", webhooks.contact_data(contact), contact.id)
    mail.suppress(contact.email, "unsubscribe")
    db.session.commit()
    return changed
