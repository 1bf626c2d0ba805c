"""ordertwin-tune: parameters tuned on common random numbers, the best written as a config."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.cli import tune
from sim.tuning.search import Param


def test_param_specs_parse_and_bad_ones_say_what_is_expected(
    capsys: pytest.CaptureFixture[str],
) -> None:
    p = Param.parse("routing.economy_slack_h=float:0:48")
    assert (p.key, p.kind, p.low, p.high, p.log) == (
        "routing.economy_slack_h",
        "float",
        0,
        48,
        False,
    )
    assert Param.parse("x=int:1:9:log").log
    assert Param.parse("y=choice:air,ground").choices == ("air", "ground")
    with pytest.raises(ValueError, match="KEY=float:LOW:HIGH"):
        Param.parse("routing.x=float:1")
    with pytest.raises(SystemExit) as exit_info:  # the command says the same, as a usage error
        tune.parse_args(["--param", "routing.x=float:1"])
    assert exit_info.value.code == 2
    assert "expected KEY=float:LOW:HIGH" in capsys.readouterr().err


def test_tune_finds_more_pickers_cut_the_wait_and_writes_a_usable_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tuned"
    code = tune.main(
        [
            "scenario=mmc",
            "horizon_days=2",
            "warmup_days=0.5",
            "scenario.demand.base_rate_per_h=30",
            "scenario.warehouses.main.pickers=5",  # the untuned reference, inside the range
            "--param", "scenario.warehouses.main.pickers=int:4:9",
            "--objective", "pick_wait_mean_h",
            "--at-most", "cost_per_order=1000",
            "--seeds", "2",
            "--trials", "5",
            "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 5 and trials["feasible"].all()
    best = trials.loc[trials["pick_wait_mean_h"].idxmin(), "scenario.warehouses.main.pickers"]
    tuned = yaml.safe_load((out / "scenario" / "mmc_tuned.yaml").read_text())
    assert tuned["name"] == "mmc_tuned"
    assert tuned["warehouses"]["main"]["pickers"] == best
    assert best == trials["scenario.warehouses.main.pickers"].max()  # more pickers, less wait
    assert "on fresh seeds" in capsys.readouterr().out


def test_unreachable_constraints_give_no_config(tmp_path: Path) -> None:
    code = tune.main(
        [
            "scenario=mmc",
            "horizon_days=1",
            "warmup_days=0.5",
            "--param", "scenario.warehouses.main.pickers=int:2:4",
            "--at-least", "nps=101",
            "--seeds", "1",
            "--trials", "2",
            "--out", str(tmp_path / "none"),
        ]
    )  # fmt: skip
    assert code == 1 and not (tmp_path / "none").exists()


def test_a_co2e_ceiling_is_a_constraint_that_binds(tmp_path: Path) -> None:
    """mmc ships every order one 40 km ground lane: 0.206 kg each (tests/test_co2e.py), whatever
    the pickers. A ceiling above it lets every trial through; one below it none."""
    run = [
        "scenario=mmc",
        "horizon_days=1",
        "warmup_days=0.5",
        "scenario.warehouses.main.pickers=3",
    ]
    tuning = ["--param", "scenario.warehouses.main.pickers=int:2:4", "--objective",
              "pick_wait_mean_h", "--seeds", "1", "--trials", "2"]  # fmt: skip
    out = tmp_path / "loose"
    assert tune.main([*run, *tuning, "--at-most", "co2e_kg_per_order=0.21", "--out", str(out)]) == 0
    trials = pd.read_csv(out / "trials.csv")
    assert trials["feasible"].all() and (trials["co2e_kg_per_order"].round(9) == 0.206).all()
    tight = tmp_path / "tight"
    assert (
        tune.main([*run, *tuning, "--at-most", "co2e_kg_per_order=0.2", "--out", str(tight)]) == 1
    )
    assert not tight.exists()


def test_a_constraint_on_an_unknown_kpi_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = tune.main(["--param", "x=int:1:2", "--at-most", "co2_per_order=1"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--at-most: expected KPI=NUMBER with a KPI" in err[0]
    assert "co2e_kg_per_order" in err[0] and "co2_per_order" in err[0]


@pytest.mark.parametrize(
    "option", [["--at-most", "mode_share_zeppelin=0.1"], ["--objective", "mode_share_zeppelin"]]
)
def test_a_per_mode_kpi_for_a_mode_the_scenario_lacks_is_one_line(
    option: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The registry takes any mode's share; a run has only its scenario's modes, so the first
    trial ended in a KeyError traceback. Refused before any trial, naming the modes."""
    out = tmp_path / "tuned"
    code = tune.main(["--param", "routing.economy_slack_h=float:0:48", *option, "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"ordertwin-tune: error: {option[0]}: expected a mode of the scenario "
        "(air, economy, ground), got 'zeppelin'"
    ]
    assert not out.exists()


def test_a_per_mode_kpi_for_a_mode_the_scenario_has_is_accepted() -> None:
    from argparse import Namespace

    from sim.cli.tune import check_modes

    args = Namespace(overrides=[], objective="mode_share_air", at_least=[], at_most=["nps=1"])
    check_modes(args)  # no error: air is one of baseline's modes
