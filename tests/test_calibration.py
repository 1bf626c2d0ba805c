"""Calibration round trip: generate a log from known parameters, calibrate, recover them.

The generating scenario is the baseline network with random storms off (their delays would be
inside the "true" transit times, see the fit report) and a daily profile flattened to a
minimum of ~0.6, at 300 orders/h for four weeks: enough orders in the quietest hour (~5,000)
that 5% is over three standard errors, so the bounds test the estimator, not luck.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from scenarios.calibration.calibrate import Calibration, calibrate
from scenarios.world import World
from sim.config.compose import load_scenario, load_world
from sim.io.calibration_files import scenario_yaml
from tests.calibration_helpers import generate_log

BASELINE_HOURLY = load_world().demand.hourly_profile
FLAT_HOURLY = [round(0.5 + 0.5 * float(v), 4) for v in BASELINE_HOURLY]
TRUTH = (
    "horizon_days=28",
    "scenario.demand.base_rate_per_h=300",
    f"scenario.demand.hourly_profile=[{','.join(map(str, FLAT_HOURLY))}]",
    "scenario.weather.storm_rate_per_day=0",
    "export.test_order_p=0.02",
    "export.duplicate_p=0.01",
)
TOLERANCE = 0.05


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Calibration, World, Path]:
    folder = tmp_path_factory.mktemp("roundtrip")
    log, world = generate_log(folder, *TRUTH)
    return calibrate(log, "roundtrip", load_scenario("baseline"), "baseline"), world, log


def rel_err(fitted: Any, true: Any) -> np.ndarray:
    return np.abs(np.asarray(fitted, float) / np.asarray(true, float) - 1.0)


def test_base_rate_recovered(round_trip: tuple[Calibration, World, Path]) -> None:
    cal, world, _ = round_trip
    fitted = cal.scenario["demand"]["base_rate_per_h"]
    assert rel_err(fitted, world.demand.base_rate_per_h) < TOLERANCE


def test_hourly_and_weekly_profile_recovered(round_trip: tuple[Calibration, World, Path]) -> None:
    cal, world, _ = round_trip
    hourly = np.asarray(cal.scenario["demand"]["hourly_profile"])
    assert rel_err(hourly, world.demand.hourly_profile).max() < TOLERANCE
    weekly = np.asarray(cal.scenario["demand"]["weekly_profile"])
    assert rel_err(weekly, world.demand.weekly_profile).max() < TOLERANCE


def test_region_shares_recovered(round_trip: tuple[Calibration, World, Path]) -> None:
    cal, world, _ = round_trip
    fitted = [cal.scenario["regions"][r]["share"] for r in world.regions]
    assert rel_err(fitted, world.demand.region_share).max() < TOLERANCE


def test_transit_means_per_mode_recovered(round_trip: tuple[Calibration, World, Path]) -> None:
    """Per mode, over the zones the log used, weighted by deliveries: fitted vs configured."""
    cal, world, _ = round_trip
    transit = cal.report["transit"]
    assert set(transit) == {"air", "ground"}  # nearest routing never picks economy
    for mode_name, fit in transit.items():
        mode = world.modes[world.mode_index(mode_name)]
        zones = {int(z): f["n"] for z, f in fit["by_zone"].items()}
        true = np.average([mode.expected_transit_h(z) for z in zones], weights=list(zones.values()))
        assert rel_err(fit["mean_h"], true) < TOLERANCE, mode_name
        for z, f in fit["by_zone"].items():  # each well-observed lane as well
            if f["n"] >= 2000:
                assert rel_err(f["chosen"]["mean_h"], mode.expected_transit_h(int(z))) < 0.05


def test_contamination_removed_and_counted(round_trip: tuple[Calibration, World, Path]) -> None:
    cal, _, _ = round_trip
    counts = cal.report["log"]["dropped"]
    kept = cal.report["log"]["orders_kept"]
    assert counts["test_order"] == round(0.02 * kept)
    assert counts["duplicate_row"] == round(0.01 * kept)
    assert sum(counts.values()) == counts["test_order"] + counts["duplicate_row"]
    assert not cal.clean.orders["order_id"].str.startswith("TEST").any()
    assert cal.clean.orders["order_id"].is_unique


def test_known_structure_recovered(round_trip: tuple[Calibration, World, Path]) -> None:
    cal, world, _ = round_trip
    sc = cal.scenario
    levels = sc["service_levels"]
    assert {k: v["promise_h"] for k, v in levels.items()} == {"standard": 96.0, "express": 56.0}
    assert sc["modes"]["ground"]["pickup_hours"] == [15.0]
    assert sc["modes"]["air"]["pickup_hours"] == [17.0]
    assert {k: v["mode_mix"] for k, v in levels.items()} == {
        "standard": {"ground": 1.0},
        "express": {"air": 1.0},
    }
    assert [v["urgent"] for v in levels.values()] == [False, True]
    assert cal.report["zones"]["source"] == "template"
    assert sc["demand"]["bursts"] == []  # no bursts in, none found
    classes = world.product_classes
    fitted = [sc["product_classes"][p]["value_mean_usd"] for p in classes]
    assert rel_err(fitted, world.demand.product_value_mean_usd).max() < 0.05
    assert sc["weather"]["storm_rate_per_day"] == 0.0  # history's weather is in the transit


def test_fitted_yaml_runs(round_trip: tuple[Calibration, World, Path], tmp_path: Path) -> None:
    """The YAML the command writes is one `ordertwin --config-dir DIR scenario=NAME` runs."""
    cal, _, log = round_trip
    conf = tmp_path / "conf"
    (conf / "scenario").mkdir(parents=True)
    (conf / "scenario" / "roundtrip.yaml").write_text(scenario_yaml(cal, str(log), "baseline"))
    run = subprocess.run(
        [sys.executable, "-m", "sim", "--config-dir", str(conf), "scenario=roundtrip"]
        + ["horizon_days=2", "warmup_days=0.5", "progress=false", f"hydra.run.dir={tmp_path}/run"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "run" / "kpis.json").is_file()


def test_bursts_found_with_start_peak_and_decay(tmp_path: Path) -> None:
    log, world = generate_log(tmp_path, "scenario=livestream", "horizon_days=15")
    bursts = calibrate(log, "ls", load_scenario("baseline"), "baseline").scenario["demand"][
        "bursts"
    ]
    true = [b for b in world.demand.bursts if b.start_h < 15 * 24]
    assert len(bursts) == len(true)
    for fitted, b in zip(bursts, true, strict=True):
        assert abs(fitted["start_h"] - b.start_h) < 0.05
        assert rel_err(fitted["peak_multiplier"], b.peak_multiplier) < 0.15
        assert rel_err(fitted["decay_tau_h"], b.decay_tau_h) < 0.25
        assert fitted["channel"] == "live_stream"
        assert max(fitted["product_mix"], key=fitted["product_mix"].get) == "beauty"
