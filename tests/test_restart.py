"""Runs started from a snapshot: conditional draws, and agreement with a run from hour 0.

A run started from its own snapshot at hour ``T`` with the same seed sees the same new orders
(they come from the same per-day streams) and redraws only the open orders' remaining work, so
the KPIs of orders created after ``T`` must agree with the run from hour 0 (paired by seed, the
95% interval of the difference within a small tolerance) — and must not when the snapshot's
orders are put in the wrong place (negative control). Transit of parcels on the road at ``T``
must follow the law conditioned on the hours already spent on it: a test that fails when the
elapsed time is ignored.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from scipy import stats

from scenarios.build import build
from scenarios.distributions import Distribution
from sim.config.compose import load_config, load_policies
from sim.engine import run
from sim.engine.keyed_draws import keyed_uniforms
from sim.engine.restart import condition_weather
from sim.engine.snapshot_state import STAGE_CODE, SnapshotRequest, SnapshotState
from sim.engine.streams import RandomStreams
from sim.engine.weather import generate_weather

SNAPSHOT_H = 60.0
AFTER_H = 72.0  # new demand counted for three days after the snapshot
SEEDS = (1, 2, 3, 4)
KPIS = ("late_rate", "delivery_time_mean_h", "pick_wait_mean_h", "cost_per_order")
TOLERANCE = 0.01  # relative: the whole 95% interval of the paired difference within 1%
NO_STORMS = ("scenario=baseline", "scenario.weather.storm_rate_per_day=0")


@pytest.fixture(scope="module")
def world_and_policies() -> tuple[Any, Any]:
    cfg = load_config(*NO_STORMS, "horizon_days=4", "warmup_days=1")
    world = build(cfg["scenario"])
    return world, lambda: load_policies(cfg, world)


def _run(world: Any, policies: Any, seed: int, **kw: Any) -> Any:
    horizon = (SNAPSHOT_H + AFTER_H) / 24.0
    return run(
        world, *policies(), seed=seed, horizon_days=horizon, warmup_days=SNAPSHOT_H / 24, **kw
    )


@pytest.fixture(scope="module")
def pairs(world_and_policies: tuple[Any, Any]) -> list[tuple[Any, SnapshotState]]:
    world, policies = world_and_policies
    out = []
    for seed in SEEDS:
        got: list[SnapshotState] = []
        result = _run(world, policies, seed, snapshot=SnapshotRequest(SNAPSHOT_H, got.append))
        out.append((result, got[0]))
    return out


def _worst_relative_bound(pairs: list[tuple[Any, SnapshotState]], restarts: list[Any]) -> float:
    """The largest |end of the paired 95% interval| / level over the KPIs."""
    worst = 0.0
    for key in KPIS:
        diff = np.array(
            [r.kpis[key] - p.kpis[key] for (p, _), r in zip(pairs, restarts, strict=True)]
        )
        level = np.mean([p.kpis[key] for p, _ in pairs])
        half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
        worst = max(worst, (abs(diff.mean()) + half) / abs(level))
    return worst


def test_restart_agrees_with_the_run_from_hour_zero(
    world_and_policies: tuple[Any, Any], pairs: list[tuple[Any, SnapshotState]]
) -> None:
    world, policies = world_and_policies
    restarts = [
        _run(world, policies, seed, start=s) for seed, (_, s) in zip(SEEDS, pairs, strict=True)
    ]
    assert _worst_relative_bound(pairs, restarts) < TOLERANCE
    # negative control: every open order sent back to the allocation wave (its stage forgotten)
    misplaced = []
    for seed, (_, s) in zip(SEEDS, pairs, strict=True):
        orders = {**s.orders, "stage": np.zeros_like(s.orders["stage"])}
        orders["warehouse"] = np.full_like(orders["warehouse"], -1)
        misplaced.append(_run(world, policies, seed, start=dataclasses.replace(s, orders=orders)))
    assert _worst_relative_bound(pairs, misplaced) > TOLERANCE


def _transit_on_the_road(
    result: Any, restart: Any, s: SnapshotState
) -> tuple[np.ndarray, np.ndarray]:
    moving = s.orders["stage"] == STAGE_CODE["in_transit"]
    ids = s.orders["order_id"][moving]
    before = result.orders["delivered_h"][ids] - result.orders["shipped_h"][ids]
    n = s.n_orders  # the restart's first ids are the snapshot's orders, in the same order
    after = restart.orders["delivered_h"][:n][moving] - restart.orders["shipped_h"][:n][moving]
    return before, after


def test_transit_in_flight_is_drawn_given_the_time_on_the_road(
    world_and_policies: tuple[Any, Any],
    pairs: list[tuple[Any, SnapshotState]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, policies = world_and_policies
    result, s = pairs[0]
    restart = _run(world, policies, 101, start=s)
    before, after = _transit_on_the_road(result, restart, s)
    assert len(before) > 1000
    assert stats.ks_2samp(before, after).pvalue > 0.001
    # the elapsed time ignored (a fresh transit from now): far longer, and the test sees it
    monkeypatch.setattr(Distribution, "remaining", lambda self, a, u: self.quantile(u))
    fresh = _run(world, policies, 101, start=s)
    before, after = _transit_on_the_road(result, fresh, s)
    assert stats.ks_2samp(before, after).pvalue < 1e-6


@pytest.mark.parametrize(
    "law",
    [
        Distribution("lognormal", 30.0, 8.0),
        Distribution("gamma", 2.0, 1.5),
        Distribution("normal", 1.0, 0.6),
        Distribution("exponential", 0.1),
    ],
)
def test_remaining_is_the_law_given_the_elapsed_time(law: Distribution) -> None:
    rng = np.random.default_rng(5)
    elapsed = float(law.quantile(np.array([0.6]))[0])
    whole = law.quantile(rng.random(200_000))
    survivors = whole[whole > elapsed] - elapsed  # rejection: the conditional law exactly
    drawn = law.remaining(np.full(20_000, elapsed), rng.random(20_000))
    assert stats.ks_2samp(survivors, drawn).pvalue > 0.001
    if law.family != "exponential":  # memoryless: there the elapsed time does not matter
        ignored = law.quantile(rng.random(20_000))
        assert stats.ks_2samp(survivors, ignored).pvalue < 1e-6


def test_keyed_uniforms_are_uniform_and_depend_only_on_their_key() -> None:
    ids = np.arange(100_000)
    u = keyed_uniforms(7, ids, "queued", "pick")
    assert stats.kstest(u, "uniform").pvalue > 0.001
    np.testing.assert_array_equal(keyed_uniforms(7, ids[500:600], "queued", "pick"), u[500:600])
    other = keyed_uniforms(7, ids, "picking", "pick")
    assert abs(np.corrcoef(u, other)[0, 1]) < 0.02
    assert abs(np.corrcoef(u, keyed_uniforms(8, ids, "queued", "pick"))[0, 1]) < 0.02


def test_weather_follows_what_the_snapshot_knows() -> None:
    """Observed storms replace the past, scripted storms to come stay, the replication's own
    forecast storms go, and each snapshot forecast becomes a storm at the hit rate (not one of a
    scripted storm, nor one long overdue)."""
    world = build(load_config("scenario=storm")["scenario"])
    now = 220.0
    storms, forecasts = generate_weather(world, 24.0 * 20, RandomStreams(3))
    scripted = world.weather.scripted[0]
    n = 400
    region = np.concatenate([np.zeros(n, dtype=np.int64), [scripted.region, 1]])
    start = np.concatenate([np.full(n, 500.0), [scripted.start_h + 2.0, now - 100.0]])
    f = {
        "region": region,
        "issued_h": np.full(n + 2, now - 150.0),
        "start_h": start,
        "end_h": start + 24.0,
        "severity": np.full(n + 2, 0.8),
    }
    seen = {  # one storm over region 2 since hour 200, still going
        "region": np.array([2]),
        "start_h": np.array([200.0]),
        "end_h": np.array([np.nan]),
        "severity": np.array([0.9]),
    }
    state = SnapshotState(now, now, {}, {}, {}, {}, {}, f, seen)
    timeline, merged = condition_weather(world, storms, forecasts, state, seed=9)
    for s in world.weather.scripted:  # every scripted storm to come is still there
        assert ((timeline.region == s.region) & (timeline.start_h == s.start_h)).any()
    past = timeline.start_h <= now
    assert past.sum() == 1 and timeline.region[past][0] == 2 and timeline.end_h[past][0] > now
    foretold = np.zeros(len(storms.region), dtype=bool)
    linked = forecasts.true_storm[forecasts.issued_h <= now]
    foretold[linked[linked >= 0]] = True
    is_scripted = np.zeros(len(storms.region), dtype=bool)
    for s in world.weather.scripted:
        is_scripted |= (storms.region == s.region) & (storms.start_h == s.start_h)
    kept = (storms.start_h > now) & (is_scripted | ~foretold)
    added = len(timeline.region) - int(kept.sum()) - 1
    hit_p = 1 - world.weather.false_alarm_ratio
    assert abs(added - hit_p * n) < 4 * np.sqrt(n * hit_p * (1 - hit_p))  # the last two add none
    assert (merged.issued_h[: n + 2] == now - 150.0).all() and (
        merged.issued_h[n + 2 :] > now
    ).all()


def test_a_forecast_issued_during_a_storm_foretells_the_next_one() -> None:
    """After a long storm the next storm's forecast (issued once the first had begun, its window
    within a day of the first's end) is not taken for the first one's: it becomes a storm at the
    hit rate. (Matching it to the storm seen dropped it: now-casts after the scripted storm
    were optimistic.)"""
    world = build(load_config("scenario=storm", "scenario.weather.storms=[]")["scenario"])
    now, n = 220.0, 400
    storms, forecasts = generate_weather(world, 24.0 * 20, RandomStreams(3))
    f = {
        "region": np.full(n, 2, dtype=np.int64),
        "issued_h": np.full(n, 205.0),  # after the seen storm began
        "start_h": np.full(n, 225.0),
        "end_h": np.full(n, 249.0),
        "severity": np.full(n, 0.8),
    }
    seen = {"region": np.array([2]), "start_h": np.array([190.0]), "end_h": np.array([212.0]),
            "severity": np.array([0.9])}  # fmt: skip
    state = SnapshotState(now, now, {}, {}, {}, {}, {}, f, seen)
    timeline, merged = condition_weather(world, storms, forecasts, state, seed=9)
    from_forecasts = merged.true_storm[:n]
    hit_p = 1 - world.weather.false_alarm_ratio
    added = int((from_forecasts >= 0).sum())
    assert abs(added - hit_p * n) < 4 * np.sqrt(n * hit_p * (1 - hit_p))
    assert (timeline.region[from_forecasts[from_forecasts >= 0]] == 2).all()
