"""Schemathesis against the served spec, through the WSGI app: for every operation, generated requests
(valid and not) never get a 5xx, and every response matches the spec (status, content type, body).
Bounded: a fixed number of examples per operation, no deadline, deterministic seed."""

from __future__ import annotations

import socket

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.extensions import db
from tests.factories import make_contact, make_response, make_survey, make_topic

EXAMPLES = 12  # per operation: ~35 operations, about a minute on a 2-core machine


@pytest.fixture
def seeded(app, make_token, monkeypatch):
    """A few rows to find, and an admin token with every scope; webhook URLs resolve to a public address
    without any network (nothing is delivered: deliveries wait for the sweeper)."""
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443))])
    with app.app_context():
        survey = make_survey("nps")
        contact = make_contact()
        make_topic("Fuzz")
        make_response(survey, score=7, comment="fuzzed", contact_id=contact.id)
        db.session.commit()
    return make_token("admin")


def test_the_api_matches_its_spec(app, seeded):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {seeded}"}
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
        )
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=checks)

        fuzz()
