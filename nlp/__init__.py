"""Clearloop NLP: topics, sentiment and keyphrases of customer feedback (a pure library, no Flask).

Public API::

    from nlp import Analyzer, Taxonomy, TopicSpec, TextAnalysis, TopicMention, Sentiment, SentenceAnalysis
    from nlp import Intent, redact, suggest_topics
"""

from __future__ import annotations

from nlp.analyzer import WARM_UP_TEXTS, Analyzer, build_pipeline, ready_for_jobs, warm_up
from nlp.redact import redact
from nlp.suggest import suggest_topics
from nlp.taxonomy import Taxonomy, TaxonomyError, TopicSpec
from nlp.types import (
    Evidence,
    Intent,
    SentenceAnalysis,
    Sentiment,
    TextAnalysis,
    TopicMention,
    TopicSuggestion,
)

__all__ = [
    "WARM_UP_TEXTS",
    "Analyzer",
    "Evidence",
    "Intent",
    "SentenceAnalysis",
    "Sentiment",
    "Taxonomy",
    "TaxonomyError",
    "TextAnalysis",
    "TopicMention",
    "TopicSpec",
    "TopicSuggestion",
    "build_pipeline",
    "ready_for_jobs",
    "redact",
    "suggest_topics",
    "warm_up",
]
