"""The standard metrics and their margins of error, by hand and through the SQL aggregates."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.metrics import (
    SMALL_SAMPLE,
    Z95,
    NpsCounts,
    Score,
    mean,
    nps,
    nps_change,
    nps_interval,
    score_aggregates,
    share,
    shrunk_nps,
)
from app.models import Response
from tests.factories import make_response, make_survey


@pytest.mark.parametrize(
    ("counts", "centre", "half"),
    [((50, 30, 20), 29.1, 15.1), ((5, 0, 0), 62.5, 45.0), ((1, 0, 0), 25.0, 73.5)],
)
def test_nps_interval_is_adjusted_wald_with_known_answers(counts, centre, half):
    got_centre, got_half = nps_interval(*counts)
    assert round(got_centre, 1) == centre and round(got_half, 1) == half
    s = nps(*counts)
    assert s.low == pytest.approx(max(-100, got_centre - got_half))
    assert s.high == pytest.approx(min(100, got_centre + got_half))


def test_nps_value_is_the_plain_figure_and_never_a_zero_width_interval():
    s = nps(promoters=50, passives=30, detractors=20)
    assert s.value == pytest.approx(30.0) and s.n == 100 and not s.small_sample
    every_promoter = nps(10, 0, 0)
    assert every_promoter.value == 100 and every_promoter.moe > 10
    every_detractor = nps(0, 0, 10)
    assert every_detractor.value == -100 and every_detractor.high > -90 and every_detractor.low == -100
    assert nps(0, 0, 0) == Score(None, 0)
    one = nps(1, 0, 0)
    assert one.value == 100 and one.small_sample and one.flagged


def test_a_change_is_beyond_noise_only_past_z_1_96():
    change = nps_change(NpsCounts(40, 30, 30), NpsCounts(50, 30, 20))
    assert round(change.delta, 1) == 19.4 and round(change.se, 1) == 11.2 and round(change.z, 2) == 1.73
    assert not change.beyond_noise and change.words() == "up 19, within noise"
    big = nps_change(NpsCounts(200, 300, 500), NpsCounts(500, 300, 200))
    assert big.beyond_noise and big.words().startswith("up 60, beyond noise")
    assert nps_change(NpsCounts(50, 30, 20), NpsCounts(40, 30, 30)).words() == "down 19, within noise"
    assert nps_change(NpsCounts(0, 0, 0), NpsCounts(1, 0, 0)) is None


def test_wilson_interval_for_shares():
    s = share(40, 50)
    assert s.value == pytest.approx(80.0)
    # Wilson 95% for 40/50: 67.0 .. 88.8
    assert round(s.low, 1) == 67.0 and round(s.high, 1) == 88.8
    everyone = share(5, 5)
    assert everyone.high == 100 and everyone.low == pytest.approx(56.55, abs=0.01)
    assert share(0, 5).low == 0 and share(0, 5).high > 40
    assert share(0, 0).value is None


def test_mean_uses_student_t_below_thirty_answers():
    # 2, 4, 6: mean 4, sample sd 2, t(0.975, 2) = 4.303
    m = mean(12, 4 + 16 + 36, 3)
    assert m.value == pytest.approx(4.0)
    assert m.moe == pytest.approx(4.302653 * 2 / math.sqrt(3), rel=1e-5)
    big = mean(4 * 40, 40 * 16 + 40 * 4 * 2, 40)  # not constant: sd > 0
    assert big.moe == pytest.approx(Z95 * math.sqrt(((40 * 16 + 320) - 40 * 16) / 39 / 40), rel=1e-6)
    assert mean(5, 25, 1) == Score(5.0, 1)
    assert mean(0, 0, 0).value is None
    assert Score(1.0, SMALL_SAMPLE - 1).small_sample
    assert not Score(1.0, SMALL_SAMPLE).small_sample


def test_flagged_when_few_answers_or_a_wide_margin():
    assert not nps(500, 300, 200).flagged
    assert nps(20, 5, 10).flagged  # n = 35 but the margin is over 20 points
    assert not Score(50.0, 40, 45.0, 55.0).flagged


def test_shrinking_pulls_a_small_account_toward_its_tier():
    tier = NpsCounts(60, 20, 20)  # tier NPS +40
    one_detractor = shrunk_nps(NpsCounts(0, 0, 1), tier)
    assert one_detractor == pytest.approx(100 * (0 + 6 - 1 - 2) / 11)  # not -100
    assert shrunk_nps(NpsCounts(0, 0, 0), tier) == pytest.approx(40.0)
    many = shrunk_nps(NpsCounts(0, 0, 1000), tier)
    assert many == pytest.approx(100 * (6 - 1000 - 2) / 1010)
    assert shrunk_nps(NpsCounts(0, 0, 0), NpsCounts(0, 0, 0)) is None


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


def test_sql_aggregates_count_csat_satisfied_as_4_and_5_only(db_session):
    survey = make_survey("csat")
    for score in (1, 2, 3, 3, 4, 5):
        make_response(survey, score=score)
    row = db.session.execute(
        sa.select(*score_aggregates(Response.score)).where(Response.survey_id == survey.id)
    ).one()
    assert (row.n, row.csat_hits) == (6, 2)  # a neutral 3 is not satisfied; a 4 is
    assert share(row.csat_hits, row.n).value == pytest.approx(100 * 2 / 6)


def test_sql_aggregates_count_ces_easy_as_5_to_7_only(db_session):
    survey = make_survey("ces")
    for score in (1, 3, 4, 4, 5, 6, 7):
        make_response(survey, score=score)
    row = db.session.execute(
        sa.select(*score_aggregates(Response.score)).where(Response.survey_id == survey.id)
    ).one()
    assert (row.n, row.ces_hits) == (7, 3)  # 4 is neutral; 5, 6, 7 are easy
    assert row.total == 30 and row.total_sq == 1 + 9 + 16 + 16 + 25 + 36 + 49


@pytest.mark.parametrize(
    ("kind", "score", "band"),
    [
        ("nps", 6, "detractor"),
        ("nps", 7, "passive"),
        ("nps", 8, "passive"),
        ("nps", 9, "promoter"),
        ("csat", 2, "negative"),
        ("csat", 3, "neutral"),
        ("csat", 4, "positive"),
        ("ces", 3, "negative"),
        ("ces", 4, "neutral"),
        ("ces", 5, "positive"),
        ("nps", None, None),
    ],
)
def test_score_bands_at_each_edge(kind, score, band):
    from app.models.responses import score_band

    assert score_band(kind, score) == band
