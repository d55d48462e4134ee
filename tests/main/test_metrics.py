"""The standard metrics and their margins of error, by hand and through the SQL aggregates."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.metrics import SMALL_SAMPLE, Z95, Score, mean, nps, score_aggregates, share
from app.models import Response
from tests.factories import make_response, make_survey


def test_nps_is_promoters_minus_detractors_with_its_margin():
    s = nps(promoters=50, passives=30, detractors=20)
    assert s.value == pytest.approx(30.0)
    assert s.n == 100
    # variance of the difference of two shares of one sample: p + d - (p - d)^2
    assert s.moe == pytest.approx(100 * Z95 * math.sqrt((0.5 + 0.2 - 0.09) / 100))
    assert not s.small_sample


def test_nps_extremes_and_empty():
    assert nps(10, 0, 0).value == 100 and nps(10, 0, 0).moe == 0
    assert nps(0, 0, 10).value == -100
    assert nps(0, 0, 0) == Score(None, 0, None)
    one = nps(1, 0, 0)
    assert one.value == 100 and one.moe is None and one.small_sample


def test_share_and_mean():
    s = share(40, 50)
    assert s.value == pytest.approx(80.0)
    assert s.moe == pytest.approx(100 * Z95 * math.sqrt(0.8 * 0.2 / 50))
    assert share(0, 0).value is None
    assert share(1, 1).moe is None
    # 2, 4, 6: mean 4, sample sd 2
    m = mean(12, 4 + 16 + 36, 3)
    assert m.value == pytest.approx(4.0)
    assert m.moe == pytest.approx(Z95 * 2 / math.sqrt(3))
    assert mean(5, 25, 1) == Score(5.0, 1, None)
    assert mean(0, 0, 0).value is None
    assert Score(1.0, SMALL_SAMPLE - 1, None).small_sample
    assert not Score(1.0, SMALL_SAMPLE, None).small_sample


def test_sql_aggregates_count_the_bands(db_session):
    survey = make_survey("nps")
    for score in (0, 6, 7, 8, 9, 10, 10):
        make_response(survey, score=score)
    row = db.session.execute(
        sa.select(*score_aggregates(Response.score)).where(Response.survey_id == survey.id)
    ).one()
    assert (row.n, row.promoters, row.passives, row.detractors) == (7, 3, 2, 2)
    assert row.total == 50 and row.total_sq == 0 + 36 + 49 + 64 + 81 + 100 + 100
    assert nps(row.promoters, row.passives, row.detractors).value == pytest.approx(100 * 1 / 7)
