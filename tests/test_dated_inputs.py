"""Dates where a planner thinks in dates: bursts by date, and an order log's hour 0.

A burst (a promotion, a live stream) may be given by ``start`` (a date or local time from the
scenario's ``start_date``) instead of ``start_h``, exactly one of them, as scripted storms are;
an exported order log starts at the scenario's ``start_date`` unless ``export.start`` says
otherwise, on that date's weekday.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from scenarios.build import build
from sim.config.validate import ConfigError, validate
from sim.io.order_log import hour_zero
from sim.report.charts_time import disruptions
from tests.helpers import plain_config


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    return plain_config("horizon_days=2", "warmup_days=0.5", "progress=false")


BURST = {
    "name": "promo",
    "ramp_h": 0.5,
    "peak_multiplier": 3.0,
    "decay_tau_h": 2.0,
    "duration_h": 6.0,
    "channel": "live_stream",
    "product_mix": {},
    "region_mix": {},
    "promotion": True,
}


def with_burst(baseline: dict[str, Any], **start: Any) -> dict[str, Any]:
    cfg = copy.deepcopy(baseline)
    cfg["scenario"]["demand"]["bursts"] = [{**BURST, "start_h": None, "start": None, **start}]
    return cfg


def test_a_burst_by_date_starts_at_its_hour(baseline: dict[str, Any]) -> None:
    cfg = with_burst(baseline, start="2025-03-05T06:00")  # baseline's hour 0: Mon 2025-03-03
    validate(cfg)
    assert build(cfg["scenario"]).demand.bursts[0].start_h == 54.0
    (shown,) = [d for d in disruptions(cfg["scenario"]) if d.label == "promo"]
    assert shown.start_h == 54.0


@pytest.mark.parametrize(
    ("start", "key", "expected"),
    [
        ({"start_h": 5.0, "start": "2025-03-04"}, "start_h", "either start_h (hours) or start"),
        ({}, "start_h", "either start_h (hours) or start"),
        ({"start": "2025-03-01"}, "start", "a date on or after start_date (2025-03-03)"),
        ({"start": "Black Friday"}, "start", "an ISO date"),
    ],
)
def test_a_burst_names_one_start(
    baseline: dict[str, Any], start: dict[str, Any], key: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        validate(with_burst(baseline, **start))
    full = f"scenario.demand.bursts[0].{key}"
    assert info.value.key == full, str(info.value)
    assert f"{full}: expected {expected}" in str(info.value)


def test_an_order_logs_hour_zero_is_the_scenarios_start_date(baseline: dict[str, Any]) -> None:
    assert hour_zero({"start": None}, "2025-03-03") == "2025-03-03T00:00:00"
    assert hour_zero({"start": "2025-03-10T00:00:00"}, "2025-03-03") == "2025-03-10T00:00:00"
    cfg = copy.deepcopy(baseline)
    cfg["export"]["start"] = "2025-03-04T00:00:00"  # a Tuesday; start_date is a Monday
    with pytest.raises(ConfigError, match=r"^export.start: expected a Monday \(start_date"):
        validate(cfg)
    cfg["scenario"]["start_date"] = "2025-03-04"  # a scenario starting on a Tuesday: its log too
    validate(cfg)
