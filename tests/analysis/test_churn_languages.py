"""Churn risk in German, French and Spanish comments end to end through the app's tagging (analyser 1.9.0):
stored as an intent with its evidence, shown on the response page, filterable in the explorer."""

from __future__ import annotations

import pytest

from app.analysis import services
from tests.analysis.conftest import state_of
from tests.analysis.test_intents import intents_of
from tests.explorer.conftest import page_ids
from tests.factories import make_response, make_survey

COMMENTS = {
    "de": ("Der Export bricht ständig ab. Wir werden unseren Vertrag kündigen.", "Vertrag kündigen"),
    "fr": ("L'export plante sans arrêt. Nous allons résilier notre abonnement.", "résilier notre abonnement"),
    "es": (
        "La exportación falla todo el tiempo. Nos cambiamos a otro proveedor.",
        "cambiamos a otro proveedor",
    ),
}


def _add(lang: str) -> int:
    """A pending response answered in ``lang`` (the survey's locale, as the answer path stores it)."""
    from app.extensions import db

    rid = make_response(make_survey(), comment=COMMENTS[lang][0], locale=lang).id
    db.session.commit()
    return rid


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_tagging_stores_churn_risk_of_a_foreign_comment_with_its_evidence(ctx, lang):
    rid = _add(lang)
    services.enqueue_tagging([rid])
    text, evidence = COMMENTS[lang]
    rows = intents_of(rid)
    churn = [r for r in rows if r[0] == "churn_risk"]
    assert churn and churn[0][1] == 1, rows
    assert text[churn[0][2] : churn[0][3]] == evidence
    response = state_of(rid)
    assert response.language == lang
    assert response.sentiment_label == "negative"  # a threat to leave is a problem


def test_the_response_page_shows_churn_risk_and_the_explorer_filters_it_in_every_language(app, viewer_client):
    from app.analysis.taxonomy_store import ensure_taxonomy

    with app.app_context():
        ensure_taxonomy()
        ids = {lang: _add(lang) for lang in COMMENTS}
        services.enqueue_tagging(list(ids.values()))
    for lang, rid in ids.items():
        html = viewer_client.get(f"/responses/{rid}").get_data(as_text=True)
        assert "churn risk" in html
        assert f"“{COMMENTS[lang][1]}”" in html
    assert sorted(page_ids(viewer_client, "intent=churn_risk")) == sorted(ids.values())
