"""The state snapshot: what it holds (only what the OMS knows), its files, and the reader's checks.

Leak test: two runs identical up to the snapshot hour and different after it (an unforecast storm
after it, lost parcels declared later: both settled at pickup, i.e. already decided for parcels
in transit at the snapshot) must write byte-identical snapshots, although their orders open at
the snapshot end differently.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scenarios.build import build
from scenarios.errors import ConfigError, SnapshotError
from scenarios.world import World
from sim.config.compose import load_config, load_policies
from sim.config.validate import validate
from sim.engine.snapshot_state import ORDER_COLUMNS, STAGES, SnapshotRequest, SnapshotState
from sim.io.snapshot import MANIFEST_FILE, TABLES, write_snapshot
from sim.io.snapshot_read import read_snapshot
from sim.nowcast.nowcast import NowcastRequest, run_nowcast
from sim.runner import simulate

SNAPSHOT_H = 60.0
BASE = ("scenario=storm", "horizon_days=4", "warmup_days=1")
# after the snapshot only: an unforecast storm from hour 70 (it delays parcels already in transit
# at the snapshot, settled at their pickup) and lost parcels declared lost later (never before
# the snapshot: declared >= shipped + transit + 72 h either way)
DIFFERENT_AFTER = (
    "scenario.weather.storms=[{region:southeast,start_h:70.0,duration_h:48.0,severity:0.95,"
    "forecast:false}]",
    "scenario.costs.lost_parcel_detect_h=100",
)
# what the OMS cannot know at the snapshot: the future, the truth and the random draws
FORBIDDEN = {
    "delivered_h",
    "transit_h",
    "storm_delay_h",
    "lost",
    "lost_declared_h",
    "track_gap_start_h",
    "expectation_extra_h",
    "pseudo_urgent",
    "customer_cancels",
    "cost",
    "u_pick",
    "u_transit",
    "u_loss",
    "u_scan_gap",
    "u_gap_start",
    "u_return",
}


def _run(*overrides: str) -> tuple[World, SnapshotState, dict[str, np.ndarray]]:
    cfg = load_config(*BASE, *overrides)
    world = build(cfg["scenario"])
    routing, monitoring = load_policies(cfg, world)
    got: list[SnapshotState] = []
    result = simulate(
        cfg, world, routing, monitoring, snapshot=SnapshotRequest(SNAPSHOT_H, got.append)
    )
    return world, got[0], result.orders


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("snapshots")
    world, state, orders = _run()
    world_b, state_b, orders_b = _run(*DIFFERENT_AFTER)
    return {
        "world": world,
        "state": state,
        "orders": orders,
        "orders_b": orders_b,
        "a": write_snapshot(state, world, 1, folder / "a"),
        "b": write_snapshot(state_b, world_b, 1, folder / "b"),
    }


def test_snapshot_is_identical_when_only_the_future_differs(runs: dict[str, Any]) -> None:
    a, b = runs["orders"], runs["orders_b"]
    open_ids = runs["state"].orders["order_id"]
    assert not np.array_equal(
        a["delivered_h"][open_ids], b["delivered_h"][open_ids], equal_nan=True
    )
    for name in [MANIFEST_FILE, *(f for f, _ in TABLES.values())]:
        assert (runs["a"] / name).read_bytes() == (runs["b"] / name).read_bytes(), name


def test_open_orders_are_exactly_those_open_at_the_snapshot(runs: dict[str, Any]) -> None:
    orders, state = runs["orders"], runs["state"]
    created = orders["created_h"] <= SNAPSHOT_H
    delivered = orders["delivered_h"] <= SNAPSHOT_H
    cancelled = orders["cancelled_h"] <= SNAPSHOT_H
    expected = orders["order_id"][created & ~delivered & ~cancelled]
    np.testing.assert_array_equal(np.sort(expected), state.orders["order_id"])
    stages = set(np.asarray(STAGES)[state.orders["stage"]])
    assert {"queued", "at_dock", "in_transit"} <= stages  # a busy network at 60 h


def test_only_whitelisted_columns_are_written(runs: dict[str, Any]) -> None:
    columns = set(pq.read_schema(runs["a"] / "orders.parquet").names)
    documented = {"product_class" if c == "product" else c for c in ORDER_COLUMNS}
    assert columns == documented
    assert not columns & FORBIDDEN
    doc = (Path(__file__).resolve().parents[1] / "docs" / "snapshot.md").read_text()
    for table, (file_name, table_columns) in TABLES.items():
        on_disk = pq.read_schema(runs["a"] / file_name).names
        for column in on_disk:  # every column of every table is documented
            assert f"`{column}`" in doc, (table, column)
        assert len(on_disk) == len(table_columns)


def test_reader_gives_back_what_was_written(runs: dict[str, Any]) -> None:
    snapshot = read_snapshot(runs["a"], runs["world"])
    assert (snapshot.scenario, snapshot.seed) == ("storm", 1)
    state = runs["state"]
    for table in TABLES:
        for column, values in getattr(state, table).items():
            got = getattr(snapshot.state, table)[column]
            np.testing.assert_array_equal(got, values, err_msg=f"{table}.{column}")


def _broken(src: Path, dst: Path, table: str, change: Any) -> Path:
    shutil.copytree(src, dst)
    path = dst / TABLES[table][0]
    frame = pq.read_table(path).to_pandas()
    change(frame)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return dst


def _set(column: str, row: int, value: Any) -> Any:
    def change(frame: Any) -> None:
        frame[column] = frame[column].astype(object) if isinstance(value, str) else frame[column]
        frame.loc[row, column] = value

    return change


BROKEN_TABLES = [
    ("orders", lambda f: f.pop("promised_h"), "header: missing column 'promised_h'"),
    (
        "orders",
        _set("stage", 3, "lost_in_space"),
        "row 4, column stage: expected one of the scenario's stages",
    ),
    ("orders", _set("created_h", 5, -2.0), "row 6, column created_h: expected hours >= 0"),
    (
        "orders",
        _set("created_h", 5, 1e6),
        "row 6, column created_h: expected hours <= the snapshot",
    ),
    (
        "orders",
        _set("warehouse", 2, "atlantis"),
        "row 3, column warehouse: expected one of the scenario's warehouses",
    ),
    (
        "orders",
        _set("region", 2, "mars"),
        "row 3, column region: expected one of the scenario's regions",
    ),
    (
        "orders",
        _set("mode", 2, "teleport"),
        "row 3, column mode: expected one of the scenario's modes",
    ),
    ("orders", _set("items", 1, 0), "row 2, column items: expected an integer >= 1"),
    (
        "orders",
        lambda f: f.loc.__setitem__((1, "order_id"), f["order_id"][0]),
        "row 2, column order_id: expected each order once",
    ),
    (
        "stock",
        lambda f: f.loc.__setitem__((1, "product_class"), f["product_class"][0]),
        "row 2, column product_class: expected one row per warehouse and product",
    ),
    ("forecasts", lambda f: None, None),  # untouched: still reads
]


@pytest.mark.parametrize(("table", "change", "message"), BROKEN_TABLES)
def test_bad_tables_are_one_line(
    runs: dict[str, Any], tmp_path: Path, table: str, change: Any, message: str | None
) -> None:
    folder = _broken(runs["a"], tmp_path / "s", table, change)
    if message is None:
        read_snapshot(folder, runs["world"])
        return
    with pytest.raises(SnapshotError) as err:
        read_snapshot(folder, runs["world"])
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith(str(folder / TABLES[table][0]))
    assert message in text


def test_stage_needs_its_time(runs: dict[str, Any], tmp_path: Path) -> None:
    stage = runs["state"].orders["stage"]
    row = int(np.flatnonzero(stage == STAGES.index("in_transit"))[0])
    folder = _broken(runs["a"], tmp_path / "s", "orders", _set("shipped_h", row, np.nan))
    with pytest.raises(SnapshotError, match=rf"row {row + 1}, column shipped_h: expected the hour"):
        read_snapshot(folder, runs["world"])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"format_version": 2}, r"format_version: expected 1 \(this ordertwin\), got 2"),
        ({"snapshot_h": -1}, "snapshot_h: expected hours >= 0"),
        ({"scenario": "../etc"}, "scenario: expected a scenario name"),
        ({"seed": "one"}, "seed: expected an integer >= 0"),
    ],
)
def test_bad_manifest_is_one_line(
    runs: dict[str, Any], tmp_path: Path, edit: dict[str, Any], message: str
) -> None:
    folder = tmp_path / "s"
    shutil.copytree(runs["a"], folder)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    (folder / MANIFEST_FILE).write_text(json.dumps({**manifest, **edit}))
    with pytest.raises(SnapshotError, match=message):
        read_snapshot(folder, runs["world"])


def test_hostile_files_are_refused(runs: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "s"
    shutil.copytree(runs["a"], folder)
    (folder / "pickers.parquet").write_bytes(
        b"\x80\x04cos\nsystem\n(S'echo pwned'\ntR."
    )  # a pickle
    with pytest.raises(SnapshotError, match="pickers.parquet: expected a parquet table"):
        read_snapshot(folder, runs["world"])
    (folder / "pickers.parquet").unlink()
    (folder / "pickers.parquet").symlink_to(runs["a"] / "pickers.parquet")
    with pytest.raises(SnapshotError, match="symbolic link"):
        read_snapshot(folder, runs["world"])
    (folder / MANIFEST_FILE).write_text('{"format": NaN}')
    with pytest.raises(SnapshotError, match="manifest.json: expected a JSON object"):
        read_snapshot(folder, runs["world"])


def test_snapshot_hour_is_checked_like_other_keys() -> None:
    with pytest.raises(ConfigError, match=r"export.snapshot_at_h: expected an hour in \[0, 96\) "):
        load_config(*BASE, "export.snapshot_at_h=96")  # composing validates
    validate(load_config(*BASE, "export.snapshot_at_h=95.5"))


def test_identical_snapshots_give_identical_nowcasts(runs: dict[str, Any]) -> None:
    def nowcast(folder: Path) -> Any:
        request = NowcastRequest(folder, "storm", days=2, replications=3, driver_replications=0)
        return run_nowcast(request).table

    pd.testing.assert_frame_equal(nowcast(runs["a"]), nowcast(runs["b"]))
