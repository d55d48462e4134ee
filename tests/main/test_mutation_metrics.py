"""Known answers at the edges of app/metrics.py that the mutation run (docs/mutation.md) showed unguarded:
the empty and tiny samples, the t-to-normal switch at 30 answers, floating-point overshoot of the
interval clamps, a change in words around zero, shrinking when the prior has no answers, and the SQL
aggregates on answers without a score and on empty bands."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa
from scipy.stats import t as student_t

from app.extensions import db
from app.metrics import (
    SMALL_SAMPLE,
    Z95,
    Change,
    NpsCounts,
    Score,
    mean,
    nps_change,
    score_aggregates,
    share,
    shrunk_nps,
)
from app.models import Response
from tests.factories import make_response, make_survey


def test_no_answers_means_no_figure_and_a_sample_of_zero():
    assert share(0, 0) == Score(None, 0)
    assert mean(0, 0, 0) == Score(None, 0)


def test_the_mean_of_two_answers_already_has_an_interval():
    # 2 and 4: mean 3, sample sd √2, t(0.975, 1) = 12.706
    m = mean(6, 4 + 16, 2)
    assert m.value == 3.0
    assert m.moe == pytest.approx(12.7062 * math.sqrt(2) / math.sqrt(2), rel=1e-4)
    assert m.low == pytest.approx(3 - m.moe) and m.high == pytest.approx(3 + m.moe)


def test_identical_answers_have_a_zero_width_mean_interval():
    m = mean(5 * 12, 25 * 12, 12)
    assert (m.value, m.low, m.high) == (5.0, 5.0, 5.0)


def test_thirty_answers_use_the_normal_quantile_and_twenty_nine_student_t():
    # half of the answers 3, half 5 (n even) or one more 3: sample sd from the sums
    def sums(n):
        values = [3] * (n - n // 2) + [5] * (n // 2)
        return sum(values), sum(v * v for v in values), n

    for n, q in ((SMALL_SAMPLE, Z95), (SMALL_SAMPLE - 1, float(student_t.ppf(0.975, SMALL_SAMPLE - 2)))):
        total, total_sq, _ = sums(n)
        m = total / n
        sd = math.sqrt((total_sq - n * m * m) / (n - 1))
        assert mean(total, total_sq, n).moe == pytest.approx(q * sd / math.sqrt(n), rel=1e-9)


@pytest.mark.parametrize("n", [20, 32, 38])
def test_a_share_of_everyone_tops_out_at_exactly_100(n):
    # without the clamp, Wilson's upper bound for n of n rounds to just above 1 for these n
    assert share(n, n).high == 100.0


@pytest.mark.parametrize("n", [7, 9, 14])
def test_a_share_of_no_one_bottoms_out_at_exactly_0(n):
    assert share(0, n).low == 0.0


def test_no_change_when_either_period_is_empty():
    assert nps_change(NpsCounts(5, 1, 1), NpsCounts(0, 0, 0)) is None
    assert nps_change(NpsCounts(0, 0, 0), NpsCounts(5, 1, 1)) is None
    assert nps_change(NpsCounts(1, 0, 0), NpsCounts(0, 0, 1)) is not None  # one answer each is enough


@pytest.mark.parametrize(
    ("delta", "z", "words"),
    [
        (0.3, 0.1, "no change, within noise"),
        (-0.4, -0.1, "no change, within noise"),
        (0.7, 0.2, "up 1, within noise"),
        (-0.7, -0.2, "down 1, within noise"),
        (1.4, 2.5, "up 1, beyond noise"),
        (-12.2, -3.0, "down 12, beyond noise"),
    ],
)
def test_a_change_in_words_around_zero(delta, z, words):
    assert Change(delta, 5.0, z).words() == words


def test_shrinking_toward_an_empty_prior_is_the_plain_figure():
    assert shrunk_nps(NpsCounts(3, 1, 1), NpsCounts(0, 0, 0)) == pytest.approx(40.0)
    assert shrunk_nps(NpsCounts(1, 0, 3), NpsCounts(0, 0, 0)) == pytest.approx(-50.0)


def _aggregates(survey):
    return db.session.execute(
        sa.select(*score_aggregates(Response.score)).where(Response.survey_id == survey.id)
    ).one()


def test_sql_aggregates_count_scores_not_answers_without_one(db_session):
    form = make_survey("form")  # feedback-form answers carry no score
    make_response(form, comment="The export button is hidden")
    row = _aggregates(form)
    assert (row.n, row.total) == (0, None)


@pytest.mark.parametrize(
    ("kind", "scores", "bands"),
    [
        ("nps", (0, 6), {"promoters": 0, "passives": 0, "detractors": 2}),
        ("nps", (9, 10), {"promoters": 2, "passives": 0, "detractors": 0}),
        ("csat", (1, 2), {"csat_hits": 0, "ces_hits": 0}),
    ],
)
def test_sql_aggregates_give_zero_not_null_for_an_empty_band(db_session, kind, scores, bands):
    survey = make_survey(kind)
    for score in scores:
        make_response(survey, score=score)
    row = _aggregates(survey)
    assert row.n == len(scores)
    assert {band: getattr(row, band) for band in bands} == bands
