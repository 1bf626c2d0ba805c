"""The routers' fast paths decide exactly as the plain code they replaced.

Each fast path (the forest walk, the learned router's candidate pruning, features, risk groups
and late risk, the wave-booking shortcut, the staffing table, the storm-free estimate and the
view's storm outlook) is compared with the plain computation — kept here as the reference — on
random inputs (hypothesis) and on the waves of a short stormy run; any difference in a single
value fails. The regression guard pins the same on whole runs.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.routing import wave_ledger
from policies.routing.estimates import (
    CandidateEstimates,
    NetworkPlan,
    estimate,
)
from policies.routing.features import BASE_FEATURES, candidate_features
from policies.routing.predictive import NOT_SERVED, PredictiveRouting
from policies.routing.router_model import RESIDUAL_QUANTILES, late_probability, load_model
from scenarios.build import build
from sim.config.compose import load_config, load_policies
from sim.engine.contract import OrderBatch, RoutingDecision
from sim.engine.views import PublishedRoutingView, Readings
from sim.engine.weather import PublicForecasts
from sim.runner import simulate

FIXTURE = Path(__file__).with_name("fixtures") / "predictive_small.npz"
MODEL = load_model(FIXTURE)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the plain computations the fast paths replaced ----------------------------------------------


def plain_candidates(
    router: PredictiveRouting, orders: OrderBatch, est: CandidateEstimates
) -> tuple[np.ndarray, ...]:
    n, n_wh, n_modes = est.eta_h.shape
    serves = np.asarray(est.served & ~orders.excluded)
    serves[~serves.any(axis=1)] = est.served[~serves.any(axis=1)]
    nearest = np.where(serves, est.zone, NOT_SERVED).min(axis=1)
    serves &= est.zone <= nearest[:, None] + router.max_detour_zones
    if n_wh > router.max_warehouses:
        with warnings.catch_warnings():  # nanmin warns on warehouses that do not serve the order
            warnings.simplefilter("ignore", RuntimeWarning)
            closeness = np.where(serves, est.zone + np.nanmin(est.eta_h, axis=2) / 1e4, np.inf)
        rank = np.argsort(np.argsort(closeness, axis=1), axis=1)
        serves &= rank < router.max_warehouses
    return np.nonzero(np.broadcast_to(serves[:, :, None], (n, n_wh, n_modes)))


def plain_features(orders: Any, view: Any, est: Any, order: Any, warehouse: Any, mode: Any) -> Any:
    now = view.now_h
    n_modes = est.eta_h.shape[2]
    out = np.empty((len(order), len(BASE_FEATURES) + n_modes), dtype=np.float32)
    zone = est.zone[order, warehouse]
    transit = view.transit_mean_h[mode, zone]
    eta = est.eta_h[order, warehouse, mode] - now
    hour = 2 * np.pi * (now % 24.0) / 24.0
    columns = [
        zone,
        eta,
        eta - transit,
        transit,
        est.backlog_h[warehouse],
        est.storm_at_destination[order, warehouse, mode],
        est.storm_at_warehouse[warehouse, mode],
        view.carrier_load()[warehouse, mode],
        est.stock_short[order, warehouse],
        np.sin(hour),
        np.cos(hour),
        (now // 24.0 + view.world.start_weekday) % 7,
        orders.urgent[order],
        orders.items[order],
        orders.value_usd[order],
    ]
    for k, column in enumerate(columns):
        out[:, k] = column
    for m in range(n_modes):
        out[:, len(BASE_FEATURES) + m] = mode == m
    return out


def plain_late_probability(
    quantiles: np.ndarray, predicted: np.ndarray, slack: np.ndarray, group: np.ndarray
) -> np.ndarray:
    out = np.empty(len(predicted))
    for g in np.unique(group):
        mine = group == g
        cdf = np.interp(slack[mine] - predicted[mine], quantiles[g], RESIDUAL_QUANTILES)
        out[mine] = 1.0 - cdf
    return out


def plain_hours_until_staffed(
    starts: list[np.ndarray], ends: list[np.ndarray], now_h: float
) -> Any:
    hour = now_h % 24.0
    out = np.zeros(len(starts))
    for w, (start, end) in enumerate(zip(starts, ends, strict=True)):
        on = ((start <= hour) & (hour < end)) | ((start <= hour + 24.0) & (hour + 24.0 < end))
        if len(start) and not on.any():
            out[w] = ((start - hour) % 24.0).min()
    return out


def plain_outlook(forecasts: PublicForecasts, n_regions: int, now_h: float) -> tuple[Any, ...]:
    start, end = np.full(n_regions, np.inf), np.full(n_regions, np.inf)
    severity = np.zeros(n_regions)
    live = np.flatnonzero((forecasts.issued_h <= now_h) & (forecasts.end_h > now_h))
    for k in live[np.argsort(forecasts.start_h[live], kind="stable")[::-1]]:
        r = forecasts.region[k]
        start[r], end[r], severity[r] = (
            forecasts.start_h[k],
            forecasts.end_h[k],
            forecasts.severity[k],
        )
    return start, end, severity


# -- the waves of a short stormy run (storms on a quarter of days, forecast ahead) --------------


@pytest.fixture(scope="module")
def waves() -> tuple[PredictiveRouting, Any, list[tuple[OrderBatch, Any, RoutingDecision]]]:
    cfg = load_config(
        "scenario=storm",
        "scenario.weather.storm_rate_per_day=0.25",
        "routing=predictive",
        f"routing.model_path={FIXTURE}",
        "horizon_days=2",
        "warmup_days=0",
        "cooldown_days=0",
        "progress=false",
    )
    world = build(cfg["scenario"])
    routing, monitoring = load_policies(cfg, world)
    assert isinstance(routing, PredictiveRouting)
    seen: list[tuple[OrderBatch, Any, RoutingDecision]] = []
    views: list[Any] = []
    plain_route = routing.route

    def recording(orders: OrderBatch, view: Any) -> RoutingDecision:
        decision = plain_route(orders, view)
        seen.append((orders, view._readings, decision))
        views.append(view)
        return decision

    routing.route = recording  # type: ignore[method-assign]
    simulate(cfg, world, routing, monitoring)
    routing.route = plain_route  # type: ignore[method-assign]
    view = views[0]
    stormy = sum(
        np.isfinite(plain_outlook(view._forecasts, 8, r.now_h)[0]).any() for _, r, _ in seen
    )
    assert stormy > 20, "the fixture must route waves with storms forecast"
    return routing, view, seen


def test_every_wave_decides_as_the_plain_computation(waves: Any) -> None:
    """Candidates, features, risk groups and the decision, wave by wave."""
    router, view, seen = waves
    for orders, readings, decision in seen:
        view.publish(readings)
        est = estimate(orders, view, router._plan)
        i, w, m = router._candidates(orders, est)
        for got, want in zip((i, w, m), plain_candidates(router, orders, est), strict=True):
            assert np.array_equal(got, want)
        feats = candidate_features(orders, view, est, i, w, m)
        assert np.array_equal(feats, plain_features(orders, view, est, i, w, m))
        storm = est.storm_at_destination[i, w, m] | est.storm_at_warehouse[w, m]
        assert np.array_equal(MODEL.group_of(m, storm), MODEL.risk_group(feats))
        again = router.route(orders, view)
        assert np.array_equal(again.warehouse, decision.warehouse)
        assert np.array_equal(again.mode, decision.mode)


class StormsAt:
    """A view whose forecast storms all run over [start_h, end_h) with severity 0."""

    def __init__(self, view: Any, start_h: float, end_h: float) -> None:
        self.view, self.start_h, self.end_h = view, start_h, end_h

    def __getattr__(self, name: str) -> Any:
        return getattr(self.view, name)

    def storm_window(self) -> tuple[np.ndarray, np.ndarray]:
        regions = len(self.view.world.regions)
        return np.full(regions, self.start_h), np.full(regions, self.end_h)

    def storm_forecast_severity(self) -> np.ndarray:
        return np.zeros(len(self.view.world.regions))


def test_storm_free_estimate_equals_the_storm_path(waves: Any) -> None:
    """With no storm forecast the estimate skips the storm arithmetic; forecasts of storms so
    far ahead that they cannot matter take the storm path: the same numbers."""
    router, view, seen = waves
    for orders, readings, _ in seen:
        view.publish(readings)
        calm = estimate(orders, StormsAt(view, np.inf, np.inf), router._plan)
        far = estimate(orders, StormsAt(view, 1e300, 1e301), router._plan)
        for name in ("eta_h", "storm_at_destination", "storm_at_warehouse", "transport_usd"):
            assert np.array_equal(getattr(calm, name), getattr(far, name), equal_nan=True)


@PROPERTY
@given(st.integers(0, 2**32 - 1), st.integers(0, 60), st.sampled_from([0.0, 1e-3, 1.0, 100.0]))
def test_fast_forest_walk_equals_the_careful_walk(seed: int, n: int, noise: float) -> None:
    """On thresholds (ties go left), near them and far off."""
    forest = MODEL.delivery
    rng = np.random.default_rng(seed)
    thresholds = forest.threshold[~forest.is_leaf]
    x = rng.choice(thresholds, (n, len(MODEL.feature_names)))
    x = (x + noise * rng.standard_normal(x.shape)).astype(np.float32)
    assert np.array_equal(forest.predict(x), forest.predict_careful(x))


@PROPERTY
@given(st.integers(0, 2**32 - 1), st.integers(1, 400), st.integers(1, 6))
def test_late_probability_equals_the_masked_reference(seed: int, n: int, groups: int) -> None:
    rng = np.random.default_rng(seed)
    quantiles = np.sort(rng.normal(0, 30, (6, len(RESIDUAL_QUANTILES))), axis=1)
    group = rng.integers(0, groups, n)
    predicted, slack = rng.normal(50, 30, n), rng.normal(60, 40, n)
    assert np.array_equal(
        late_probability(quantiles, predicted, slack, group),
        plain_late_probability(quantiles, predicted, slack, group),
    )


@PROPERTY
@given(
    st.lists(
        st.lists(
            st.tuples(st.sampled_from([0.0, 5.5, 6.0, 14.25, 22.0]), st.floats(0.5, 30)), max_size=3
        ),
        min_size=1,
        max_size=5,
    ),
    st.lists(st.sampled_from([0.0, 5.5, 6.0, 16.25, 23.99, 30.0, 47.5, 1e5 + 0.1]), max_size=8),
)
def test_hours_until_staffed_equals_the_per_warehouse_loop(
    shifts: list[list[tuple[float, float]]], hours: list[float]
) -> None:
    starts = [np.array([s for s, _ in w], dtype=float) for w in shifts]
    ends = [np.array([s + length for s, length in w], dtype=float) for w in shifts]
    most = max(1, max(len(s) for s in starts))
    padded = [np.pad(a, (0, most - len(a)), constant_values=np.nan) for a in starts]
    padded_end = [np.pad(a, (0, most - len(a)), constant_values=np.nan) for a in ends]
    plan = NetworkPlan(
        staffed=np.ones(len(shifts)),
        warehouse_region=np.zeros(len(shifts), dtype=np.int64),
        shift_start_h=np.array(padded),
        shift_end_h=np.array(padded_end),
        pickup_hours=np.zeros((1, 1)),
        storm_delay_h=np.zeros(1),
        weather=None,  # type: ignore[arg-type]
        transit_mean_h=np.zeros((1, 1, 1)),
        price_usd=np.zeros((1, 1, 1)),
    )
    for now in hours * 2:  # twice: the second time from the table
        assert np.array_equal(
            plan.hours_until_staffed(now), plain_hours_until_staffed(starts, ends, now)
        )


@PROPERTY
@given(st.integers(0, 2**32 - 1), st.integers(1, 80), st.integers(1, 4), st.integers(1, 5))
def test_booking_shortcut_only_skips_waves_without_a_conflict(
    seed: int, n: int, n_wh: int, n_products: int
) -> None:
    """Whenever the shortcut says no order can conflict, the exact running count finds none;
    and a wave that does conflict is not skipped."""
    rng = np.random.default_rng(seed)
    stock = rng.integers(-2, 12, (n_wh, n_products))
    warehouse, product = rng.integers(0, n_wh, n), rng.integers(0, n_products, n)
    items = rng.integers(1, 4, n)
    believed = stock[warehouse, product] >= items
    taking = np.where(believed, items, 0)
    taken = wave_ledger._taken_before(warehouse, product, taking, n_products)
    conflict = ((stock[warehouse, product] - taken < items) & believed).any()
    if wave_ledger._covers_all(stock, warehouse, product, taking, items, believed):
        assert not conflict
    if conflict:
        assert not wave_ledger._covers_all(stock, warehouse, product, taking, items, believed)


@functools.cache
def baseline_world() -> Any:
    return build(load_config("scenario=baseline")["scenario"])


@PROPERTY
@given(st.integers(0, 2**32 - 1), st.lists(st.floats(0, 400), min_size=1, max_size=30))
def test_storm_outlook_follows_the_forecasts_at_any_hour(seed: int, hours: list[float]) -> None:
    """The view keeps one outlook until a forecast is issued or ends; read at random hours,
    forwards and backwards and on every issue and end hour, it is the one a fresh search finds."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(0, 12))
    issued = np.round(rng.uniform(0, 300, k), 1)
    start = issued + np.round(rng.uniform(0, 72, k), 1)
    forecasts = PublicForecasts(
        region=rng.integers(0, 3, k),
        issued_h=issued,
        start_h=start,
        end_h=start + np.round(rng.uniform(0, 48, k), 1),
        severity=rng.uniform(0.3, 1, k),
    )
    world = baseline_world()
    view = PublishedRoutingView(world, world.transit_mean_table_h(), forecasts, rng)
    none = np.zeros(0)
    for now in [*hours, *issued.tolist(), *forecasts.end_h.tolist()]:
        view.publish(Readings(now, none, now, none, none, none, none))
        got = (*view.storm_window(), view.storm_forecast_severity())
        for a, b in zip(got, plain_outlook(forecasts, len(world.regions), now), strict=True):
            assert np.array_equal(a, b)
