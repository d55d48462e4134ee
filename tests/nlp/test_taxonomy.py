from __future__ import annotations

import json

import pytest

from nlp import Taxonomy, TaxonomyError, TopicSpec


def test_default_taxonomy_has_the_saas_topics():
    tax = Taxonomy.default()
    roots = {t.id for t in tax.children(None)}
    for topic in (
        "onboarding",
        "billing",
        "pricing",
        "performance",
        "reliability",
        "support",
        "integrations",
        "reporting",
        "usability",
        "documentation",
        "security",
        "data",
        "mobile",
        "notifications",
        "feature_requests",
        "account_management",
        "training",
    ):
        assert topic in roots
    assert {"billing.invoices", "billing.payments", "billing.refunds"} <= {
        t.id for t in tax.children("billing")
    }
    assert all(t.phrases for t in tax)


def test_round_trip_is_json_able_and_equal():
    tax = Taxonomy.default()
    d = json.loads(json.dumps(tax.to_dict()))
    assert Taxonomy.from_dict(d) == tax
    assert Taxonomy.from_dict(d).fingerprint() == tax.fingerprint()


def test_fingerprint_changes_when_a_phrase_is_edited():
    a = Taxonomy([TopicSpec("1", "Billing", phrases=["invoice"])])
    b = Taxonomy([TopicSpec("1", "Billing", phrases=["invoice", "receipt"])])
    assert a.fingerprint() != b.fingerprint()


@pytest.mark.parametrize(
    "topics",
    [
        [TopicSpec("1", "A"), TopicSpec("1", "B")],
        [TopicSpec("1", "A", parent_id="9")],
        [TopicSpec("1", "A", parent_id="2"), TopicSpec("2", "B", parent_id="1")],
        [TopicSpec("", "A")],
    ],
)
def test_invalid_taxonomies_are_rejected(topics):
    with pytest.raises(TaxonomyError):
        Taxonomy(topics)


def test_ancestors_and_root():
    tax = Taxonomy(
        [
            TopicSpec("3", "Billing"),
            TopicSpec("12", "Invoices", parent_id="3"),
            TopicSpec("13", "Late invoices", parent_id="12"),
        ]
    )
    assert tax.ancestors("13") == ["12", "3"]
    assert tax.root_of("13") == "3"


def test_from_dict_accepts_a_bare_list_and_ignores_unknown_keys():
    tax = Taxonomy.from_dict([{"id": 5, "name": "Speed", "phrases": ["slow"], "colour": "red"}])
    assert tax.get("5").phrases == ["slow"]


@pytest.mark.parametrize("pattern", ["(slow|", "slow)", "... slow", "slow ...", "()", "(a|)"])
def test_bad_patterns_are_rejected(pattern):
    with pytest.raises(TaxonomyError):
        Taxonomy([TopicSpec("1", "X", patterns=[pattern])])
