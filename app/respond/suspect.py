"""Answers a mail scanner may have made (RELIABILITY 3, issue 17): the rule, and the one place that keeps
them out of every count.

Link scanners (Microsoft Safe Links "detonation" and the like) open every link of an email in a real
browser that runs the page's script, so the score page's automatic save could answer for them. The rule:

- A person's action (a press, a key, a change of the score, the Save button, a post without the page's
  script) is a person: the answer counts and is confirmed.
- The page's automatic save, made once the page is visible and a person stayed a moment or interacted:
  - held (409, nothing stored) while the invitation is flagged as scanned (the hidden link, or two score
    links within seconds; ``SCANNER_HOLD`` after the flag);
  - kept but *suspect* when the browser says it is automated (``navigator.webdriver``);
  - else kept and counted, but unconfirmed (``auto_saved_at``): a scanner signal for its invitation within
    ``SCANNER_HOLD`` after it makes it suspect after all.
- A suspect answer is counted nowhere — not in metrics, rollups (their triggers skip it), health, the
  explorer, exports or the API — and sets no ``responded_at``, sends no webhook and runs no follow-up rule,
  until a person's action on the page confirms it (then it counts, as a new answer).

Every ORM read of ``Response`` is filtered here (a ``do_orm_execute`` hook adding the criterion to each
SELECT, joins and relationship loads included); code that must see suspect answers (the answer path
itself, data protection) asks with ``.execution_options(include_scanner_suspects=True)``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from app.extensions import db
from app.models import Invitation, Response

INCLUDE_SUSPECTS = "include_scanner_suspects"  # execution option: this read sees suspect answers too
SCANNER_WINDOW = timedelta(seconds=10)  # two different score links within this: not a person
SCANNER_HOLD = timedelta(seconds=60)  # a scanner flag and an automatic save this close belong together


class Verdict(StrEnum):
    """What an answer post is, by the rule above."""

    HUMAN = "human"  # a person's action: counted and confirmed
    AUTO = "auto"  # the page's automatic save: counted, unconfirmed
    SUSPECT = "suspect"  # an automatic save from an automated browser: kept, counted nowhere
    HOLD = "hold"  # an automatic save right after a scanner flag: not stored, the page asks for a press


def verdict(auto: bool, webdriver: bool, flagged_at: datetime | None, now: datetime) -> Verdict:
    """The rule: ``auto`` is the page's automatic save (no person's action yet), ``webdriver`` what the
    browser said of itself, ``flagged_at`` when the invitation was last flagged as scanned."""
    if not auto:
        return Verdict.HUMAN
    if flagged_at is not None and now - flagged_at < SCANNER_HOLD:
        return Verdict.HOLD
    return Verdict.SUSPECT if webdriver else Verdict.AUTO


def suspect_recent_auto_saves(invitation_id: int, now: datetime) -> int:
    """A scanner signal for an invitation: its unconfirmed automatic save of the last ``SCANNER_HOLD``
    becomes suspect (uncounted) and the invitation unanswered again. The caller commits."""
    marked = db.session.execute(
        sa.update(Response)
        .where(
            Response.invitation_id == invitation_id,
            Response.scanner_suspect.is_(False),
            Response.auto_saved_at.is_not(None),
            Response.auto_saved_at >= now - SCANNER_HOLD,
        )
        .values(scanner_suspect=True),
        execution_options={"synchronize_session": False},
    ).rowcount
    if marked:
        db.session.execute(
            sa.update(Invitation).where(Invitation.id == invitation_id).values(responded_at=None),
            execution_options={"synchronize_session": False},
        )
    return marked


# Made once (options are immutable): the criterion every SELECT of responses gets.
_COUNTED_ONLY = with_loader_criteria(Response, Response.scanner_suspect == sa.false(), include_aliases=True)


@event.listens_for(Session, "do_orm_execute")
def _hide_suspect_answers(state: ORMExecuteState) -> None:
    """Every ORM SELECT sees only answers that count, unless it asks for suspect ones too."""
    if (
        state.is_select
        and not state.is_column_load
        and not state.is_relationship_load
        and not state.execution_options.get(INCLUDE_SUSPECTS, False)
    ):
        state.statement = state.statement.options(_COUNTED_ONLY)
