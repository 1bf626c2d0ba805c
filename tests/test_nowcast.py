"""``ordertwin-nowcast``: the risk list, its statistics, drivers, the what-ifs and bad input."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from scenarios.build import build
from sim.cli.nowcast import main, what_if_line
from sim.config.compose import load_config, load_policies
from sim.engine import run
from sim.engine.simulation import Simulation
from sim.engine.snapshot_state import STAGE_CODE, SnapshotRequest, SnapshotState
from sim.io.snapshot import write_snapshot
from sim.io.snapshot_read import read_snapshot
from sim.nowcast.nowcast import NowcastRequest, paired, run_nowcast
from sim.nowcast.outputs import write_outputs
from sim.nowcast.replicate import Outcomes
from sim.nowcast.risk import Tiers, drivers, wilson
from sim.nowcast.variants import EXPEDITABLE, AddPickers, Move
from sim.nowcast.what_ifs import WhatIfRequest

COLUMNS = [
    "order_id",
    "p_on_time",
    "p_on_time_low",
    "p_on_time_high",
    "delivery_p10_h",
    "delivery_p90_h",
    "risk_tier",
    "driver",
]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = load_config("scenario=baseline", "horizon_days=3", "warmup_days=1")
    world = build(cfg["scenario"])
    got: list[SnapshotState] = []
    run(world, *load_policies(cfg, world), seed=3, horizon_days=3, warmup_days=1,
        snapshot=SnapshotRequest(40.0, got.append))  # fmt: skip
    return write_snapshot(got[0], world, 3, tmp_path_factory.mktemp("nowcast") / "snapshot")


@pytest.fixture(scope="module")
def nowcast(snapshot: Path) -> Any:
    request = NowcastRequest(
        snapshot, "baseline", days=3, replications=6, driver_replications=3,
        tiers=Tiers(red=0.9, yellow=0.95, blue=0.99),
        what_ifs=WhatIfRequest(
            expedite_red_by="air", savable_only=True, move_queued_from="east", move_to="south",
            add_pickers="central:20@41", storm="mid_atlantic:41:48:1.0",
        ),
    )  # fmt: skip
    return run_nowcast(request)


def test_risk_list_has_every_open_order_ranked(nowcast: Any, tmp_path: Path) -> None:
    table = nowcast.table
    assert list(table.columns[: len(COLUMNS)]) == COLUMNS
    assert len(table) == nowcast.summary["open_orders"] == table["order_id"].nunique()
    assert (np.diff(table["p_on_time"]) >= 0).all()  # riskiest first
    assert (table["p_on_time_low"] <= table["p_on_time"]).all()
    assert (table["p_on_time"] <= table["p_on_time_high"]).all()
    late = table["delivery_p90_h"] > table["promised_h"]
    sure = table[table["p_on_time"] == 1.0]
    assert (sure["delivery_p90_h"] <= sure["promised_h"]).all()
    assert late.any()
    at_risk = table["risk_tier"] != "none"
    assert set(table.loc[at_risk, "driver"]) <= {"stage", "lane", "backlog", "weather", "none"}
    assert (table.loc[~at_risk, "driver"] == "").all()
    written = write_outputs(table, nowcast.summary, tmp_path / "out")
    names = {p.name for p in written}
    assert {"risk.parquet", "risk.csv", "risk.xlsx", "summary.json"} <= names
    assert len(pd.read_parquet(tmp_path / "out" / "risk.parquet")) == len(table)


def test_what_ifs_report_paired_intervals(nowcast: Any) -> None:
    expedite, move, pickers, storm = nowcast.summary["what_ifs"]
    table = nowcast.table
    red = table["risk_tier"] == "red"
    past = table["promised_h"] <= nowcast.summary["snapshot_h"]
    stage, left = table["stage"], expedite["not_acted_on"]
    # counted from the risk list, independently of the what-if's own decision
    expeditable = stage.isin(EXPEDITABLE) & (table["mode"] != "air")
    assert expedite["listed"] == red.sum() > expedite["acted_on"] > 0
    assert expedite["acted_on"] == expedite["orders"] == (red & ~past & expeditable).sum()
    assert left.get("past_promise", 0) == (red & past).sum()
    assert left.get("in_transit", 0) == (red & ~past & (stage == "in_transit")).sum()
    assert "not yet past their promise" in expedite["what_if"]
    assert move["orders"] > 0 and move["what_if"].startswith(f"move {move['orders']} of the")
    for what_if in (expedite, move):
        left = sum(what_if["not_acted_on"].values())
        assert what_if["listed"] == what_if["acted_on"] + left
    assert pickers["listed"] is pickers["acted_on"] is pickers["not_acted_on"] is None
    lines = [what_if_line(w) for w in nowcast.summary["what_ifs"]]
    assert all(f"{n} {reason}" in lines[0] for reason, n in expedite["not_acted_on"].items())
    assert "on the whole network" in lines[3] and "\n" not in "".join(lines)
    assert "add 20 pickers at central" in pickers["what_if"]
    for what_if in (expedite, move, pickers, storm):
        for key in ("late_orders_saved", "cost_added_usd"):
            d = what_if[key]
            assert d["low"] <= d["mean"] <= d["high"] and d["replications"] == 6
    assert expedite["cost_added_usd"]["low"] > 0  # air costs more than the modes it replaces
    # a storm that stops the carriers at east's dock for two days loses orders on every seed
    assert storm["late_orders_saved"]["high"] < 0


def test_move_takes_stock_where_it_goes_and_gives_it_back_where_it_was(snapshot: Path) -> None:
    world = build(load_config("scenario=baseline")["scenario"])
    state = read_snapshot(snapshot, world).state
    o, s = state.orders, state.stock
    queued = np.flatnonzero((o["stage"] == STAGE_CODE["queued"]) & (o["warehouse"] == 0))
    move = Move(tuple(o["order_id"][queued].tolist()), 1)
    _, after = move(world, state)
    moved = queued[after.orders["warehouse"][queued] == 1]
    assert len(moved) == len(queued) > 0
    assert (after.orders["queued_h"][moved] == state.snapshot_h).all()
    delta = after.stock["allocated_since_sync"] - s["allocated_since_sync"]
    for w, sign in ((1, 1), (0, -1)):
        for p in range(len(world.product_classes)):
            units = o["items"][moved][o["product"][moved] == p].sum()
            at = (s["warehouse"] == w) & (s["product"] == p)
            assert delta[at].sum() == sign * units
    # a warehouse without the units takes none
    empty = {**s, "allocated_since_sync": s["synced_units"].copy()}
    none = Move(move.order_ids, 1).decide(world, dataclasses.replace(state, stock=empty))
    assert (none.reason == "no_stock_at_target").all()


def test_added_pickers_come_at_their_hour() -> None:
    cfg = load_config("scenario=baseline")
    world = build(cfg["scenario"])
    world, _ = AddPickers(0, 5, 30.0)(world, None)  # type: ignore[arg-type]
    sim = Simulation(world, *load_policies(cfg, world), seed=1, horizon_days=2)
    east = sim.warehouses[0]
    base = world.warehouses[0].shifts[0].pickers
    assert east.pickers_on(29.0) == base  # the night shift, before the added pickers come
    assert east.pickers_on(30.0) == base + 5  # the 06:00 shift, from hour 30
    extra = base  # the first added picker
    assert east.hours_until_on(extra, 10.0) == 20.0  # on shift at 10:00 but not yet come
    assert east.hours_until_on(extra, 31.0) == 0.0


def test_wilson_interval_matches_the_textbook() -> None:
    low, high = wilson(np.array([0, 8, 20]), 20)  # Agresti & Coull (1998) table values
    np.testing.assert_allclose(low, [0.0, 0.2188, 0.8389], atol=1e-4)
    np.testing.assert_allclose(high, [0.1611, 0.6134, 1.0], atol=1e-4)


def test_driver_is_the_factor_that_lowers_the_late_probability_most() -> None:
    seeds = np.arange(4)
    base = _outcomes(seeds, [[0, 0, 1], [0, 1, 1], [0, 0, 1], [1, 0, 1]])  # late: .75 .75 0
    lane = _outcomes(seeds[:2], [[1, 0, 1], [1, 0, 1]])  # paired on its seeds: .5 gain on order 0
    weather = _outcomes(seeds[:2], [[0, 1, 1], [0, 1, 1]])
    got = drivers(base, {"lane": lane, "weather": weather})
    assert list(got) == ["lane", "weather", "none"]
    diff = paired(np.array([3.0, 5, 4, 6]), np.array([1.0, 2, 2, 3]))
    assert diff["low"] < diff["mean"] == 2.5 < diff["high"]


def _outcomes(seeds: np.ndarray, on_time: list[list[int]]) -> Outcomes:
    ok = np.asarray(on_time, dtype=bool)
    blank = np.zeros(ok.shape)
    return Outcomes(seeds, ok, blank, ok & False, blank)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "--days: expected a number of days in (0, 60]"),
        (["--replications", "1"], "--replications: expected 2 to 100,000"),
        (["--scenario", "../x"], "--scenario: expected a name of letters"),
        (["--red-below", "0.9", "--yellow-below", "0.8"], "expected probabilities with red <="),
        (["--expedite-red-by", "rocket"], "--expedite-red-by: expected a mode of the scenario"),
        (["--move-to", "mars"], "--move-to: expected a warehouse of the scenario"),
        (["--move-to", "east"], "--orders: expected a file listing the orders"),
        (["--move-queued-from", "east"], "--move-queued-from: expected --move-to"),
        (["--add-pickers", "east:3"], "--add-pickers: expected WAREHOUSE:COUNT@HOUR"),
        (["--add-pickers", "east:3@1"], "HOUR a number >= the snapshot's hour 40"),
        (["--storm", "texas:50:0:0.5"], "--storm: expected REGION:START_H:DURATION_H:SEVERITY"),
        (["--storm", "atlantis:50:9:0.5"], "a region of the scenario: northeast"),
        (["--orders", "{missing}", "--expedite-by", "air"], "missing.csv: expected a file listing"),
        (["--orders", "{bad}", "--expedite-by", "air"], "bad.csv:3: expected an order id"),
        (["--orders", "{unknown}", "--move-to", "east"], "expected order ids open in the"),
    ],
)
def test_bad_arguments_are_one_line(
    snapshot: Path,
    args: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = {"bad": "order_id,note\n1,x\nabc,y\n", "unknown": "999999999\n"}
    for name, text in files.items():
        (tmp_path / f"{name}.csv").write_text(text)
    places = {k: str(tmp_path / f"{k}.csv") for k in ("bad", "unknown", "missing")}
    args = [a.format(**places) for a in args]
    argv = [str(snapshot), "--scenario", "baseline", *args]
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ordertwin-nowcast: error: ") and "\n" not in err
    assert message in err


def test_overrides_may_follow_the_options(
    snapshot: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a Hydra override after the options reaches the config (here: refused by name, one line)
    with pytest.raises(SystemExit):
        main([str(snapshot), "--scenario", "baseline", "--replications", "2", "scenario.nope=1"])
    err = capsys.readouterr().err.strip()
    assert "scenario.nope" in err and "unrecognized arguments" not in err and "\n" not in err


def test_bad_snapshot_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([str(tmp_path), "--scenario", "baseline", "--replications", "2"])
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ordertwin-nowcast: error: {tmp_path / 'manifest.json'}: expected")
