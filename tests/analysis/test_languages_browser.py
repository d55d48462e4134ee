"""In a real browser: German, French and Spanish comments show sentiment, intent and topics on the
response page (issue 16 §3)."""

from __future__ import annotations

import re

import pytest

from app.analysis import services
from app.analysis.taxonomy_store import ensure_taxonomy
from tests.analysis.conftest import add_responses

pytestmark = [pytest.mark.committed, pytest.mark.browser]

COMMENTS = {
    "de": "Die Synchronisation mit Salesforce bricht ständig ab. Wir suchen nach Alternativen.",
    "fr": "Les factures sont fausses chaque mois, c'est vraiment décevant.",
    "es": "La exportación a Excel no funciona y el soporte tarda días en responder.",
}


def test_foreign_comments_show_sentiment_intent_and_topics(app, staff_page):
    with app.app_context():
        ensure_taxonomy()
        ids = dict(zip(COMMENTS, add_responses(*COMMENTS.values()), strict=True))
        services.enqueue_tagging(list(ids.values()))
    page = staff_page("viewer")
    for lang, rid in ids.items():
        page.goto(f"/responses/{rid}")
        facts = " ".join(page.locator("dl.facts").all_inner_texts())
        assert re.search(rf"Language\s+{lang}\b", facts), facts
        assert "not analysed" not in facts
        assert "negative" in facts.lower(), (lang, facts)  # sentiment
        assert "Intent evidence" in facts and ("bug report" in facts or "complaint" in facts), (lang, facts)
        topics = page.locator("#tags-h + table tbody tr")
        assert topics.count() >= 1, lang  # topics from the taxonomy's phrases in that language
