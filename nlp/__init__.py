"""Clearloop NLP: topics, sentiment and keyphrases of customer feedback (a pure library, no Flask).

Public API::

    from nlp import Analyzer, Taxonomy, TopicSpec, TextAnalysis, Mention, Sentiment, SentenceAnalysis
    from nlp import redact, suggest_topics
"""

from __future__ import annotations

from nlp.analyzer import Analyzer, build_pipeline
from nlp.redact import redact
from nlp.suggest import suggest_topics
from nlp.taxonomy import Taxonomy, TaxonomyError, TopicSpec
from nlp.types import Evidence, Mention, SentenceAnalysis, Sentiment, TextAnalysis, TopicSuggestion

__all__ = [
    "Analyzer",
    "Evidence",
    "Mention",
    "SentenceAnalysis",
    "Sentiment",
    "Taxonomy",
    "TaxonomyError",
    "TextAnalysis",
    "TopicSpec",
    "TopicSuggestion",
    "build_pipeline",
    "redact",
    "suggest_topics",
]
