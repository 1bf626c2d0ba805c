"""Building blocks against their definitions: distributions, demand, weather, customers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from scenarios.distributions import Distribution
from sim.engine.demand import BASE_DEMAND, generate_orders
from sim.engine.streams import RandomStreams
from tests.helpers import world_of


@pytest.mark.parametrize(
    "dist",
    [
        Distribution("exponential", 2.0),
        Distribution("lognormal", 24.0, 14.4),
        Distribution("gamma", 0.1, 0.05),
        Distribution("normal", 48.0, 6.0),
        Distribution("normal", 2.0, 3.0),  # clipped at 0 a quarter of the time: the mean moves
        Distribution("constant", 3.0),
    ],
)
def test_distribution_sample_moments_match_its_mean_and_variance(dist: Distribution) -> None:
    u = np.random.default_rng(0).random(400_000)
    x = dist.quantile(u)
    assert (x >= 0).all()
    assert x.mean() == pytest.approx(dist.mean, rel=0.01, abs=1e-12)
    assert x.var() == pytest.approx(dist.variance, rel=0.03, abs=1e-12)


def test_named_streams_do_not_depend_on_order_of_use() -> None:
    a, b = RandomStreams(7), RandomStreams(7)
    first = a["transit"].random(3)
    b["arrivals"].random(1000)
    assert np.array_equal(first, b["transit"].random(3))


def test_base_demand_follows_hour_and_weekday_profile() -> None:
    world = world_of("scenario=baseline")
    orders = generate_orders(world, 28 * 24.0, RandomStreams(1))
    hours = np.floor(orders.created_h).astype(int)
    d = world.demand
    every_hour = np.arange(28 * 24)
    expected = (
        d.base_rate_per_h
        * d.hourly_profile[every_hour % 24]
        * d.weekly_profile[(every_hour // 24) % 7]
    )
    assert len(orders) == pytest.approx(expected.sum(), rel=0.01)
    # counts by hour of day and by weekday against the profile: chi-square goodness of fit
    for key, size in ((every_hour % 24, 24), ((every_hour // 24) % 7, 7)):
        observed = np.bincount(key[hours], minlength=size)
        want = np.bincount(key, weights=expected, minlength=size)
        assert stats.chisquare(observed, want * observed.sum() / want.sum()).pvalue > 0.001
    shares = np.bincount(orders.region, minlength=len(world.regions)) / len(orders)
    assert np.allclose(shares, d.region_share, atol=0.005)


def test_burst_adds_the_integral_of_its_extra_rate() -> None:
    world = world_of("scenario=livestream")
    burst = world.demand.bursts[0]
    t = np.linspace(burst.start_h, burst.start_h + burst.duration_h, 200_001)
    extra = (burst.peak_multiplier - 1) * world.demand.base_rate_per_h * burst.shape(t)
    expected = np.trapezoid(extra, t)
    counts = [
        int((generate_orders(world, 28 * 24.0, RandomStreams(s)).burst == 0).sum())
        for s in range(10)
    ]
    assert np.mean(counts) == pytest.approx(expected, rel=0.03)
    orders = generate_orders(world, 28 * 24.0, RandomStreams(1))
    mine = orders.burst == 0
    assert (orders.channel[mine] == world.channels.index("live_stream")).all()
    beauty = world.product_classes.index("beauty")
    assert (orders.product[mine] == beauty).mean() == pytest.approx(0.8, abs=0.03)
    assert (orders.burst[~mine] == BASE_DEMAND).sum() + (orders.burst >= 1).sum() == (~mine).sum()


def test_pseudo_urgent_share_and_signal_separate_them() -> None:
    world = world_of("scenario=baseline")
    o = generate_orders(world, 14 * 24.0, RandomStreams(3))
    express = o.service_level == 1
    assert o.pseudo_urgent[express].mean() == pytest.approx(0.4, abs=0.02)
    assert not o.pseudo_urgent[~express].any()
    assert o.signal[o.pseudo_urgent].mean() > o.signal[express & ~o.pseudo_urgent].mean() + 0.2


def test_storm_severity_lookup_matches_a_direct_scan() -> None:
    from sim.engine.weather import StormTimeline

    rng = np.random.default_rng(0)
    n = 60
    region = rng.integers(0, 3, n)
    start = np.sort(rng.random(n) * 1000)
    end = start + rng.random(n) * 60
    severity = rng.random(n)
    timeline = StormTimeline(region, start, end, severity)
    for r, t in zip(rng.integers(0, 3, 5000), rng.random(5000) * 1100, strict=True):
        hit = (region == r) & (start <= t) & (end > t)
        assert timeline.severity_at(int(r), float(t)) == (severity[hit].max() if hit.any() else 0)


def test_simpy_event_counter_is_still_readable() -> None:
    """``events_scheduled`` reads SimPy's private ``Environment._eid``: if a SimPy release
    changes it, this fails instead of run metadata quietly saying -1."""
    import simpy

    from sim.engine.result import events_scheduled

    env = simpy.Environment()
    for delay in (1.0, 2.0, 3.0):
        env.timeout(delay)
    assert events_scheduled(env) == 3
