"""Calibrating from real-world logs (issue 13): reading options, degenerate data, the demand
calendar, profile shrinkage, handling and pickups, pooled lanes, the service-level table, and
the planner's backtest scores; on a synthetic log with the traits of a real shop's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scenarios.build import build
from scenarios.calibration.calendar import demand_paths, fit_calendar
from scenarios.calibration.calibrate import Calibration, calibrate, checked
from scenarios.calibration.demand import shrink_toward_flat
from scenarios.calibration.durations import fit_duration
from scenarios.calibration.lanes import band, centroids, km, locate, pool_lanes, shrink
from scenarios.calibration.order_log import read_order_log
from scenarios.calibration.pickups import EVERY_HOUR, infer_pickups
from scenarios.calibration.reading import read_options
from scenarios.errors import ConfigError, OrderLogError
from sim.backtest.planner import volume_check
from sim.config.compose import load_scenario
from sim.io.calibration_files import scenario_yaml
from tests.real_log_helpers import CANCEL_P, CLASSES, GAP, STATUS_MAP, SURGE, ZONE, make_log


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("real") / "shop.csv"
    make_log(path)
    return path


@pytest.fixture(scope="module")
def fitted(log_path: Path) -> Calibration:
    options = read_options(ZONE, STATUS_MAP, None)
    return calibrate(log_path, "shop", load_scenario("baseline"), "baseline", options)


# -- reading ---------------------------------------------------------------------------------


def test_naive_times_need_a_zone_and_read_dst_aware(log_path: Path) -> None:
    with pytest.raises(OrderLogError, match="--timezone"):
        read_order_log(log_path)
    log = read_order_log(log_path, read_options(ZONE, STATUS_MAP))
    offsets = set(log.frame["created_at_offset_min"].unique().tolist())
    assert offsets == {-360.0, -300.0}  # CST in winter, CDT from 9 March


def test_foreign_status_words_are_refused_then_mapped(log_path: Path) -> None:
    with pytest.raises(OrderLogError, match="--status-map completed=open"):
        read_order_log(log_path, read_options(ZONE))
    log = read_order_log(log_path, read_options(ZONE, STATUS_MAP))
    assert set(log.frame["status"]) == {"delivered", "open", "cancelled"}


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (("Mars/Olympus", None, None), "--timezone"),
        ((None, "shipped=gone", None), "--status-map"),
        ((None, "shipped", None), "--status-map"),
        ((None, None, "BRL=-1"), "--currency"),
        ((None, None, "reais"), "--currency"),
    ],
)
def test_bad_options_are_one_line_naming_the_option(args: tuple, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        read_options(*args)


def test_currency_converts_values(log_path: Path) -> None:
    usd = read_order_log(log_path, read_options(ZONE, STATUS_MAP)).frame["value"]
    brl = read_order_log(log_path, read_options(ZONE, STATUS_MAP, "BRL=0.25")).frame["value"]
    assert np.allclose(brl, usd * 0.25)


# -- degenerate data -------------------------------------------------------------------------


def test_a_constant_duration_fits_as_such() -> None:
    fit = fit_duration(np.full(200, 48.0), np.random.default_rng(0))
    conf = fit.conf()
    assert conf["mean_h"] == 48.0 and 0 < conf["sd_h"] < 0.01


# -- demand ----------------------------------------------------------------------------------


def test_calendar_finds_the_gap_the_surge_and_the_growth(fitted: Calibration) -> None:
    events = fitted.report["calendar"]["events"]
    gaps = [e for e in events if e["multiplier"] == 0.0]
    surges = [e for e in events if e["multiplier"] > 1.0]
    assert [(e["start"], e["days"]) for e in gaps] == [(GAP[0], float(GAP[1]))]
    assert [e["start"] for e in surges] == [SURGE[0]]
    assert 3.0 < surges[0]["multiplier"] < 10.0
    knots = fitted.report["calendar"]["daily_level"]
    assert knots[-1]["level"] / knots[0]["level"] > 1.8  # 40 -> 100 orders a day


def test_calendar_paths_cover_the_days_they_were_fitted_on(log_path: Path) -> None:
    frame = pd.read_csv(log_path)
    local = pd.to_datetime(frame["created_at"])
    fit = fit_calendar(local)
    days = fit.days
    paths = demand_paths(fit, days, np.ones(7), 400, np.random.default_rng(1))
    weekly = volume_check(
        pd.Series(fit.counts, index=days).resample("W-SUN").sum().iloc[1:-1],
        np.stack(
            [pd.Series(p, index=days).resample("W-SUN").sum().iloc[1:-1].to_numpy() for p in paths]
        ),
    )
    assert weekly["coverage"] >= 0.8
    assert weekly["mape"] < 0.15


def test_profiles_are_shrunk_toward_flat_when_the_data_cannot_tell() -> None:
    rng = np.random.default_rng(5)
    counts = rng.poisson(40.0, 24).astype(float)  # a flat process, ~40 orders an hour of day
    noisy = counts / counts.mean()
    shrunk, test = shrink_toward_flat(noisy, counts)
    assert np.abs(noisy - 1).max() > 0.15  # the raw fit follows the noise...
    assert np.abs(shrunk - 1).max() < 0.05  # ...the shrunk one does not
    assert test["flat_by_test"]
    rhythm = 1.0 + 0.8 * np.sin(np.arange(24) / 24 * 2 * np.pi)
    kept, test = shrink_toward_flat(rhythm, rhythm * 400)
    assert np.abs(kept - rhythm).max() < 0.05 and not test["flat_by_test"]


# -- handling, pickups -----------------------------------------------------------------------


def test_handling_replaces_pickers_when_sellers_take_days(fitted: Calibration) -> None:
    handling = fitted.report["handling"]
    assert handling["chosen"] == "handling"
    assert "picker model would give" in handling["reason"]
    for origin, fit in handling["per_origin"].items():
        assert fit["chosen"]["mean_h"] == pytest.approx(
            handling["observed"][origin]["mean_h"], rel=0.10
        )


def test_pickups_only_where_ship_times_show_them() -> None:
    rng = np.random.default_rng(2)
    spread = infer_pickups(rng.uniform(0, 24, 3000))
    assert not spread.shown and spread.hours == EVERY_HOUR and "hourly" in spread.note
    clustered = np.concatenate([np.full(1500, 15.0), rng.uniform(0, 24, 1500)])
    shown = infer_pickups(clustered)
    assert shown.shown and shown.hours == [15.0]


def test_spread_ship_times_warn(fitted: Calibration) -> None:
    assert any("hourly pickups assumed" in w for w in fitted.warnings)


# -- lanes -----------------------------------------------------------------------------------


def test_empirical_bayes_pulls_thin_units_more() -> None:
    means = np.array([100.0, 300.0, 200.0])
    counts = np.array([500.0, 2.0, 0.0])
    out = shrink(means, counts, unit_var=100.0**2, target=150.0)
    assert abs(out[0] - 100.0) < 2.0  # busy: its own mean
    assert abs(out[1] - 150.0) < abs(300.0 - 150.0) / 2  # thin: mostly the target
    assert out[2] == 150.0  # none: the target


def test_every_lane_listed_pooled_and_placed() -> None:
    rng = np.random.default_rng(4)
    rows = []
    for region, origin, n, mean in [("SP", "SP", 400, 60), ("RJ", "SP", 200, 110),
                                    ("AM", "SP", 3, 400), ("BA", "SP", 0, 0)]:  # fmt: skip
        rows += [(region, origin, "parcel", t) for t in rng.lognormal(np.log(mean + 1), 0.3, n)]
    delivered = pd.DataFrame(rows, columns=["region", "warehouse", "mode", "transit_h"])
    routed = pd.concat(
        [delivered[["region", "warehouse"]], pd.DataFrame({"region": ["BA"], "warehouse": ["SP"]})]
    )
    lanes, notes = pool_lanes(delivered, routed)
    by = {lane.region: lane for lane in lanes}
    assert set(by) == {"SP", "RJ", "AM", "BA"}
    assert by["SP"].status == "fitted" and by["AM"].status == "pooled"
    assert by["BA"].status == "from group" and by["BA"].deliveries == 0
    assert by["AM"].distance_km is not None and by["AM"].distance_km > 2000
    assert by["SP"].zone < by["RJ"].zone
    assert any("state centres" in n for n in notes)


def test_names_that_are_not_state_codes_have_unknown_distance() -> None:
    assert locate(["north", "south", "east"]) == (None, {})
    assert band(None) == "unknown distance"


# -- levels, cancellations, the whole fit ----------------------------------------------------


def test_four_classes_become_a_level_table(fitted: Calibration) -> None:
    levels = fitted.report["service_levels"]
    assert list(levels) == ["standard", "second", "first", "same_day"]  # slowest first
    for name, (_, promise, mode, _) in CLASSES.items():
        assert levels[name]["promise_h"] == pytest.approx(promise, abs=0.01)
        assert levels[name]["mode_mix"] == {mode: 1.0}
    assert [levels[n]["urgent"] for n in levels] == [False, True, True, True]
    cancelled = np.mean([levels[n]["cancel_p"] for n in levels])
    assert cancelled == pytest.approx(CANCEL_P, abs=0.02)


def test_the_constant_lead_time_mode_is_fitted_not_crashed(fitted: Calibration) -> None:
    transit = fitted.scenario["modes"]["first_class"]["transit_by_zone"]
    # 48 h of wall time; a parcel crossing the change to summer time takes 47 h
    assert all(t["mean_h"] == pytest.approx(48.0, abs=0.05) and t["sd_h"] < 1 for t in transit)


def test_a_log_with_every_mode_blank_is_one_mode(log_path: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(log_path, dtype=str, keep_default_na=False).assign(mode="")
    path = tmp_path / "blank.csv"
    frame.to_csv(path, index=False)
    cal = calibrate(
        path, "blank", load_scenario("baseline"), "baseline", read_options(ZONE, STATUS_MAP)
    )
    assert list(cal.scenario["modes"]) == ["parcel"]
    assert any("blank on every row" in w for w in cal.warnings)


def test_the_fitted_scenario_runs_with_the_logs_changing_volume(
    fitted: Calibration, log_path: Path, tmp_path: Path
) -> None:
    """Four weeks of the twin from the log's hour 0: the calendar's volume, not the mean's."""
    conf = tmp_path / "conf"
    (conf / "scenario").mkdir(parents=True)
    (conf / "scenario" / "shop.yaml").write_text(scenario_yaml(fitted, str(log_path), "baseline"))
    run = subprocess.run(
        [sys.executable, "-m", "sim", "--config-dir", str(conf), "scenario=shop", "horizon_days=28"]
        + ["warmup_days=0", "cooldown_days=0", "progress=false", f"hydra.run.dir={tmp_path}/run"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    created = json.loads((tmp_path / "run" / "kpis.json").read_text())["orders_created"]
    local = pd.to_datetime(pd.read_csv(log_path)["created_at"])
    first = local.min().floor("D")
    in_log = int((local < first + pd.Timedelta(days=28)).sum())
    stationary = fitted.scenario["demand"]["base_rate_per_h"] * 24 * 28
    assert stationary > 1.3 * in_log  # the mean rate would be far off: the check has teeth
    assert created == pytest.approx(in_log, rel=0.12)


def test_co2e_inputs_from_located_lanes_and_the_template(fitted: Calibration) -> None:
    """Lanes between two located states get their centre-to-centre km; a lane within one state
    and a mode the template has no factor for stay unknown, and the fit says so."""
    world = build(checked(fitted.scenario))
    em = world.emissions
    assert em is not None
    region, wh = world.regions.index, world.warehouse_names.index
    centres = centroids()["US"]
    assert em.distance_km[region("CA"), wh("TX")] == pytest.approx(
        km(centres["CA"], centres["TX"]), abs=0.05
    )
    assert 50 < em.distance_km[region("NY"), wh("NJ")] < 500
    assert np.isnan(em.distance_km[region("TX"), wh("TX")])  # within one state: not 0 km
    assert em.kg_per_tonne_km[world.mode_index("ground")] == 0.15  # the template's
    assert np.isnan(em.kg_per_tonne_km[world.mode_index("courier")])
    assert np.isfinite(em.item_weight_kg).all()
    assert any("no emission factor for mode" in w and "courier" in w for w in fitted.warnings)
    assert any("within one place" in w for w in fitted.warnings)
