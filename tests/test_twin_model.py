"""The twin-of-a-real-company schema (issue 13): dates, the service-level table, cancellations, a
dated demand calendar, handling delays, origins as logged.

Each new key is refused with one line naming it when out of range (in-process, on the composed
baseline), and each engine feature is checked on short runs.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from scenarios.build import build
from sim.config.validate import ConfigError, validate
from tests.helpers import plain_config

SHORT = ["horizon_days=2", "warmup_days=0.5", "progress=false"]


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    return plain_config(*SHORT)


def _set(cfg: dict[str, Any], dotted: str, value: Any) -> None:
    *path, last = dotted.split(".")
    node = cfg
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value


def _refused(cfg: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate(cfg)
    assert info.value.key == key, str(info.value)
    assert f"{key}: expected {expected}" in str(info.value)
    assert "\n" not in str(info.value)


STORM = {"region": "texas", "duration_h": 24.0, "severity": 0.9, "forecast": True}


@pytest.mark.parametrize(
    ("changes", "key", "expected"),
    [
        ({"scenario.start_date": "2025-02-30"}, "scenario.start_date", "an ISO date"),
        ({"scenario.start_date": "next monday"}, "scenario.start_date", "an ISO date"),
        ({"scenario.weather.storms": [{**STORM, "start_h": None, "start": None}]},
         "scenario.weather.storms[0].start_h", "either start_h"),
        ({"scenario.weather.storms": [{**STORM, "start_h": 5.0, "start": "2025-03-04"}]},
         "scenario.weather.storms[0].start_h", "either start_h"),
        ({"scenario.weather.storms": [{**STORM, "start_h": None, "start": "2025-03-01"}]},
         "scenario.weather.storms[0].start", "a date on or after start_date"),
        ({"scenario.weather.storms": [{**STORM, "start_h": None, "start": "2025-03-04T06+01"}]},
         "scenario.weather.storms[0].start", "an ISO date"),
    ],
)  # fmt: skip
def test_dates_are_checked(
    baseline: dict[str, Any], changes: dict[str, Any], key: str, expected: str
) -> None:
    cfg = copy.deepcopy(baseline)
    for dotted, value in changes.items():
        _set(cfg, dotted, value)
    _refused(cfg, key, expected)


def test_a_storm_start_date_is_hours_from_start_date(baseline: dict[str, Any]) -> None:
    sc = copy.deepcopy(baseline["scenario"])
    sc["weather"]["storms"] = [{**STORM, "start_h": None, "start": "2025-03-05T06:00"}]
    validate({**baseline, "scenario": sc})
    world = build(sc)
    assert world.start_date.isoformat() == "2025-03-03"
    assert world.weather.scripted[0].start_h == pytest.approx(54.0)


def test_start_weekday_moves_the_weekly_profile(baseline: dict[str, Any]) -> None:
    """Day 0 takes the weekly profile's value of start_date's weekday (a Sunday: the last)."""
    from sim.engine.demand import base_arrival_times

    sc = copy.deepcopy(baseline["scenario"])
    sc["demand"]["hourly_profile"] = [1.0] * 24
    sc["demand"]["weekly_profile"] = [1.0] * 6 + [0.0]
    monday = build(sc)
    sc["start_date"] = "2025-03-09"  # a Sunday
    sunday = build(sc)
    rng = np.random.default_rng
    assert len(base_arrival_times(monday, 0, rng(1))) > 0
    assert len(base_arrival_times(sunday, 0, rng(1))) == 0
    assert len(base_arrival_times(sunday, 1, rng(1))) > 0
