"""The order stream: every order of the horizon drawn up front, as columns.

Arrivals follow a non-homogeneous Poisson process: piecewise constant per hour (base rate x
hour-of-day x day-of-week profile) plus bursts, whose extra rate ``(peak_multiplier - 1) x base rate
x shape(t)`` is sampled exactly by thinning. Drawing everything before the simulation starts, each
attribute from its own stream, is what makes the order stream identical under every policy.

Per-order uniforms for picking, transit, scans and losses are drawn here too: a policy changes
*which* distribution an order's draw is pushed through, never the draw itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from scenarios.world import World
from sim.engine.streams import RandomStreams

BASE_DEMAND = -1  # ``burst`` value of an order from the regular profile


@dataclass(frozen=True)
class OrderStream:
    """All orders of a run. Public columns may be shown to policies; hidden ones never are."""

    created_h: np.ndarray
    burst: np.ndarray  # index into world.demand.bursts, or BASE_DEMAND
    region: np.ndarray
    product: np.ndarray
    items: np.ndarray
    value_usd: np.ndarray
    margin_usd: np.ndarray
    channel: np.ndarray
    service_level: np.ndarray  # 0 standard, 1 express
    vip: np.ndarray  # high-value customer
    signal: np.ndarray  # observable behaviour signal in (0, 1); high = relaxed customer
    # hidden truth
    expectation_extra_h: np.ndarray  # customer's own expectation minus the promise
    pseudo_urgent: np.ndarray
    # per-order uniforms (common random numbers across policies)
    u_pick: np.ndarray
    u_transit: np.ndarray
    u_scan_gap: np.ndarray
    u_gap_start: np.ndarray
    u_loss: np.ndarray
    u_return: np.ndarray

    def __len__(self) -> int:
        return len(self.created_h)


def base_arrival_times(world: World, horizon_h: float, rng: np.random.Generator) -> np.ndarray:
    """Arrival times of the regular profile: Poisson counts per hour, uniform within the hour."""
    d = world.demand
    hours = np.arange(int(np.ceil(horizon_h)))
    rate = d.base_rate_per_h * d.hourly_profile[hours % 24] * d.weekly_profile[(hours // 24) % 7]
    counts = rng.poisson(rate)
    times = np.repeat(hours, counts) + rng.random(counts.sum())
    return np.sort(times[times < horizon_h])


def burst_arrival_times(
    world: World,
    horizon_h: float,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Extra arrivals of each burst, by thinning a homogeneous process at the peak extra rate."""
    out = []
    for burst in world.demand.bursts:
        peak_extra = (burst.peak_multiplier - 1.0) * world.demand.base_rate_per_h
        n = rng.poisson(peak_extra * burst.duration_h)
        t = burst.start_h + rng.random(n) * burst.duration_h
        keep = rng.random(n) < burst.shape(t)
        t = t[keep]
        out.append(np.sort(t[t < horizon_h]))
    return out


def _categorical(rng: np.random.Generator, probabilities: np.ndarray, n: int) -> np.ndarray:
    cdf = np.cumsum(probabilities / probabilities.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


def generate_orders(world: World, horizon_h: float, streams: RandomStreams) -> OrderStream:
    """Draw every order of the horizon, sorted by creation time."""
    d = world.demand
    arrivals = streams["arrivals"]
    parts = [base_arrival_times(world, horizon_h, arrivals)]
    parts += burst_arrival_times(world, horizon_h, arrivals)
    labels = [np.full(len(p), b, dtype=np.int64) for b, p in enumerate(parts, start=BASE_DEMAND)]
    created = np.concatenate(parts)
    burst = np.concatenate(labels)
    order = np.argsort(created, kind="stable")
    created, burst = created[order], burst[order]
    n = len(created)

    rng = streams["attributes"]
    region = _categorical(rng, d.region_share, n)
    product = _categorical(rng, d.product_share, n)
    channel = _categorical(rng, d.channel_share, n)
    for b, spec in enumerate(d.bursts):
        mine = np.flatnonzero(burst == b)
        region[mine] = _categorical(rng, spec.region_mix, len(mine))
        product[mine] = _categorical(rng, spec.product_mix, len(mine))
        channel[mine] = spec.channel
    items = 1 + rng.poisson(d.extra_items_mean, n)

    mean = d.product_value_mean_usd[product] * d.channel_value_multiplier[channel]
    sd = d.product_value_sd_usd[product] * d.channel_value_multiplier[channel]
    sigma2 = np.log1p((sd / mean) ** 2)
    value = np.exp(np.log(mean) - sigma2 / 2 + np.sqrt(sigma2) * rng.standard_normal(n))
    margin_share = rng.beta(
        20 * d.product_margin_mean[product] + 1e-9, 20 * (1 - d.product_margin_mean[product]) + 1e-9
    )
    service_level = (rng.random(n) < d.channel_express_p[channel]).astype(np.int64)
    vip = rng.random(n) < d.vip_p

    c = world.customer
    pseudo = (service_level == 1) & (rng.random(n) < c.pseudo_urgent_p)
    extra = np.where(
        pseudo,
        np.maximum(
            c.pseudo_urgent_extra_h + c.pseudo_urgent_extra_sd_h * rng.standard_normal(n), 0.0
        ),
        0.0,
    )
    latent = np.where(pseudo, 0.5, -0.5) * c.signal_separation + rng.standard_normal(n)
    signal = special.expit(latent)

    def uniforms(stream: str, k: int = 1) -> list[np.ndarray]:
        g = streams[stream]
        return [g.random(n) for _ in range(k)]

    (u_pick,) = uniforms("picking")
    u_transit, u_loss = uniforms("transit", 2)
    u_gap, u_gap_start = uniforms("scans", 2)
    (u_return,) = uniforms("returns")
    return OrderStream(
        created_h=created,
        burst=burst,
        region=region,
        product=product,
        items=items,
        value_usd=value,
        margin_usd=value * margin_share,
        channel=channel,
        service_level=service_level,
        vip=vip,
        signal=signal,
        expectation_extra_h=extra,
        pseudo_urgent=pseudo,
        u_pick=u_pick,
        u_transit=u_transit,
        u_scan_gap=u_gap,
        u_gap_start=u_gap_start,
        u_loss=u_loss,
        u_return=u_return,
    )
