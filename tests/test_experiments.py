"""Every experiment file composes into a multirun sweep whose every job composes; the regional
pilot routes the pilot region by the treatment and is analysed with a power calculation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_module
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from sim.config.store import register_configs
from sim.report.aggregate import summary_frame
from sim.report.pilot import pilot_frame, pilot_words
from sim.report.sweep import read_sweep
from tests.helpers import CONF_DIR, compose_config, run_config
from tests.sweep_factory import make_sweep

EXPERIMENTS = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml"))


def _compose(*overrides: str) -> Any:
    register_configs()
    with initialize_config_module("sim.conf", version_base="1.3"):
        return compose("config", overrides=list(overrides), return_hydra_config=True)


def test_the_issue_s_experiments_exist() -> None:
    assert {"quickstart", "storm_readiness", "livestream_peak", "monitoring_roi", "pilot"} <= set(
        EXPERIMENTS
    )


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_is_a_joblib_sweep_whose_every_choice_composes(experiment: str) -> None:
    cfg = _compose(f"experiment={experiment}")
    assert str(cfg.hydra.mode) == "RunMode.MULTIRUN"
    assert "joblib" in str(cfg.hydra.launcher._target_)
    params = OmegaConf.to_container(cfg.hydra.sweeper.params)
    assert isinstance(params, dict) and "seed" in params
    parser = OverridesParser.create()
    for key, value in params.items():
        override = parser.parse_override(f"{key}={value}")
        if key in ("scenario", "routing", "monitoring"):
            choices = (
                override.sweep_string_iterator()
                if override.is_sweep_override()
                else [override.get_value_element_as_str()]
            )
            for choice in choices:
                compose_config(f"experiment={experiment}", f"{key}={choice}")


def test_quickstart_compares_three_scenarios_on_five_seeds() -> None:
    params = _compose("experiment=quickstart").hydra.sweeper.params
    assert params.scenario == "baseline,storm,livestream"
    assert params.seed == "range(1,6)"
    assert str(params.routing).split(",")[0] == "nearest"  # the baseline comes first


def test_pilot_routes_the_pilot_region_with_the_treatment() -> None:
    orders = run_config("routing=pilot", "horizon_days=3", "warmup_days=1").orders
    region, mode = orders["region"], orders["mode"]
    pilot = region == "southeast"
    assert (mode[pilot] == "economy").any()  # the treatment (cheapest) uses economy
    assert not (mode[~pilot] == "economy").any()  # nearest elsewhere never does


@pytest.fixture(scope="module")
def pilot_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sweep(
        tmp_path_factory.mktemp("pilot"),
        {"routing": "nearest,pilot", "seed": "1,2,3"},
        extra=("horizon_days=4", "warmup_days=1", "progress=false"),
    )


def test_pilot_report_gives_the_regional_effect_and_the_days_needed(pilot_sweep: Path) -> None:
    jobs = read_sweep(pilot_sweep)
    pilots = pilot_frame(jobs, summary_frame(jobs, pilot_sweep))
    assert set(pilots["kpi"]) == {"cost_per_order", "late_rate", "nps"}
    cost = pilots.set_index("kpi").loc["cost_per_order"]
    assert cost["regions"] == "southeast" and cost["treatment"] == "cheapest"
    assert cost["replications"] == 3
    assert cost["effect_ci_high"] < 0  # economy in the pilot region is cheaper
    assert 0 < cost["days_needed"] < np.inf and cost["daily_sd"] > 0
    assert cost["days_simulated"] == pytest.approx(3.0)
    words = " ".join(pilot_words(pilots))
    assert "lowers cost per order there by" in words and "days to show it" in words


def test_pilot_effect_matches_a_direct_paired_comparison(pilot_sweep: Path) -> None:
    jobs = read_sweep(pilot_sweep)
    pilots = pilot_frame(jobs, summary_frame(jobs, pilot_sweep)).set_index("kpi")
    effects = []
    for seed in (1, 2, 3):
        runs = {}
        for job in jobs:
            if job.seed == seed:
                o = pd.read_parquet(job.run_dir / "orders.parquet")  # type: ignore[operator]
                o = o[(o["created_h"] >= 24.0) & (o["region"] == "southeast")]
                runs[job.name("routing")] = o["cost"].mean()
        effects.append(runs["pilot"] - runs["nearest"])
    assert pilots.loc["cost_per_order", "regional_effect"] == pytest.approx(np.mean(effects))
