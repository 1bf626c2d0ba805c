"""Acceptance on a real log: the Olist sample (../shared/data, read from there, never copied).

Issue 13's "Done when" figures, measured by benchmarks/olist_acceptance.py (demand from the fitted
calendar's paths, the rest by Monte Carlo of the fitted model order by order). The two holdout
figures the fit does not reach are strict xfails: they turn red the day they pass, so the
README's table gets updated.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.olist_acceptance import LOG, measure

pytestmark = pytest.mark.skipif(not LOG.is_file(), reason=f"{LOG} not present")


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    return measure(LOG)


def test_in_sample_volume(figures: dict[str, Any]) -> None:
    assert figures["in_sample"]["month"]["correlation"] >= 0.9
    assert figures["in_sample"]["week"]["mape"] <= 0.25
    assert abs(figures["black_friday_week"]["rel"]) <= 0.25


def test_handling_transit_late_rate_and_shares(figures: dict[str, Any]) -> None:
    fit = figures["fit"]
    h = fit["handling"]
    assert h["twin_mean_h"] == pytest.approx(h["history_mean_h"], rel=0.10)
    assert h["twin_p90_h"] == pytest.approx(h["history_p90_h"], rel=0.10)
    assert list(fit["transit_by_region"]) == ["SP", "RJ", "MG", "RS", "PR", "BA", "SC", "GO"]
    for region, t in fit["transit_by_region"].items():
        assert abs(t["rel"]) <= 0.10, region
    late = fit["late_rate"]
    assert abs(late["twin"] - late["history"]) <= 0.015
    assert all(abs(s["pp"]) <= 1.5 for s in fit["region_shares"].values())


def test_holdout_months_inside_their_bands(figures: dict[str, Any]) -> None:
    assert figures["holdout"]["n"] == 7
    assert figures["holdout"]["inside"] >= 5


def test_bands_hold_from_many_origins_and_beat_naive(figures: dict[str, Any]) -> None:
    """One cut is luck; over the last 12 month starts the 90% bands must still hold about 90%
    of the months (scored months overlap across origins, hence the loose floor) and the twin's
    forecast must beat the naive 3-month mean on the pooled error."""
    o = figures["origins"]
    assert len(o["origins"]) == 12
    assert o["coverage"] >= 0.8
    assert o["mape"] < o["naive_mape"]


@pytest.mark.xfail(
    strict=True,
    reason="the damped-trend forecast from 2017-12-31 covers 7 of 7 months but its bands are "
    "~37% wide (median half-width), and its MAPE (12.4-12.8% over path seeds 0-4) is no lower "
    "than the naive 3-month mean's 11.9% (which holds Black Friday's month). From the last 12 "
    "month starts the twin's own errors needed a 31% half-width to hold 90% of the months: a "
    "25% band would not be an honest 90% band on this log",
)
def test_holdout_bands_narrow_and_better_than_naive(figures: dict[str, Any]) -> None:
    h = figures["holdout"]
    assert h["median_half_width"] <= 0.25
    assert h["mape"] < h["naive"]["mape"]
