"""Score-only answers ask for the follow-up rules in id buckets shared with a job still waiting (as tagging
does), not one job per answer; a bucket's job is idempotent and only places the answers that match."""

from __future__ import annotations

import sqlalchemy as sa

from app import queue
from app.extensions import db
from app.followups import services
from app.models import FollowUpEvent, followup_responses
from tests.factories import make_response
from tests.followups.conftest import answer, followups


def test_a_burst_of_answers_asks_for_one_job_per_id_bucket(admin, monkeypatch):
    calls = []

    def coalesced(name, ids, key, window=0):
        assert window == services.RULES_WINDOW
        calls.append((name, ids, key))
        return len(calls) == 1  # the later buckets find a job waiting

    monkeypatch.setattr(queue, "enqueue_coalesced", coalesced)
    size = services.RULES_BUCKET
    assert services.enqueue_rules([3, 1, size - 1, size, 3 * size + 5]) is True
    assert [key for _, _, key in calls] == [f"followup-rules-{size}-{b}" for b in (0, 1, 3)]
    assert {name for name, _, _ in calls} == {services.APPLY_JOB}
    assert calls[1][1] == list(range(size, 2 * size))
    assert services.enqueue_rules([]) is False


def test_score_only_answers_go_through_the_coalesced_bucket(admin, monkeypatch):
    keys = []
    real = queue.enqueue_coalesced

    def recording(name, ids, key, window=0):
        keys.append(key)
        return real(name, ids, key=key, window=window)

    monkeypatch.setattr(queue, "enqueue_coalesced", recording)
    response = answer(2)
    assert keys[-1] == f"followup-rules-{services.RULES_BUCKET}-{response.id // services.RULES_BUCKET}"
    [followup] = followups()
    assert followup.response_id == response.id


def test_a_bucket_job_run_twice_places_each_matching_answer_once(admin, monkeypatch):
    monkeypatch.setattr(services, "enqueue_rules", lambda ids: False)  # the jobs are run by hand below
    detractor = make_response(score=1, analysis_state="skipped")
    promoter = make_response(score=10, analysis_state="skipped")
    waiting = make_response(score=9, comment="the export keeps failing", analysis_state="pending")
    db.session.commit()
    size = services.RULES_BUCKET
    buckets = sorted({r.id // size for r in (detractor, promoter, waiting)})
    for _ in range(2):
        for bucket in buckets:
            services.apply_rules(list(range(bucket * size, (bucket + 1) * size)))
    [followup] = followups()
    assert followup.response_id == detractor.id
    linked = db.session.execute(sa.select(followup_responses.c.response_id)).scalars().all()
    assert linked == [detractor.id]
    assert db.session.execute(sa.select(sa.func.count()).select_from(FollowUpEvent)).scalar() == 1
