"""Horizon-proof measurement: a day's orders and weather do not depend on the horizon."""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from sim.engine.demand import OrderStream, generate_orders
from sim.engine.streams import RandomStreams
from sim.engine.weather import generate_weather
from tests.helpers import world_of

# live-stream sessions moved into the first days: one inside day 2, one across the day-3 boundary
EARLY_BURSTS = (
    "scenario=storm",
    "+scenario.demand.bursts=[{name: early, start_h: 50.0, ramp_h: 0.02, peak_multiplier: 20.0,"
    " decay_tau_h: 0.5, duration_h: 4.0, channel: live_stream, product_mix: {beauty: 1.0},"
    " region_mix: {}, promotion: true}, {name: straddle, start_h: 70.0, ramp_h: 0.02,"
    " peak_multiplier: 20.0, decay_tau_h: 2.0, duration_h: 4.0, channel: live_stream,"
    " product_mix: {apparel: 1.0}, region_mix: {}, promotion: true}]",
)


def test_first_days_of_orders_are_the_same_whatever_the_horizon() -> None:
    """Orders created in the first 3 days of a 3- and a 7-day stream: every column identical,
    hidden truth and per-order uniforms included."""
    world = world_of(*EARLY_BURSTS)
    short = generate_orders(world, 72.0, RandomStreams(11))
    long = generate_orders(world, 168.0, RandomStreams(11))
    n = len(short)
    assert n > 0 and len(long) > n
    assert (short.burst >= 0).sum() > 100  # the bursts are in the first days
    assert long.created_h[n] >= 72.0 > short.created_h[-1]
    for f in fields(OrderStream):
        a, b = getattr(short, f.name), getattr(long, f.name)[:n]
        assert a.dtype == b.dtype and np.array_equal(a, b), f.name


def test_first_days_of_weather_are_the_same_whatever_the_horizon() -> None:
    world = world_of("scenario=storm", "scenario.weather.storm_rate_per_day=0.3")
    short, short_fc = generate_weather(world, 72.0 + 72.0, RandomStreams(12))
    long, long_fc = generate_weather(world, 168.0 + 72.0, RandomStreams(12))
    early = short.start_h < 72.0
    assert early.sum() > 3
    for column in ("region", "start_h", "end_h", "severity"):
        a, b = getattr(short, column), getattr(long, column)
        assert np.array_equal(a[early], b[long.start_h < 72.0]), column
    issued = short_fc.issued_h < 72.0
    long_issued = long_fc.issued_h < 72.0
    for column in ("region", "issued_h", "start_h", "end_h"):
        a, b = getattr(short_fc, column)[issued], getattr(long_fc, column)[long_issued]
        assert np.array_equal(np.sort(a), np.sort(b)), column
