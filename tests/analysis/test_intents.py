"""Intents through the app: stored per response and mention by tagging, shown with evidence, filterable."""

from __future__ import annotations

import sqlalchemy as sa

from app.analysis import services
from app.extensions import db
from app.models import Mention, ResponseIntent
from app.tasks import analysis as jobs
from tests.analysis.conftest import add_responses, state_of
from tests.explorer.conftest import page_ids

CHURN = "The invoices are wrong every month. We're looking at alternatives."
REQUEST = "Please add a dark mode to the dashboard."


def intents_of(response_id: int) -> list[tuple]:
    rows = db.session.execute(
        sa.select(
            ResponseIntent.label, ResponseIntent.sentence_index, ResponseIntent.start, ResponseIntent.end
        )
        .where(ResponseIntent.response_id == response_id)
        .order_by(ResponseIntent.sentence_index, ResponseIntent.label)
    ).all()
    return [tuple(r) for r in rows]


def test_tagging_stores_each_sentences_intents_with_evidence(ctx):
    churn, request = add_responses(CHURN, REQUEST)
    services.enqueue_tagging([churn, request])
    rows = intents_of(churn)
    assert ("churn_risk", 1) in [(r[0], r[1]) for r in rows]
    _, _, start, end = next(r for r in rows if r[0] == "churn_risk")
    assert CHURN[start:end] == "looking at alternatives"
    assert all(0 <= r.score <= 1 for r in state_of(churn).intents)
    assert [r[0] for r in intents_of(request)] == ["feature_request"]
    # the churn threat makes the comment negative (a problem said without sentiment words)
    assert state_of(churn).sentiment_label == "negative"


def test_a_mention_carries_the_strongest_intent_of_its_sentence(ctx):
    (rid,) = add_responses(CHURN)
    services.enqueue_tagging([rid])
    by_sentence = {
        m.start < CHURN.index("We're"): m.intent
        for m in db.session.execute(sa.select(Mention).where(Mention.response_id == rid)).scalars()
    }
    assert by_sentence.get(True) in ("bug_report", "complaint")  # "invoices are wrong every month"


def test_re_tagging_replaces_intents_and_never_duplicates_them(ctx):
    (rid,) = add_responses(CHURN)
    services.enqueue_tagging([rid])
    first = intents_of(rid)
    for _ in range(2):
        services.request_analysis(state_of(rid))
        db.session.commit()
        jobs.analyze_responses([rid])
    assert intents_of(rid) == first
    # an edit that removes the threat removes its intent at the next tagging
    response = state_of(rid)
    response.comment = "The invoices are right now, thanks."
    services.request_analysis(response)
    db.session.commit()
    jobs.analyze_responses([rid])
    assert "churn_risk" not in [r[0] for r in intents_of(rid)]


def test_the_response_page_shows_intents_with_their_evidence(app, viewer_client):
    from app.analysis.taxonomy_store import ensure_taxonomy

    with app.app_context():
        ensure_taxonomy()
        (rid,) = add_responses(CHURN)
        services.enqueue_tagging([rid])
    html = viewer_client.get(f"/responses/{rid}").get_data(as_text=True)
    assert "churn risk" in html
    assert "“looking at alternatives”" in html


def test_the_explorer_filters_by_stored_intents(app, viewer_client):
    from app.analysis.taxonomy_store import ensure_taxonomy

    with app.app_context():
        ensure_taxonomy()
        churn, request, plain = add_responses(CHURN, REQUEST, "Fine.")
        services.enqueue_tagging([churn, request, plain])
    assert page_ids(viewer_client, "intent=churn_risk") == [churn]
    assert page_ids(viewer_client, "intent=feature_request") == [request]


def test_a_new_analyser_version_re_tags_history_once(ctx):
    """Rows tagged by the previous analyser get intents through the existing sweep + re-tag mechanism."""
    from app.analysis import dispatch
    from app.models import Response, RetagRun

    (rid,) = add_responses(CHURN)
    services.enqueue_tagging([rid])
    db.session.execute(sa.delete(ResponseIntent))
    db.session.execute(sa.update(Response).values(analyzer_version="clearloop-nlp/1.1.0;before-intents"))
    db.session.commit()
    dispatch.catch_up_tagging()  # notices the new analyser version; inline: the re-tag runs now
    assert "churn_risk" in [r[0] for r in intents_of(rid)]
    runs = db.session.execute(sa.select(sa.func.count(RetagRun.id))).scalar_one()
    dispatch.catch_up_tagging()
    assert db.session.execute(sa.select(sa.func.count(RetagRun.id))).scalar_one() == runs  # once
