"""Start a run from a snapshot: every open order where the snapshot says, its future drawn afresh.

The simulation's clock starts at the snapshot's hour. Open orders take the first ids, in order of
creation, and are put in the container their stage names (the allocation wave, a back-order
list, a pick queue, a picker's hands, a dock, a carrier's truck); stock starts at the OMS's
estimate, purchase orders as booked, carriers with today's bookings. What the snapshot cannot
know is drawn: the rest of a pick or a transit *conditionally on the time already spent in it*
(:meth:`~scenarios.distributions.Distribution.remaining`), each order's draws keyed by (seed,
order id, stage) (:mod:`sim.engine.keyed_draws`), so that what-ifs on one snapshot share random
numbers order by order. New demand comes from the scenario's own streams from the snapshot on.

Weather is conditioned on what the snapshot knows: the storms observed so far replace the
replication's past (one still going lasts the rest of its duration, drawn given how long it has
lasted); the replication's own future random storms that it would have forecast by the snapshot
are dropped — the snapshot says which forecasts were out —, and each forecast of the snapshot
not yet explained by an observed or scripted storm becomes a true storm with the scenario's hit
rate (``1 - false_alarm_ratio``), its start (not before now), severity and duration drawn around
the prediction with the forecast's own error spread; a forecast long overdue with nothing seen
is taken as a false alarm. The scenario's future scripted storms stay (they are its assumption).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from scenarios.world import World
from sim.engine.contract import Stage
from sim.engine.demand import BASE_DEMAND
from sim.engine.keyed_draws import keyed_uniforms
from sim.engine.snapshot_state import STAGE_CODE, STAGES, SnapshotState
from sim.engine.warehouse import HIGH_PRIORITY, NORMAL_PRIORITY
from sim.engine.weather import Forecasts, StormTimeline

Simulation = Any  # the simulation imports this module; typed loosely to keep the layers acyclic
SCRIPTED_MATCH_H = 24.0  # a forecast this close to a scripted storm over its region foretells it
WAITING = ("created", "held", "rerouting")  # routed again at the first allocation wave
# each step's time, kept for the stages that have reached it
STEP_REACHED = {
    "routed_h": ("rerouting", "backordered", "queued", "picking", "at_dock", "in_transit"),
    "queued_h": ("queued", "picking", "at_dock", "in_transit"),
    "pick_start_h": ("picking", "at_dock", "in_transit"),
    "picked_h": ("at_dock", "in_transit"),
    "shipped_h": ("in_transit",),
}


def condition_weather(
    world: World, storms: StormTimeline, forecasts: Forecasts, state: SnapshotState, seed: int
) -> tuple[StormTimeline, Forecasts]:
    """The replication's weather made consistent with what the snapshot knows of it."""
    w, now, f = world.weather, state.snapshot_h, state.forecasts
    seen = _observed(world, state, seed)
    known = forecasts.issued_h <= now
    foretold = np.zeros(len(storms.region), dtype=bool)
    linked = forecasts.true_storm[known]
    foretold[linked[linked >= 0]] = True
    scripted = _scripted(world, storms)
    # the past is observed; a future random storm forecast by now would be in the snapshot
    keep = (storms.start_h > now) & (scripted | ~foretold)
    k = np.arange(len(f["region"]), dtype=np.int64)
    real = keyed_uniforms(seed, k, "forecast", "hit") >= w.false_alarm_ratio
    real &= ~_explained(f, storms.region, storms.start_h, storms.end_h, scripted & keep)
    real &= ~_explained(f, seen["region"], seen["start_h"], seen["end_h"])
    lead_days = np.maximum(f["start_h"] - f["issued_h"], 0.0) / 24.0
    start_sd = w.forecast_start_sd_h_per_lead_day * lead_days
    real &= f["start_h"] + start_sd > now  # due long ago and not seen: it did not come
    z_start = _normal(keyed_uniforms(seed, k, "forecast", "start"))
    z_severity = _normal(keyed_uniforms(seed, k, "forecast", "severity"))
    start = np.maximum(f["start_h"] + start_sd * z_start, now)
    duration = w.storm_duration.quantile(keyed_uniforms(seed, k, "forecast", "duration"))
    severity = np.clip(f["severity"] + w.forecast_severity_sd * z_severity, w.severity_min, 1.0)
    region = np.concatenate([storms.region[keep], seen["region"], f["region"][real]])
    start_h = np.concatenate([storms.start_h[keep], seen["start_h"], start[real]])
    end_h = np.concatenate([storms.end_h[keep], seen["end_h"], (start + duration)[real]])
    sev = np.concatenate([storms.severity[keep], seen["severity"], severity[real]])
    order = np.argsort(start_h, kind="stable")
    timeline = StormTimeline(
        region[order].astype(np.int64), start_h[order], end_h[order], sev[order]
    )
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    # forecast -> its storm in the new timeline (-1: a false alarm, or not carried over)
    old_to_new = np.full(len(storms.region) + 1, -1, dtype=np.int64)
    old_to_new[np.flatnonzero(keep)] = position[: int(keep.sum())]
    own = ~known
    own_storm = old_to_new[forecasts.true_storm[own]]  # index -1 reads the last entry: -1
    snap_storm = np.full(len(k), -1, dtype=np.int64)
    snap_storm[real] = position[len(order) - int(real.sum()) :]
    merged = Forecasts(
        region=np.concatenate([f["region"], forecasts.region[own]]).astype(np.int64),
        issued_h=np.concatenate([f["issued_h"], forecasts.issued_h[own]]),
        start_h=np.concatenate([f["start_h"], forecasts.start_h[own]]),
        end_h=np.concatenate([f["end_h"], forecasts.end_h[own]]),
        severity=np.concatenate([f["severity"], forecasts.severity[own]]),
        true_storm=np.concatenate([snap_storm, own_storm]),
    )
    return timeline, merged


def _observed(world: World, state: SnapshotState, seed: int) -> dict[str, np.ndarray]:
    """The snapshot's observed storms; one still going ends after the rest of its duration,
    drawn given how long it has lasted."""
    o = state.storms
    if not o:
        empty = np.zeros(0)
        return {
            "region": empty.astype(np.int64),
            "start_h": empty,
            "end_h": empty,
            "severity": empty,
        }
    now = state.snapshot_h
    k = np.arange(len(o["region"]), dtype=np.int64)
    rest = world.weather.storm_duration.remaining(
        now - o["start_h"], keyed_uniforms(seed, k, "storm", "duration")
    )
    end = np.where(np.isnan(o["end_h"]), now + rest, o["end_h"])
    return {**o, "end_h": end}


def _scripted(world: World, storms: StormTimeline) -> np.ndarray:
    """Per storm of the timeline: True for the scenario's scripted storms."""
    out = np.zeros(len(storms.region), dtype=bool)
    for s in world.weather.scripted:
        out |= (storms.region == s.region) & (storms.start_h == s.start_h)
    return out


def _explained(
    f: dict[str, np.ndarray],
    region: np.ndarray,
    start_h: np.ndarray,
    end_h: np.ndarray,
    which: np.ndarray | None = None,
) -> np.ndarray:
    """Per snapshot forecast: True if one of the storms (``which`` of them) over its region falls
    within a day of its predicted window and had not begun when it was issued — that storm's
    forecast, which needs no second storm. (A forecast issued once a storm is under way is of
    another one: after a long storm the next one's forecast must not be taken for it.)"""
    out = np.zeros(len(f["region"]), dtype=bool)
    chosen = range(len(region)) if which is None else np.flatnonzero(which).tolist()
    for i in chosen:
        out |= (
            (f["region"] == region[i])
            & (f["issued_h"] <= start_h[i])
            & (f["start_h"] - SCRIPTED_MATCH_H < end_h[i])
            & (f["end_h"] + SCRIPTED_MATCH_H > start_h[i])
        )
    return out


def _normal(u: np.ndarray) -> np.ndarray:
    from scipy import special  # (numpy has no inverse normal CDF)

    return np.asarray(special.ndtri(u))


def in_engine_order(state: SnapshotState) -> SnapshotState:
    """``state`` with its open orders in the order they take engine ids (by creation, then id):
    row ``k`` of the result is engine order ``k`` of a run started from it."""
    o = state.orders
    rank = np.lexsort((o["order_id"], o["created_h"]))
    if (rank == np.arange(len(rank))).all():
        return state
    return dataclasses.replace(state, orders={k: np.asarray(v)[rank] for k, v in o.items()})


def place(sim: Simulation, state: SnapshotState, seed: int) -> np.ndarray:
    """Put the snapshot's open orders, stock, purchase orders and bookings into ``sim`` (built,
    not yet run, its clock at the snapshot); returns the snapshot's order ids by engine id."""
    rows = in_engine_order(state).orders
    n, now = len(rows["order_id"]), state.snapshot_h
    ids = np.arange(n, dtype=np.int64)
    stage_name = np.asarray(STAGES)[rows["stage"].astype(np.int64)]
    keys = rows["order_id"]

    def draw(purpose: str) -> np.ndarray:
        return _stage_keyed(seed, keys, stage_name, purpose)

    _put_orders(sim, rows, draw, n)
    _put_stock(sim, state)
    book = sim.book
    routed = rows["warehouse"] >= 0
    book.warehouse[:n] = rows["warehouse"]
    book.mode[:n] = rows["mode"]
    book.zone[:n] = np.where(
        routed, sim.world.zone[rows["region"], np.maximum(rows["warehouse"], 0)], 0
    )
    code = rows["stage"]
    for name, reached_from in STEP_REACHED.items():  # a step the stage has not reached: none
        reached = np.isin(code, [STAGE_CODE[s] for s in reached_from])
        getattr(book, name)[:n] = np.where(reached, rows[name], np.nan)
    book.reroutes[:n] = rows["reroutes"]
    for name in ("backordered", "prioritised", "expedited"):
        getattr(book, name)[:n] = rows[name]
    book.released_h[:n] = rows["created_h"]
    for i in ids[np.isin(code, [STAGE_CODE[s] for s in WAITING])].tolist():
        book.stage[i] = Stage.WAITING_ROUTE
        if code[i] == STAGE_CODE["rerouting"] and rows["warehouse"][i] >= 0:
            sim._excluded[i] = {int(rows["warehouse"][i])}
        sim._reroutes.append((now, i))
    for i in ids[code == STAGE_CODE["backordered"]].tolist():
        sim.warehouses[rows["warehouse"][i]].backorder(i)
    queued = ids[code == STAGE_CODE["queued"]]
    for i in queued[np.argsort(rows["queued_h"][queued], kind="stable")].tolist():
        priority = HIGH_PRIORITY if rows["prioritised"][i] else NORMAL_PRIORITY
        sim.warehouses[rows["warehouse"][i]].enqueue(i, priority)
    book.queued_h[:n] = rows["queued_h"]  # enqueue stamped now: keep when it really queued
    _resume_picks(sim, rows, ids[code == STAGE_CODE["picking"]], now, draw("pick"))
    docked = ids[code == STAGE_CODE["at_dock"]]
    docked = docked[np.argsort(rows["picked_h"][docked], kind="stable")]
    book.stage[docked] = Stage.PACKED
    _charge_picks(sim, docked)
    for i in docked.tolist():
        sim.carriers.add_packed(i)
    moving = ids[code == STAGE_CODE["in_transit"]]
    _charge_picks(sim, moving)
    _settle_transit(sim, rows, moving, now, draw("transit"))
    sim.carriers.shipped_today[:] = _bookings(sim, state)
    return keys


def _stage_keyed(seed: int, keys: np.ndarray, stage_name: np.ndarray, purpose: str) -> np.ndarray:
    """Each order's uniform for ``purpose``, keyed by its id and the stage it is drawn in."""
    out = np.empty(len(keys))
    for name in np.unique(stage_name).tolist():
        mine = stage_name == name
        out[mine] = keyed_uniforms(seed, keys[mine], name, purpose)
    return out


def _put_orders(sim: Simulation, rows: dict[str, np.ndarray], draw: Any, n: int) -> None:
    """The orders' columns at ids 0..n-1 (hidden truth neutral: no expectation, no cancel)."""
    costs = sim.world.costs
    sim.window.open(n)
    columns = {
        "created_h": rows["created_h"],
        "burst": np.full(n, BASE_DEMAND),
        **{k: rows[k] for k in ("region", "product", "items", "value_usd", "margin_usd")},
        **{k: rows[k] for k in ("channel", "service_level", "urgent", "vip", "signal")},
        "expectation_extra_h": np.zeros(n),
        "pseudo_urgent": np.zeros(n, dtype=bool),
        "customer_cancels": np.zeros(n, dtype=bool),
        **{f"u_{p}": draw(p) for p in ("pick", "transit", "scan_gap", "gap_start")},
        **{f"u_{p}": draw(p) for p in ("loss", "return")},
    }
    sim.orders.put(0, columns)
    sim.promised_h[:n] = rows["promised_h"]
    sim._pick_cost[:n] = costs.pick_pack_charge_usd(rows["items"])
    for ops in sim.warehouses:
        ops.pick_h[:n] = ops.spec.pick_time.quantile(columns["u_pick"])
    sim.n_orders = sim._arrived = n


def _put_stock(sim: Simulation, state: SnapshotState) -> None:
    """True stock starts at the OMS's estimate (last sync minus its allocations since)."""
    s = state.stock
    n_wh, n_products = len(sim.warehouses), len(sim.world.product_classes)
    seen = np.zeros((n_wh, n_products), dtype=np.int64)
    seen[s["warehouse"], s["product"]] = s["synced_units"] - s["allocated_since_sync"]
    seen = np.maximum(seen, 0)
    for w, ops in enumerate(sim.warehouses):
        ops.restock(seen[w])
    sim.stock.restart(seen, state.stock_synced_h)
    r = state.receipts
    for w, product, units, due in zip(
        r["warehouse"].tolist(),
        r["product"].tolist(),
        r["units"].tolist(),
        r["due_h"].tolist(),
        strict=True,
    ):
        sim.warehouses[w].expect(product, units, max(due - state.snapshot_h, 0.0))


def _resume_picks(
    sim: Simulation, rows: dict[str, np.ndarray], idx: np.ndarray, now: float, u: np.ndarray
) -> None:
    """Orders being picked: the rest of the pick, conditional on how long it has lasted."""
    for i in idx.tolist():
        ops = sim.warehouses[rows["warehouse"][i]]
        law = ops.spec.handling if ops.spec.handling is not None else ops.spec.pick_time
        left = float(law.remaining(np.array([now - rows["pick_start_h"][i]]), u[i : i + 1])[0])
        ops.resume(i, left)


def _charge_picks(sim: Simulation, idx: np.ndarray) -> None:
    """Orders already packed paid their pick and pack before the snapshot."""
    cost = sim._pick_cost[idx]
    sim.book.cost_pick_usd[idx] = cost
    sim.book.charged.charge("pick", float(cost.sum()), len(idx))


def _settle_transit(
    sim: Simulation, rows: dict[str, np.ndarray], idx: np.ndarray, now: float, u: np.ndarray
) -> None:
    """Parcels in transit: delivery settled now from the rest of their transit (conditional on
    the time already on the road, less the hours storms held them), the trip's storm delay by
    the one delay model (storms observed and to come), and a loss not yet declared."""
    world, book, orders = sim.world, sim.book, sim.orders
    price = sim.carriers.price
    for m, mode in enumerate(world.modes):
        mine = idx[rows["mode"][idx] == m]
        if not len(mine):
            continue
        zones = book.zone[mine]
        reshipped = rows["reshipped_h"][mine]
        started = np.where(np.isnan(reshipped), rows["shipped_h"][mine], reshipped)
        regions = orders.region[mine]
        availability = sim.carriers.availability
        # time held up by storms so far does not count as time on the road
        held = availability.transit_delay_h(regions, mode, started, np.full(len(mine), now))
        moving = np.maximum(now - started - held, 0.0)
        whole = np.empty(len(mine))
        full = np.empty(len(mine))
        for z in np.unique(zones).tolist():
            law = mode.transit_by_zone[z - 1]
            at = zones == z
            whole[at] = moving[at] + law.remaining(moving[at], u[mine[at]])
            full[at] = law.quantile(u[mine[at]])
        # the whole trip's storm delay by the one delay model (storms seen and still to come)
        delay = availability.transit_delay_h(regions, mode, started, started + whole)
        arrive = np.maximum(started + whole + delay, now)
        was_lost = ~np.isnan(reshipped)
        lost = ~was_lost & (orders.u_loss[mine] < mode.loss_p)
        declared = arrive[lost] + world.costs.lost_parcel_detect_h
        arrive[lost] = declared + full[lost]
        book.lost[mine] = lost | was_lost
        book.lost_declared_h[mine[lost]] = declared
        book.lost_declared_h[mine[was_lost]] = reshipped[was_lost]
        extra = world.costs.pick_pack_usd + price[m, zones[lost | was_lost]]
        book.cost_exception_usd[mine[lost | was_lost]] += extra
        book.charged.charge("lost_replacement", float(extra.sum()), len(extra))
        book.stage[mine] = Stage.IN_TRANSIT
        book.delivered_h[mine] = arrive
        book.transit_h[mine] = arrive - rows["shipped_h"][mine]
        book.storm_delay_h[mine] = delay
        cost = price[m, zones]
        book.cost_transport_usd[mine] = cost
        book.charged.charge("transport", float(cost.sum()), len(mine))


def _bookings(sim: Simulation, state: SnapshotState) -> np.ndarray:
    b = state.bookings
    out = np.zeros_like(sim.carriers.shipped_today)
    out[b["warehouse"], b["mode"]] = b["shipped_today"]
    return out
