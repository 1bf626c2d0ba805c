"""CO2e per order: hand-computed parcels, unknown inputs flagged (never 0), the KPI."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.emissions import co2e_kg
from tests.helpers import run_config, world_of

SHORT = ("horizon_days=1", "warmup_days=0.25", "progress=false")


def _one(world, region: str, warehouse: str, mode: str, product: str, items: int) -> float:
    """The engine's CO2e of one shipped, not lost parcel on a baseline lane."""
    kg = co2e_kg(
        world.emissions,
        np.array([True]),
        np.array([world.mode_index(mode)]),
        np.array([world.regions.index(region)]),
        np.array([world.warehouse_names.index(warehouse)]),
        np.array([items]),
        np.array([world.product_classes.index(product)]),
        np.array([False]),
    )
    return float(kg[0])


def test_one_ground_and_one_air_parcel_by_hand() -> None:
    """Baseline inputs (conf/scenario/baseline.yaml), worked on paper:

    ground, mid_atlantic <- south is zone 3 = 363 km; 2 home items of 1.5 kg = 3 kg:
        0.003 t x 363 km x 0.15 kg/tkm = 0.16335, + 0.2 last mile = 0.36335 kg
    air, pacific <- east is zone 8 = 3702 km; 1 electronics item of 1.2 kg:
        0.0012 t x 3702 km x 1.58 kg/tkm = 7.018992, + 0.2 last mile = 7.218992 kg
    """
    world = world_of("scenario=baseline")
    assert _one(world, "mid_atlantic", "south", "ground", "home", 2) == pytest.approx(0.36335)
    assert _one(world, "pacific", "east", "air", "electronics", 1) == pytest.approx(7.218992)


def test_a_located_lane_overrides_its_zone_and_a_lost_parcel_travels_twice() -> None:
    world = world_of("scenario=baseline", "+scenario.regions.pacific.distance_km_to={east: 4000}")
    assert _one(world, "pacific", "east", "air", "electronics", 1) == pytest.approx(
        0.0012 * 4000 * 1.58 + 0.2
    )
    lost = co2e_kg(world.emissions, *(np.array([v]) for v in (True, 0, 0, 0, 1, 0, True)))
    # ground (mode 0), northeast (0) <- east (0) is zone 2 = 121 km, one apparel item of 0.5 kg
    assert lost[0] == pytest.approx(2 * 0.0005 * 121 * 0.15 + 0.2)


def test_every_shipped_mmc_order_by_hand() -> None:
    """mmc: one item of 1 kg on its one 40 km ground lane: 0.001 x 40 x 0.15 + 0.2 = 0.206 kg per
    shipped order; an order never shipped (cancelled at checkout) moved nothing."""
    result = run_config("scenario=mmc", *SHORT, "scenario.service_levels.standard.cancel_p=0.1")
    o = result.orders
    shipped = ~np.isnan(o["shipped_h"])
    assert shipped.any() and (~shipped).any()
    assert np.allclose(o["co2e_kg"][shipped], 0.206, rtol=0, atol=1e-12)
    assert (o["co2e_kg"][~shipped] == 0.0).all()
    assert result.kpis["co2e_kg_per_order"] == pytest.approx(0.206)
    assert result.kpis["co2e_unknown_orders"] == 0


def test_unknown_distance_is_missing_and_counted_never_zero() -> None:
    """Break it on purpose: lanes without a distance give NaN and a count, not 0 kg; the KPI
    averages the known ones only."""
    result = run_config(
        "scenario=baseline",
        *SHORT,
        "scenario.emissions.distance_km_by_zone=[]",
        "+scenario.regions.northeast.distance_km_to={east: 121, south: 725, central: 725, "
        "west: 3702}",
    )
    o, k = result.orders, result.kpis
    shipped = ~np.isnan(o["shipped_h"])
    created, meta = o["created_h"], result.meta
    cohort = (created >= meta["warmup_h"]) & (created < meta["horizon_h"])
    known = o["region"] == "northeast"
    assert np.isnan(o["co2e_kg"][shipped & ~known]).all()
    assert (o["co2e_kg"][shipped & known] > 0.2).all()
    assert k["co2e_unknown_orders"] == int((shipped & ~known & cohort).sum()) > 0
    assert k["co2e_kg_per_order"] == pytest.approx(
        float(np.mean(o["co2e_kg"][shipped & known & cohort]))
    )


def test_no_emission_inputs_leave_every_shipped_order_unknown() -> None:
    kg = co2e_kg(None, *(np.array([v, v]) for v in (True, 0, 0, 0, 1, 0, False)))
    assert np.isnan(kg).all()
