"""Streamed runs: orders drawn day by day, finished orders recorded and forgotten as the run goes.

The regression guard pins what a streamed run computes; these tests pin how: the memory behind
finished orders is given back (the span held follows orders in flight, not the horizon), growing
the columns past their first capacity changes nothing, the chunked KPIs equal the whole-table
ones, a file written while running holds the same records, and the checks that guard the
recording fail when broken on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scenarios.build import build
from sim.config.compose import load_config, load_policies
from sim.engine import Simulation
from sim.engine import simulation as simulation_module
from sim.engine.invariants import InvariantError, check_places
from sim.engine.kpi_sums import KpiSums
from sim.engine.kpis import compute_kpis
from sim.engine.sink import CollectedOrders
from sim.engine.window import Window
from sim.io.order_sink import ParquetOrders
from tests.helpers import run_config
from tests.regression import HASHES_FILE, cases, fingerprint

SHORT = ("horizon_days=4", "warmup_days=1", "progress=false")


def _simulation(*overrides: str, sink: object = None) -> Simulation:
    cfg = load_config(*overrides)
    world = build(cfg["scenario"])
    routing, monitoring = load_policies(cfg, world)
    return Simulation(
        world,
        routing,
        monitoring,
        seed=int(cfg["seed"]),
        horizon_days=float(cfg["horizon_days"]),
        warmup_days=float(cfg["warmup_days"]),
        cooldown_days=float(cfg["cooldown_days"]),
        sink=sink,  # type: ignore[arg-type]
    )


def test_memory_follows_orders_in_flight() -> None:
    """The ids held are those since the oldest order not yet shipped, and the parcels in transit
    are parked aside (a lost parcel's replacement lands ~10 days after its order): together
    about the three days orders live, not ten, and no trend with the horizon."""
    sim = _simulation("horizon_days=24", "warmup_days=1", "progress=false", "cooldown_days=2")
    held: list[int] = []
    parked: list[int] = []
    sim.progress = lambda _day: (
        held.append(sim.window.resident_ids()),
        parked.append(len(sim.parked)),
    )
    sim.env.process(sim._progress())
    result = sim.run()
    per_day = result.meta["orders_recorded"] / 24
    assert sim.n_orders > 23 * per_day
    held, parked = held[:-1], parked[:-1]  # (the last: the horizon's day drawn before recording)
    assert max(held) < 2.5 * per_day
    assert max(h + p for h, p in zip(held, parked, strict=True)) < 4 * per_day
    assert max(held[16:]) < 1.25 * max(held[8:16])  # no trend with the horizon
    assert max(parked[16:]) < 1.25 * max(parked[8:16])
    assert sim.window.released > 0.95 * sim.n_orders


@pytest.mark.parametrize("cooldown_days", [14, 0.5])
def test_parking_parcels_in_transit_changes_no_record(cooldown_days: float) -> None:
    """The same run with parcels in transit kept in the window instead of parked: the same
    records and KPIs (with a short cool-down, some parked parcels are still open at the end and
    charged as unserved)."""
    run = (*SHORT, "scenario=storm", f"cooldown_days={cooldown_days}")
    parked = _simulation(*run)
    kept = _simulation(*run)
    kept._park = False
    a, b = parked.run(), kept.run()
    assert list(a.kpis) == list(b.kpis)
    for key, value in b.kpis.items():  # sums over other chunks: equal to the last bits
        assert a.kpis[key] == pytest.approx(value, rel=1e-12, nan_ok=True), key
    assert len(a.orders["order_id"]) == len(b.orders["order_id"])
    for name, values in b.orders.items():
        equal_nan = values.dtype.kind == "f"
        assert np.array_equal(a.orders[name], values, equal_nan=equal_nan), name
    assert (a.orders["status"] == "open").any() == (cooldown_days < 1)


@pytest.mark.parametrize("name", ["livestream-nearest-health_score", "sync_lag-rules-none"])
def test_growing_the_columns_changes_nothing(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Columns mapped for almost no orders grow many times over; the records stay the pinned."""
    monkeypatch.setattr(simulation_module, "expected_orders", lambda *_: 0.0)
    monkeypatch.setattr(simulation_module, "CAPACITY_SLACK", 0.0)
    result = run_config(*SHORT, *cases()[name])
    assert fingerprint(result.orders, result.kpis) == json.loads(HASHES_FILE.read_text())[name]


def test_window_gives_pages_back_and_keeps_the_live_span() -> None:
    holder = type("Holder", (), {})()
    window = Window(100_000)
    window.add(holder, "x", np.float64, np.nan)
    window.open(50_000)
    holder.x[:50_000] = np.arange(50_000)
    window.release(30_000)
    assert np.array_equal(holder.x[30_000:50_000], np.arange(30_000, 50_000))
    window.open(250_000)  # grows: the live span is copied, new ids start at the fill
    assert np.array_equal(holder.x[30_000:50_000], np.arange(30_000, 50_000))
    assert np.isnan(holder.x[50_000:250_000]).all()


def test_chunked_kpis_equal_the_whole_table() -> None:
    result = run_config(*SHORT, "scenario=livestream", "monitoring=sla_rules")
    columns, meta = result.orders, result.meta
    whole = compute_kpis(columns, meta["warmup_h"], meta["horizon_h"], ("air", "ground", "economy"))
    sums = KpiSums(meta["warmup_h"], meta["horizon_h"])
    for lo in range(0, len(columns["order_id"]), 997):
        sums.add({k: v[lo : lo + 997] for k, v in columns.items()})
    chunked = sums.kpis(("air", "ground", "economy"))
    assert list(chunked) == list(whole)
    for key, value in whole.items():
        assert chunked[key] == pytest.approx(value, rel=1e-12, nan_ok=True), key
        assert result.kpis[key] == pytest.approx(value, rel=1e-12, nan_ok=True), key


def test_a_kpi_without_streamed_sums_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.engine import kpi_sums, kpis

    extra = kpis.Kpi("new_kpi", "new", "", "neither", "{}", lambda o: 0.0)
    monkeypatch.setattr(kpi_sums, "expand", lambda modes=(): iter([*kpis.expand(modes), extra]))
    with pytest.raises(KeyError, match="new_kpi"):
        KpiSums(0.0, 10.0).kpis()


def test_parquet_file_holds_the_collected_records(tmp_path: Path) -> None:
    collected = CollectedOrders()
    sim = _simulation(*SHORT, "scenario=storm", sink=collected)
    result = sim.run()
    written = ParquetOrders(tmp_path / "orders.parquet")
    for lo in range(0, result.meta["orders_recorded"], 5000):
        written.write({k: v[lo : lo + 5000] for k, v in collected.columns().items()})
    written.close()
    back = pd.read_parquet(tmp_path / "orders.parquet")
    mine = collected.columns()
    assert list(back.columns) == list(mine)
    for name, values in mine.items():
        got = back[name].astype(object if values.dtype == object else values.dtype).to_numpy()
        assert np.array_equal(got, values, equal_nan=values.dtype.kind == "f"), name


def test_sample_and_none_exports(tmp_path: Path) -> None:
    from sim.runner import run_from_config

    cfg = load_config(*SHORT, "export.orders=sample", "export.sample_every=10")
    kpis_sample = run_from_config(cfg, tmp_path / "sample")
    ids = pd.read_parquet(tmp_path / "sample" / "orders.parquet", columns=["order_id"])
    assert len(ids) and (ids["order_id"] % 10 == 0).all()
    cfg = load_config(*SHORT, "export.orders=none")
    kpis_none = run_from_config(cfg, tmp_path / "none")
    assert not (tmp_path / "none" / "orders.parquet").exists()
    written = json.loads((tmp_path / "none" / "kpis.json").read_text())
    assert written["orders_created"] == kpis_none["orders_created"] > 0
    # the KPIs count every order whatever is written
    assert kpis_sample == pytest.approx(kpis_none, nan_ok=True)


def test_check_places_refuses_a_recorded_order_in_a_place() -> None:
    stage = np.array([6, 6, 3, 0], dtype=np.int8)
    delivered = np.array([1.0, 1.0, np.nan, np.nan])
    check_places({"in a pick queue": [2]}, stage, delivered, 5.0, 3, first=2, drawn=4)
    with pytest.raises(InvariantError, match="already recorded"):
        check_places({"in a pick queue": [1, 2]}, stage, delivered, 5.0, 3, first=2, drawn=4)


def test_monitoring_acting_on_a_recorded_order_is_refused() -> None:
    sim = _simulation(*SHORT, "scenario=livestream", "monitoring=sla_rules")
    sim.run()
    sim.interventions.recorded_below = 10
    with pytest.raises(ValueError, match="finished and recorded"):
        sim.interventions.apply([("alert", (np.array([3, 12]), 1))])


def test_an_unknown_orders_export_is_one_clear_line() -> None:
    from scenarios.errors import ConfigError
    from sim.config.validate import validate

    with pytest.raises(ConfigError, match=r"export\.orders.*full, sample, none"):
        validate(load_config(*SHORT, "export.orders=everything"))
    with pytest.raises(ConfigError, match=r"export\.sample_every"):
        validate(load_config(*SHORT, "export.orders=sample", "export.sample_every=0"))


def test_large_scenario_keeps_utilisation_below_one() -> None:
    """~50,000 orders a day, with pick and carrier capacity that cover them (as the baseline's)."""
    from sim.engine.demand import expected_orders

    world = build(load_config("scenario=large")["scenario"])
    per_day = expected_orders(world, 28 * 24.0) / 28
    assert 45_000 < per_day < 55_000
    picker_hours = sum(
        sum(s.pickers * s.length_h for s in w.shifts) if w.shifts else w.pickers * 24.0
        for w in world.warehouses
    )
    pick_mean_h = max(w.pick_time.mean_h for w in world.warehouses)
    assert per_day * pick_mean_h / picker_hours < 0.8
    assert sum(m.daily_capacity for m in world.modes) > per_day


def test_written_run_ranks_its_p90_from_a_scratch_file(tmp_path: Path) -> None:
    """A run that writes files keeps its delivery times in a scratch file (removed after): its
    p90 is the one ``np.percentile`` gives over the written file's delivered cohort orders, and
    the file holds every order once (parked parcels after their neighbours)."""
    from sim.runner import run_from_config

    kpis = run_from_config(load_config(*SHORT, "scenario=storm"), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "kpis.json",
        "orders.parquet",
        "timeseries.parquet",
    ]
    o = pd.read_parquet(tmp_path / "orders.parquet")
    ids = o["order_id"].to_numpy()
    assert np.array_equal(np.sort(ids), np.arange(len(ids)))
    cohort = o[(o["created_h"] >= 24.0) & (o["status"] == "delivered")]
    delivery = (cohort["delivered_h"] - cohort["created_h"]).to_numpy()
    assert kpis["delivery_time_p90_h"] == np.percentile(delivery, 90)
    assert kpis["delivery_time_mean_h"] == pytest.approx(delivery.mean(), rel=1e-12)
