"""The NPS proxy keeps DOMAIN.md's table (issue 11, part 5): monotone in lateness against the
customer's expectation, each row's mean over its lateness range within 0.02 of the row's shares,
and at least 80% of the fall from "on time" to "1-3 days late" within the first day past it."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.errors import ConfigError
from scenarios.nps_curve import nps_knots
from sim.engine.customer import ExperienceModel
from tests.helpers import world_of

# DOMAIN.md "NPS proxy starting table": lateness range (days past the expectation) -> shares
ROWS = [  # (from, to, promoter, detractor); the last row measured over its first week
    (-3.0, 0.0, 0.62, 0.16),
    (0.0, 3.0, 0.30, 0.50),
    (3.0, 7.0, 0.15, 0.70),
    (7.0, 14.0, 0.08, 0.82),
]
TOLERANCE = 0.02


@pytest.fixture(scope="module")
def experience() -> ExperienceModel:
    return ExperienceModel(world_of("scenario=baseline").customer)


def row_mean(curve: object, lo: float, hi: float) -> float:
    days = np.linspace(lo, hi, 20_001)[1:]  # (lo, hi]
    return float(np.mean(curve(days)))  # type: ignore[operator]


def test_the_curves_move_one_way_with_lateness(experience: ExperienceModel) -> None:
    days = np.linspace(-5.0, 30.0, 7001)
    assert (np.diff(experience.promoter_p(days)) <= 1e-12).all()
    assert (np.diff(experience.detractor_p(days)) >= -1e-12).all()
    assert (experience.promoter_p(days) + experience.detractor_p(days) <= 1.0 + 1e-12).all()


@pytest.mark.parametrize(("lo", "hi", "promoter", "detractor"), ROWS)
def test_each_row_keeps_its_shares_on_average(
    experience: ExperienceModel, lo: float, hi: float, promoter: float, detractor: float
) -> None:
    assert row_mean(experience.promoter_p, lo, hi) == pytest.approx(promoter, abs=TOLERANCE)
    assert row_mean(experience.detractor_p, lo, hi) == pytest.approx(detractor, abs=TOLERANCE)


def test_most_of_the_fall_happens_in_the_first_day_late(experience: ExperienceModel) -> None:
    on_time, one_day = np.array([0.0]), np.array([1.0])
    for curve, row2 in ((experience.promoter_p, 0.30), (experience.detractor_p, 0.50)):
        fall = row2 - curve(on_time)[0]
        assert (curve(one_day)[0] - curve(on_time)[0]) / fall >= 0.8


def test_the_old_midpoint_curve_fails_the_sharp_drop() -> None:
    """The check can fail: a curve anchored at bucket midpoints (the old proxy) is caught."""
    x, v = np.array([0.0, 2.0, 5.5, 10.0]), np.array([0.62, 0.30, 0.15, 0.08])
    fall = (np.interp(1.0, x, v) - 0.62) / (0.30 - 0.62)
    assert fall < 0.8
    knots = nps_knots(np.array([0.0, 3.0, 7.0]), v, 1.0)
    assert (np.interp(1.0, *knots) - 0.62) / (0.30 - 0.62) >= 0.8


def test_a_table_no_monotone_curve_can_keep_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"nps_promoter_p.*monotone"):
        world_of("scenario=baseline", "scenario.customer.nps_promoter_p=[0.62,0.10,0.40,0.08]")
