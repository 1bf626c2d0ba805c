"""Region, channel and level shares that drift by month: fitted (shrunk toward the overall mix),
checked, and drawn.

The fit writes monthly rows only when the months differ beyond sampling, each pulled toward the
overall mix by how little its month can say; the engine draws each day's regions, channels and
levels from its month's row (the last row held past it), with the same draws as without rows.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from scenarios.build import build
from scenarios.calibration.monthly_mix import fit_mix_by_month
from sim.config.validate import ConfigError, validate
from sim.engine.demand import generate_orders
from sim.engine.streams import RandomStreams
from tests.helpers import plain_config

MONTHS = pd.period_range("2024-01", periods=12, freq="M")


def orders(share_a: np.ndarray, per_month: int, seed: int) -> tuple[pd.Series, pd.Series]:
    """Regions A/B/C of ``per_month`` orders a month, A at ``share_a`` of each month."""
    rng = np.random.default_rng(seed)
    region, month = [], []
    for m, a in zip(MONTHS, share_a, strict=True):
        p = [a, (1 - a) / 2, (1 - a) / 2]
        region += list(rng.choice(["A", "B", "C"], size=per_month, p=p))
        month += [m] * per_month
    return pd.Series(region), pd.Series(month)


def test_a_drifting_mix_is_fitted_by_month_and_held_past_the_log() -> None:
    share_a = np.linspace(0.3, 0.6, 12)
    fit = fit_mix_by_month(*orders(share_a, 400, 1))
    rows = fit["rows"]
    assert [r["month"] for r in rows] == [str(m) for m in MONTHS] + ["2025-01"]
    fitted = np.array([r["shares"]["A"] for r in rows])
    assert fitted[0] < 0.36 and fitted[11] > 0.54  # shrunk toward 0.45, but following
    assert fitted[12] == pytest.approx(share_a[-3:].mean(), abs=0.04)  # the recent mix, held
    assert 0 < fit["prior_orders"] < 400  # a month of 400 keeps most of its own shares


@pytest.mark.parametrize("seed", [2, 6])
def test_a_stationary_mix_writes_no_rows(seed: int) -> None:
    """Seed 2's months scatter less than sampling (rho 0); seed 6's a little more by chance
    (rho > 0), which the months x regions chi-square test does not take for drift."""
    fit = fit_mix_by_month(*orders(np.full(12, 0.45), 400, seed))
    assert fit["rows"] == []
    assert (fit["rho"] > 0) == (seed == 6)


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    return plain_config("horizon_days=2", "warmup_days=0.5", "progress=false")


def with_rows(
    baseline: dict[str, Any], rows: list[dict[str, Any]], what: str = "region"
) -> dict[str, Any]:
    cfg = copy.deepcopy(baseline)
    cfg["scenario"]["demand"]["calendar"] = {
        "daily_level": [],
        "yearly_profile": [],
        "events": [],
        "past_last_knot": "hold",
        f"{what}_mix_by_month": rows,
    }
    return cfg


ROWS = [  # baseline starts on Monday 2025-03-03
    {"month": "2025-03", "shares": {"northeast": 1.0}},
    {"month": "2025-04", "shares": {"southeast": 0.5, "mid_atlantic": 0.5}},
]


def test_the_engine_draws_regions_from_the_month_row(baseline: dict[str, Any]) -> None:
    cfg = with_rows(baseline, ROWS)
    validate(cfg)
    world = build(cfg["scenario"])
    names = list(cfg["scenario"]["regions"])
    made = generate_orders(world, 24.0 * 45, RandomStreams(3))  # to 16 April
    region = np.asarray(names)[made.region]
    march = made.created_h < 24.0 * 29
    assert set(region[march]) == {"northeast"}
    assert set(region[~march]) == {"southeast", "mid_atlantic"}  # April's row, held after it
    plain = generate_orders(build(baseline["scenario"]), 24.0 * 45, RandomStreams(3))
    assert np.array_equal(plain.created_h, made.created_h)  # the same orders, other regions


CHANNEL_ROWS = [
    {"month": "2025-03", "shares": {"web": 1.0}},
    {"month": "2025-04", "shares": {"app": 0.5, "marketplace": 0.5}},
]
LEVEL_ROWS = [
    {"month": "2025-03", "shares": {"standard": 1.0}},
    {"month": "2025-04", "shares": {"express": 1.0}},
]


def test_the_engine_draws_channels_and_levels_from_the_month_rows(
    baseline: dict[str, Any],
) -> None:
    """March's orders all come by web at the standard level, April's by app or marketplace at
    express, for every channel; the orders and their times are those without rows."""
    plain = generate_orders(build(baseline["scenario"]), 24.0 * 45, RandomStreams(3))
    march = plain.created_h < 24.0 * 29
    channels = np.asarray(list(baseline["scenario"]["channels"]))
    levels = np.asarray(list(baseline["scenario"]["service_levels"]))
    regular = plain.burst < 0  # bursts keep their own channel
    cfg = with_rows(baseline, CHANNEL_ROWS, "channel")
    validate(cfg)
    made = generate_orders(build(cfg["scenario"]), 24.0 * 45, RandomStreams(3))
    assert np.array_equal(plain.created_h, made.created_h)
    channel = channels[made.channel]
    assert set(channel[march & regular]) == {"web"}
    assert set(channel[~march & regular]) == {"app", "marketplace"}
    cfg = with_rows(baseline, LEVEL_ROWS, "level")
    validate(cfg)
    made = generate_orders(build(cfg["scenario"]), 24.0 * 45, RandomStreams(3))
    assert np.array_equal(plain.created_h, made.created_h)
    assert np.array_equal(plain.channel, made.channel)
    level = levels[made.service_level]
    assert set(level[march]) == {"standard"}
    assert set(level[~march]) == {"express"}
    assert set(levels[plain.service_level[march]]) == {"standard", "express"}


@pytest.mark.parametrize(
    ("what", "rows", "key", "expected"),
    [
        ("channel", [{"month": "2025-03", "shares": {"fax": 1.0}}],
         "channel_mix_by_month[0].shares.fax", "a known channel"),
        ("level", [{"month": "2025-03", "shares": {"overnight": 1.0}}],
         "level_mix_by_month[0].shares.overnight", "a known level"),
        ("level", [LEVEL_ROWS[1], LEVEL_ROWS[0]],
         "level_mix_by_month[1].month", "a month after the previous row's"),
    ],
)  # fmt: skip
def test_channel_and_level_rows_are_checked(
    baseline: dict[str, Any], what: str, rows: list[dict[str, Any]], key: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        validate(with_rows(baseline, rows, what))
    full = f"scenario.demand.calendar.{key}"
    assert info.value.key == full, str(info.value)
    assert f"{full}: expected {expected}" in str(info.value)


@pytest.mark.parametrize(
    ("rows", "key", "expected"),
    [
        ([{"month": "March", "shares": {"northeast": 1.0}}],
         "region_mix_by_month[0].month", "a month as YYYY-MM"),
        ([ROWS[1], ROWS[0]], "region_mix_by_month[1].month", "a month after the previous row's"),
        ([{"month": "2025-03", "shares": {"atlantis": 1.0}}],
         "region_mix_by_month[0].shares.atlantis", "a known region"),
        ([{"month": "2025-03", "shares": {"northeast": 0.5}}],
         "region_mix_by_month[0].shares", "shares that sum to 1"),
    ],
)  # fmt: skip
def test_month_rows_are_checked(
    baseline: dict[str, Any], rows: list[dict[str, Any]], key: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        validate(with_rows(baseline, rows))
    full = f"scenario.demand.calendar.{key}"
    assert info.value.key == full, str(info.value)
    assert f"{full}: expected {expected}" in str(info.value)


def test_calibrate_writes_the_level_mix_of_a_log_whose_levels_drift(tmp_path: Path) -> None:
    """A twin's two-month log whose express share goes from 10% to 50% (every channel) is
    calibrated back to level rows near those; its channels, which do not drift, get none."""
    from scenarios.calibration.calibrate import calibrate
    from sim.config.compose import load_config, load_policies, load_scenario
    from sim.engine import run
    from sim.io.order_log import write_order_log
    from tests.calibration_helpers import TIME_ZONE

    cfg = load_config(
        "seed=1",
        "progress=false",
        f"export.time_zone={TIME_ZONE}",
        "export.start=2025-03-03T00:00:00",  # the scenario's start_date: the same months
        "horizon_days=56",
        "scenario.demand.base_rate_per_h=6",
        "scenario.demand.bursts=[]",
        "scenario.weather.storm_rate_per_day=0",
    )
    rows = [
        {"month": "2025-03", "shares": {"standard": 0.9, "express": 0.1}},
        {"month": "2025-04", "shares": {"standard": 0.5, "express": 0.5}},
    ]
    assert cfg["scenario"]["start_date"] == "2025-03-03"
    cfg = with_rows(cfg, rows, "level")
    validate(cfg)
    world = build(cfg["scenario"])
    routing, monitoring = load_policies(cfg)
    result = run(world, routing, monitoring, seed=1, horizon_days=56)
    log = write_order_log(result, cfg["export"], 1, tmp_path, cfg["scenario"]["start_date"])
    cal = calibrate(log, "drift", load_scenario("baseline"), "baseline")
    written = cal.scenario["demand"]["calendar"]
    assert "channel_mix_by_month" not in written
    express = {r["month"]: r["shares"]["express"] for r in written["level_mix_by_month"]}
    assert express["2025-03"] == pytest.approx(0.1, abs=0.03)
    assert express["2025-04"] == pytest.approx(0.5, abs=0.03)
    assert cal.report["level_mix_by_month"]["rows_written"] == len(express)
