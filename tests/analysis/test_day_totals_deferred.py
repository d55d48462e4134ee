"""A tagging batch on PostgreSQL defers the day totals' row trigger for its done and skipped rows and adds
their ``analysed`` counts in one grouped statement (issue 18 §3, migration sendtag_0002); on both databases
the per-day tables stay exactly their recomputation, through tagging, a re-tag that finds a comment gone
(done → skipped: one analysed fewer), and plain writes after the batch (the deferral is over)."""

from __future__ import annotations

import sqlalchemy as sa

from app.analysis.dispatch import tag_ids
from app.analysis.pipeline import get_analyzer
from app.analysis.tagging import load_snapshots, tag_snapshots
from app.extensions import db
from app.insights import days_sql
from app.models import AnalysisState, Response
from tests.analysis.conftest import add_responses
from tests.insights.test_query_equivalence import _days_stored_and_recomputed


def _analysed() -> int:
    return db.session.execute(
        sa.text(f"SELECT coalesce(sum(analysed), 0) FROM {days_sql.TOTALS}")
    ).scalar_one()


def _assert_kept() -> None:
    for stored, recomputed in _days_stored_and_recomputed():
        assert stored == recomputed


def _deferral_open() -> bool:
    if db.session.get_bind().dialect.name != "postgresql":
        return False
    setting = f"SELECT current_setting('{days_sql.DEFER_TOTALS_SETTING}', true)"
    return db.session.execute(sa.text(setting)).scalar_one() == "on"


def test_tagging_keeps_the_day_totals_exact_and_ends_its_deferral(ctx):
    before = _analysed()
    ids = add_responses(
        "The dashboard is great and saves us hours every week.",
        "I was charged twice for the invoice, still waiting for a refund.",
        "Support took 5 days to answer.",
        None,  # nothing to tag: skipped, never analysed
        "ok",
    )
    outcome = tag_ids(ids)
    assert not _deferral_open()
    _assert_kept()
    assert _analysed() - before == len(outcome.done) >= 3

    # a re-tag finds the first comment gone: done → skipped, the others done → done
    db.session.execute(sa.update(Response).where(Response.id == ids[0]).values(comment=None))
    db.session.commit()
    snapshots = load_snapshots(ids, retag_version="a newer analyser")
    assert ids[0] in {s.id for s in snapshots}
    result = tag_snapshots(get_analyzer(), snapshots, retag=True)
    assert ids[0] in result.skipped
    assert not _deferral_open()
    _assert_kept()
    assert _analysed() - before == len(outcome.done) - 1

    # after the batch, a plain change of analysis_state counts through the trigger again
    db.session.execute(
        sa.update(Response).where(Response.id == ids[1]).values(analysis_state=AnalysisState.PENDING)
    )
    db.session.flush()
    _assert_kept()
    assert _analysed() - before == len(outcome.done) - 2
