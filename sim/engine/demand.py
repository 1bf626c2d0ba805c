"""The order stream: the run's orders as columns, drawn one day at a time.

Arrivals follow a non-homogeneous Poisson process: piecewise constant per hour (base rate x
hour-of-day x day-of-week profile x, when the scenario has a calendar, the day's dated level,
month-of-year factor and events; its region shares by month replace the overall ones) plus
bursts, whose extra rate ``(peak_multiplier - 1) x base rate x shape(t)`` is sampled exactly by
thinning. Drawing each day from streams that nothing in the
simulation touches, each attribute from its own, is what makes the order stream identical under
every policy; the simulation draws a day as its clock reaches it (memory follows the run's
present, not its length), :func:`generate_orders` a whole period at once.

Each day is drawn from its own streams (:meth:`RandomStreams.day`): the day's arrival times, its
bursts, every attribute of its orders and their per-order uniforms depend only on (seed, stream,
day). So a run's first N days are the same orders whatever its horizon, and a run that goes on past
its horizon (the cool-down) never reshuffles the orders before it. Within a day the draws are
vectorised.

Per-order uniforms for picking, transit, scans and losses are drawn here too: a policy changes
*which* distribution an order's draw is pushed through, never the draw itself.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy import special

from scenarios.world import World
from sim.engine.streams import RandomStreams
from sim.engine.window import Window

BASE_DEMAND = -1  # ``burst`` value of an order from the regular profile
HOURS_PER_DAY = 24


@dataclass(eq=False)
class OrderStream:
    """Orders of a run, as columns. Public columns may be shown to policies; hidden ones never are.

    :func:`generate_orders` draws them all at once; the simulation instead draws them day by day
    into columns held in a :class:`~sim.engine.window.Window` (:meth:`in_window`)."""

    created_h: np.ndarray
    burst: np.ndarray  # index into world.demand.bursts, or BASE_DEMAND
    region: np.ndarray
    product: np.ndarray
    items: np.ndarray
    value_usd: np.ndarray
    margin_usd: np.ndarray
    channel: np.ndarray
    service_level: np.ndarray  # index into world.service_levels
    urgent: np.ndarray  # the level is urgent (what policies treat as express)
    vip: np.ndarray  # high-value customer
    signal: np.ndarray  # observable behaviour signal in (0, 1); high = relaxed customer
    # hidden truth
    expectation_extra_h: np.ndarray  # customer's own expectation minus the promise
    pseudo_urgent: np.ndarray
    customer_cancels: np.ndarray  # the customer cancels at checkout (cancel_p of the level)
    # per-order uniforms (common random numbers across policies)
    u_pick: np.ndarray
    u_transit: np.ndarray
    u_scan_gap: np.ndarray
    u_gap_start: np.ndarray
    u_loss: np.ndarray
    u_return: np.ndarray

    def __len__(self) -> int:
        return len(self.created_h)

    def head(self, n: int) -> OrderStream:
        """The first ``n`` orders (views, not copies)."""
        return OrderStream(**{f.name: getattr(self, f.name)[:n] for f in fields(self)})

    @classmethod
    def in_window(cls, window: Window) -> OrderStream:
        """Empty columns over the window's ids, filled by :meth:`put` as days are drawn."""
        stream = cls(**{f.name: np.empty(0) for f in fields(cls)})
        for name, dtype in COLUMN_DTYPES.items():
            window.add(stream, name, dtype)
        return stream

    def put(self, start: int, day: dict[str, np.ndarray]) -> None:
        """Write one day's orders (:func:`day_orders`) at ids ``start...``."""
        end = start + len(day["created_h"])
        for name, values in day.items():
            getattr(self, name)[start:end] = values


# the dtype each column is drawn in (columns in a window are stored in it, losing nothing)
COLUMN_DTYPES: dict[str, type] = {
    "created_h": np.float64,
    "burst": np.int64,
    "region": np.intp,
    "product": np.intp,
    "items": np.int64,
    "value_usd": np.float64,
    "margin_usd": np.float64,
    "channel": np.intp,
    "service_level": np.int64,
    "urgent": np.bool_,
    "vip": np.bool_,
    "signal": np.float64,
    "expectation_extra_h": np.float64,
    "pseudo_urgent": np.bool_,
    "customer_cancels": np.bool_,
    "u_pick": np.float64,
    "u_transit": np.float64,
    "u_scan_gap": np.float64,
    "u_gap_start": np.float64,
    "u_loss": np.float64,
    "u_return": np.float64,
}


def base_arrival_times(world: World, day: int, rng: np.random.Generator) -> np.ndarray:
    """One day's arrivals of the regular profile: Poisson counts per hour, uniform within it."""
    d = world.demand
    hours = day * HOURS_PER_DAY + np.arange(HOURS_PER_DAY)
    rate = d.base_rate_per_h * d.hourly_profile * d.weekly_profile[(day + world.start_weekday) % 7]
    if d.calendar is not None:  # dated level, season and events on top
        rate = rate * d.calendar.hourly_multiplier(day)
    counts = rng.poisson(rate)
    return np.repeat(hours, counts) + rng.random(int(counts.sum()))


def burst_arrival_times(world: World, day: int, streams: RandomStreams) -> list[np.ndarray]:
    """One day's extra arrivals of each burst, by thinning a homogeneous process at the peak extra
    rate over the part of the burst that falls on the day (a stream per burst name and day)."""
    out = []
    lo_day, hi_day = day * HOURS_PER_DAY, (day + 1) * HOURS_PER_DAY
    for burst in world.demand.bursts:
        lo, hi = max(burst.start_h, lo_day), min(burst.start_h + burst.duration_h, hi_day)
        if hi <= lo:
            out.append(np.empty(0))
            continue
        rng = streams.day("bursts", day, burst.name)
        peak_extra = (burst.peak_multiplier - 1.0) * world.demand.base_rate_per_h
        n = rng.poisson(peak_extra * (hi - lo))
        t = lo + rng.random(n) * (hi - lo)
        keep = rng.random(n) < burst.shape(t)
        out.append(t[keep])
    return out


def service_levels(mix: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Each order's level from its channel's level mix (rows of ``mix``) and one uniform ``u``.

    The last level of the table takes the lowest draws, then the one before it, and so on: with
    two levels an order is at level 1 exactly when ``u < p(level 1)`` — the draw ``express_p``
    made before levels were a table — so two-level scenarios keep their orders.
    """
    k = mix.shape[1]
    cumulative = np.cumsum(mix[:, ::-1], axis=1)
    below = (u[:, None] >= cumulative).sum(axis=1)
    return (k - 1 - np.minimum(below, k - 1)).astype(np.int64)


def _categorical(rng: np.random.Generator, probabilities: np.ndarray, n: int) -> np.ndarray:
    cdf = np.cumsum(probabilities / probabilities.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


def day_orders(world: World, day: int, streams: RandomStreams) -> dict[str, np.ndarray]:
    """Every column of one day's orders, sorted by creation time."""
    d = world.demand
    parts = [base_arrival_times(world, day, streams.day("arrivals", day))]
    parts += burst_arrival_times(world, day, streams)
    labels = [np.full(len(p), b, dtype=np.int64) for b, p in enumerate(parts, start=BASE_DEMAND)]
    created = np.concatenate(parts)
    burst = np.concatenate(labels)
    order = np.argsort(created, kind="stable")
    created, burst = created[order], burst[order]
    n = len(created)

    rng = streams.day("attributes", day)
    region_share = (
        d.region_share if d.calendar is None else d.calendar.region_share(day, d.region_share)
    )
    region = _categorical(rng, region_share, n)  # the same draws whatever the shares
    product = _categorical(rng, d.product_share, n)
    channel_share = (
        d.channel_share if d.calendar is None else d.calendar.channel_share(day, d.channel_share)
    )
    channel = _categorical(rng, channel_share, n)
    for b, spec in enumerate(d.bursts):
        mine = np.flatnonzero(burst == b)
        if len(mine):
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
    level_mix = (
        d.channel_level_mix
        if d.calendar is None
        else d.calendar.level_mix_by_channel(day, d.channel_level_mix)
    )
    service_level = service_levels(level_mix[channel], rng.random(n))
    urgent = world.urgent[service_level]
    vip = rng.random(n) < d.vip_p

    c = world.customer
    pseudo = urgent & (rng.random(n) < c.pseudo_urgent_p)
    extra = np.where(
        pseudo,
        np.maximum(
            c.pseudo_urgent_extra_h + c.pseudo_urgent_extra_sd_h * rng.standard_normal(n), 0.0
        ),
        0.0,
    )
    latent = np.where(pseudo, 0.5, -0.5) * c.signal_separation + rng.standard_normal(n)

    def uniforms(stream: str, k: int = 1) -> list[np.ndarray]:
        g = streams.day(stream, day)
        return [g.random(n) for _ in range(k)]

    (u_pick,) = uniforms("picking")
    u_transit, u_loss = uniforms("transit", 2)
    u_gap, u_gap_start = uniforms("scans", 2)
    (u_return,) = uniforms("returns")
    cancel_p = np.array([level.cancel_p for level in world.service_levels])
    if cancel_p.any():  # its own stream: scenarios without cancellations keep their draws
        cancels = uniforms("cancellations")[0] < cancel_p[service_level]
    else:
        cancels = np.zeros(n, dtype=bool)
    return {
        "created_h": created,
        "burst": burst,
        "region": region,
        "product": product,
        "items": items,
        "value_usd": value,
        "margin_usd": value * margin_share,
        "channel": channel,
        "service_level": service_level,
        "urgent": urgent,
        "vip": vip,
        "signal": special.expit(latent),
        "expectation_extra_h": extra,
        "pseudo_urgent": pseudo,
        "customer_cancels": cancels,
        "u_pick": u_pick,
        "u_transit": u_transit,
        "u_scan_gap": u_gap,
        "u_gap_start": u_gap_start,
        "u_loss": u_loss,
        "u_return": u_return,
    }


def generate_orders(world: World, end_h: float, streams: RandomStreams) -> OrderStream:
    """Draw every order created before ``end_h``, sorted by creation time, day by day."""
    days = [day_orders(world, day, streams) for day in range(int(np.ceil(end_h / 24.0)))]
    columns = {
        f.name: np.concatenate([d[f.name] for d in days]) if days else np.empty(0)
        for f in fields(OrderStream)
    }
    keep = int(np.searchsorted(columns["created_h"], end_h, side="left"))
    return OrderStream(**columns).head(keep)


def expected_orders(world: World, end_h: float) -> float:
    """Mean number of orders created before ``end_h`` (bursts at their peak: an upper bound)."""
    d = world.demand
    days = int(np.ceil(end_h / 24.0))
    base = sum(
        float(
            d.base_rate_per_h
            * (
                d.hourly_profile
                * d.weekly_profile[(day + world.start_weekday) % 7]
                * (1.0 if d.calendar is None else d.calendar.hourly_multiplier(day))
            ).sum()
        )
        for day in range(days)
    )
    extra = sum((b.peak_multiplier - 1.0) * d.base_rate_per_h * b.duration_h for b in d.bursts)
    return base + extra
