"""Bad input ends with one line naming the full key and what was expected, and no run files.

The subprocess tests run the real command (``python -m sim``, the same as ``ordertwin``) in an
empty folder, as a user would; the in-process tests check :func:`sim.config.validate.validate`
and the policy parameters directly.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from policies.protocols import RoutingPolicy
from sim.config.policy import build_policy
from sim.config.validate import ConfigError, validate
from tests.helpers import plain_config

SHORT = ["horizon_days=2", "warmup_days=0.5", "progress=false"]
RUN_FILES = ("kpis.json", "orders.parquet", "timeseries.parquet")
PREFIX = "ordertwin: error: "


def ordertwin(cwd: Path, *overrides: str, full_error: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    if full_error:
        env["HYDRA_FULL_ERROR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "sim", *SHORT, *overrides],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_files(folder: Path) -> list[Path]:
    return [path for name in RUN_FILES for path in folder.rglob(name)]


# (overrides, the full key the line must name, a fragment of what was expected)
BAD_INPUT = [
    pytest.param(
        ["scenario.warehouses.east.pikers=3"],
        "scenario.warehouses.east.pikers",
        "expected a known key (one of region, pickers",
        id="unknown-scenario-key",
    ),
    pytest.param(
        ["+scenario.warehouses.east.pikers=3"],
        "scenario.warehouses.east.pikers",
        "did you mean 'pickers'?",
        id="unknown-scenario-key-added-with-plus",
    ),
    pytest.param(
        ["+scenario.demand.surge=2"],
        "scenario.demand.surge",
        "expected a known key (one of base_rate_per_h",
        id="unknown-nested-key-added-with-plus",
    ),
    pytest.param(
        ["scenario.demand.base_rate_per_h=abc"],
        "scenario.demand.base_rate_per_h",
        "expected a number, got 'abc'",
        id="wrong-type-float",
    ),
    pytest.param(
        ["seed=1.5"],
        "seed",
        "expected an integer",
        id="wrong-type-int",
    ),
    pytest.param(
        ["scenario.demand.hourly_profile=flat"],
        "scenario.demand.hourly_profile",
        "expected a list",
        id="wrong-type-list",
    ),
    pytest.param(
        ["scenario.demand.base_rate_per_h=-5"],
        "scenario.demand.base_rate_per_h",
        "expected a number > 0, got -5",
        id="rate-out-of-range",
    ),
    pytest.param(
        ["scenario.weather.forecast_hit_p=1.5"],
        "scenario.weather.forecast_hit_p",
        "expected a probability in [0, 1], got 1.5",
        id="probability-above-1",
    ),
    pytest.param(
        ["scenario.regions.northeast.share=0.5"],
        "scenario.regions",
        "expected shares that sum to 1",
        id="region-shares-not-1",
    ),
    pytest.param(
        # zone_to is a dict, so adding a key to it needs Hydra's "+"
        ["+scenario.regions.texas.zone_to.nowhere=2"],
        "scenario.regions.texas.zone_to.nowhere",
        "expected a known warehouse (one of east, south, central, west), got 'nowhere'",
        id="lane-to-unknown-warehouse",
    ),
    pytest.param(
        ["scenario.regions.texas.zone_to.nowhere=2"],
        "scenario.regions.texas.zone_to.nowhere",
        "to add a key, use +scenario.regions.texas.zone_to.nowhere=",
        id="lane-without-plus",
    ),
    pytest.param(
        ["scenario.regions.texas.zone_to.east=9"],
        "scenario.regions.texas.zone_to.east",
        "expected a zone in 1..8, got 9",
        id="zone-beyond-modes",
    ),
    pytest.param(
        ["scenario.emissions.kg_co2e_per_tonne_km.air=-1"],
        "scenario.emissions.kg_co2e_per_tonne_km.air",
        "expected a number >= 0, got -1",
        id="negative-emission-factor",
    ),
    pytest.param(
        ["scenario.warehouses.east.pick_time.dist=weird"],
        "scenario.warehouses.east.pick_time.dist",
        "expected one of exponential, lognormal, gamma, normal, constant, got 'weird'",
        id="bad-distribution-family",
    ),
    pytest.param(
        ["+routing.foo=1"],
        "routing.foo",
        "expected a parameter of NearestRouting",
        id="unknown-routing-parameter",
    ),
    pytest.param(
        ["scenario=nope"],
        "scenario",
        "expected one of baseline, large, livestream, mmc, peak_season, storm, sync_lag, "
        "got 'nope'",
        id="unknown-scenario",
    ),
    pytest.param(
        # "optional experiment" in config.yaml: Hydra alone would silently run without it
        ["experiment=nope"],
        "experiment",
        "got 'nope'",
        id="unknown-experiment",
    ),
    pytest.param(
        ["warmup_days=5", "horizon_days=2"],
        "warmup_days",
        "expected less than horizon_days (2.0), got 5",
        id="warmup-not-shorter-than-horizon",
    ),
    pytest.param(
        ["+nonsense=1"],
        "nonsense",
        "expected a known key (one of seed, horizon_days",
        id="unknown-top-level-key-with-plus",
    ),
    pytest.param(
        ["nonsense=1"],
        "nonsense",
        "expected a known key (one of seed, horizon_days",
        id="unknown-top-level-key",
    ),
    pytest.param(
        ["seed=[1,"],
        "seed",
        "override grammar",
        id="unparsable-override",
    ),
]


@pytest.fixture(scope="module")
def bad_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """Every BAD_INPUT case run once, side by side (each is a ~1-2 s process), in its own folder."""
    cases = {str(p.id): p.values[0] for p in BAD_INPUT}
    folders = {case: tmp_path_factory.mktemp(case) for case in cases}
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        futures = {case: pool.submit(ordertwin, folders[case], *cases[case]) for case in cases}
        return {case: (folders[case], future.result()) for case, future in futures.items()}


@pytest.mark.parametrize(("overrides", "key", "expected"), BAD_INPUT)
def test_bad_input_gives_one_line(
    request: pytest.FixtureRequest,
    bad_runs: dict[str, tuple[Path, subprocess.CompletedProcess]],
    overrides: list[str],
    key: str,
    expected: str,
) -> None:
    folder, proc = bad_runs[request.node.callspec.id]
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.rstrip().splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith(PREFIX), line
    assert line.removeprefix(PREFIX).startswith(f"{key}: "), line
    assert expected in line, line
    assert not run_files(folder)


def test_full_error_shows_the_traceback(tmp_path: Path) -> None:
    proc = ordertwin(tmp_path, "scenario.demand.base_rate_per_h=-5", full_error=True)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr
    assert "scenario.demand.base_rate_per_h: expected a number > 0" in proc.stderr
    assert not run_files(tmp_path)


def test_full_error_shows_the_traceback_at_compose_time(tmp_path: Path) -> None:
    proc = ordertwin(tmp_path, "scenario.demand.base_rate_per_h=abc", full_error=True)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr
    assert not run_files(tmp_path)


# In-process: validate() on the composed baseline with one thing broken.


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    return plain_config(*SHORT)


def test_baseline_is_valid(baseline: dict[str, Any]) -> None:
    validate(baseline)


def _set(cfg: dict[str, Any], dotted: str, value: Any) -> None:
    *path, last = dotted.split(".")
    node = cfg
    for part in path:
        node = node[part]
    node[last] = value


@pytest.mark.parametrize(
    ("dotted", "value", "key", "expected"),
    [
        ("scenario.demand.vip_p", -0.1, "scenario.demand.vip_p", "a probability in [0, 1]"),
        ("scenario.regions.texas.zone_to.nowhere", 2, "scenario.regions.texas.zone_to.nowhere",
         "a known warehouse"),
        ("scenario.regions.texas.zone_to.east", 0, "scenario.regions.texas.zone_to.east",
         "a zone in 1..8"),
        ("scenario.warehouses.east.pikers", 3, "scenario.warehouses.east.pikers", "a known key"),
        ("scenario.warehouses.east.stock.home.reorder_point", 9000,
         "scenario.warehouses.east.stock.home.reorder_point", "less than order_up_to"),
        ("scenario.modes.air.pickup_hours", [24.0], "scenario.modes.air.pickup_hours[0]",
         "a value in [0.0, 24.0)"),
        ("scenario.weather.storm_duration.sd_h", None, "scenario.weather.storm_duration.sd_h",
         "a standard deviation"),
        ("scenario.service_levels.express.mode_mix", {"rocket": 1.0},
         "scenario.service_levels.express.mode_mix.rocket", "a known mode"),
        ("horizon_days", 0, "horizon_days", "a number > 0"),
        ("extra", 1, "extra", "a known key"),
        ("scenario.emissions.kg_co2e_per_tonne_km.air", -1.58,
         "scenario.emissions.kg_co2e_per_tonne_km.air", "a number >= 0"),
        ("scenario.emissions.kg_co2e_per_tonne_km.rocket", 1.0,
         "scenario.emissions.kg_co2e_per_tonne_km.rocket", "a known mode (one of ground"),
        ("scenario.emissions.distance_km_by_zone", [40.0, 121.0],
         "scenario.emissions.distance_km_by_zone", "one distance per zone (8, as prices)"),
        ("scenario.emissions.distance_km_by_zone", [0.0] * 8,
         "scenario.emissions.distance_km_by_zone[0]", "a number > 0"),
        ("scenario.emissions.last_mile_kg_per_parcel", -0.2,
         "scenario.emissions.last_mile_kg_per_parcel", "a number >= 0"),
        ("scenario.regions.texas.distance_km_to", {"nowhere": 5.0},
         "scenario.regions.texas.distance_km_to.nowhere", "a known warehouse"),
        ("scenario.product_classes.home.item_weight_kg", 0.0,
         "scenario.product_classes.home.item_weight_kg", "a number > 0"),
    ],
)  # fmt: skip
def test_validate_names_the_key(
    baseline: dict[str, Any], dotted: str, value: Any, key: str, expected: str
) -> None:
    cfg = copy.deepcopy(baseline)
    _set(cfg, dotted, value)
    with pytest.raises(ConfigError) as info:
        validate(cfg)
    assert info.value.key == key
    assert f"{key}: expected {expected}" in str(info.value)


def test_unknown_policy_parameter_suggests_the_close_one() -> None:
    conf = {"_target_": "policies.routing.nearest.NearestRouting", "name": "x", "nmae": "y"}
    with pytest.raises(ConfigError, match=r"routing\.nmae: expected a parameter .*'name'\?"):
        build_policy(conf, "routing", RoutingPolicy)
