"""A real browser on the response page of a German, a French and a Spanish comment (issue 16): each shows
its language, a sentiment, its intents with their evidence and topics from the default taxonomy's phrases
in that language. No console errors (strict CSP)."""

from __future__ import annotations

import pytest

from app.analysis import services
from app.analysis.taxonomy_store import seed_default_taxonomy
from app.extensions import db
from tests.factories import make_response, make_survey

pytestmark = [pytest.mark.browser, pytest.mark.committed]

COMMENTS = {
    "de": "Der Export nach Excel funktioniert nicht, das ist wirklich ärgerlich.",
    "fr": "Les rapports sont trop lents et l'export plante tout le temps.",
    "es": "La facturación es un desastre y el soporte tarda días en responder.",
}


def test_german_french_and_spanish_comments_show_sentiment_intents_and_topics(staff_page, app):
    page = staff_page("pm")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    with app.app_context():
        seed_default_taxonomy()
        survey = make_survey()
        ids = {
            lang: make_response(survey, score=3, comment=text, locale=lang).id
            for lang, text in COMMENTS.items()
        }
        db.session.commit()
        services.enqueue_tagging(list(ids.values()))

    for lang, rid in ids.items():
        page.goto(f"/responses/{rid}")
        comment = page.get_by_role("region", name="Comment")
        facts = comment.locator("dl.facts").inner_text()
        assert f"Language\n{lang}" in facts or f"Language {lang}" in facts, (lang, facts)
        assert "not analysed" not in facts
        assert "negative" in comment.locator("dd").first.inner_text(), (lang, facts)
        assert "Intent evidence" in facts, (lang, facts)
        who = page.get_by_role("region", name="Who answered").inner_text()
        assert "None found" not in who  # the intents row names at least one intent
        assert any(label in who for label in ("bug report", "complaint")), (lang, who)
        topics = page.get_by_role("region", name="Topics")
        rows = topics.locator("tbody tr")
        assert rows.count() >= 1, lang
        assert "negative" in rows.first.inner_text(), (lang, rows.first.inner_text())
    assert errors == []
