"""The world the engine simulates: frozen, typed, index-based.

Names become integer indices once, here, so the engine's hot path works on numpy arrays and ints.
Everything a policy must not see (true stock, true weather, customer expectation) stays in the
engine; these objects describe the network and its random processes, not their realisations.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scenarios.distributions import Distribution

# the order log's service-level words (calibration reads these; a scenario names its own levels)
SERVICE_LEVELS = ("standard", "express")


@dataclass(frozen=True)
class ServiceLevel:
    """One row of the service-level table (its index is the order's ``service_level``)."""

    name: str
    promise_h: np.ndarray  # by region
    mode_mix: np.ndarray  # probabilities by mode: the modes customers of this level choose
    urgent: bool  # treated as express by the policies
    cancel_p: float  # the customer cancels at checkout, before routing

    @property
    def default_mode(self) -> int:
        """The mode most of this level's customers choose (the first such in the table)."""
        return int(np.argmax(self.mode_mix))


@dataclass(frozen=True)
class Shift:
    start_h: float  # hour of day
    length_h: float
    pickers: int


@dataclass(frozen=True)
class Warehouse:
    name: str
    region: int
    pickers: int
    shifts: tuple[Shift, ...]  # empty: always staffed by ``pickers``
    pick_time: Distribution
    stock_initial: np.ndarray  # units by product class
    reorder_point: np.ndarray  # s
    order_up_to: np.ndarray  # S
    replenish_lead_time_h: float
    outages: tuple[tuple[float, float], ...]  # (start_h, end_h)
    handling: Distribution | None = None  # order -> handover delay instead of pickers and pickups
    # a what-if's added staff: this many more pickers, working every shift from ``extra_from_h``
    extra_pickers: int = 0
    extra_from_h: float = 0.0


@dataclass(frozen=True)
class Mode:
    name: str
    price_usd_by_zone: np.ndarray
    transit_by_zone: tuple[Distribution, ...]
    pickup_hours: tuple[float, ...]
    daily_capacity: int
    scan_interval_h: float
    scan_gap_p: float
    loss_p: float
    storm_delay_h: float
    storm_stop_severity: float

    def expected_transit_h(self, zone: int) -> float:
        return self.transit_by_zone[zone - 1].mean


@dataclass(frozen=True)
class Burst:
    name: str
    start_h: float
    ramp_h: float
    peak_multiplier: float
    decay_tau_h: float
    duration_h: float
    channel: int
    product_mix: np.ndarray  # probabilities by product class
    region_mix: np.ndarray  # probabilities by region
    promotion: bool

    def shape(self, t_h: np.ndarray) -> np.ndarray:
        """Fraction (0-1) of the peak extra rate at ``t_h``: linear ramp, exponential decay."""
        dt = np.asarray(t_h, dtype=float) - self.start_h
        ramp = np.clip(dt / self.ramp_h, 0.0, 1.0) if self.ramp_h > 0 else (dt >= 0) * 1.0
        decay = np.exp(-np.maximum(dt - self.ramp_h, 0.0) / self.decay_tau_h)
        inside = (dt >= 0) & (dt < self.duration_h)
        return np.where(inside, ramp * decay, 0.0)


@dataclass(frozen=True)
class MonthRows:
    """Shares by calendar month: from each row's first day (days from hour 0) until the next
    row's; before the first the first, after the last the last held."""

    from_day: np.ndarray
    shares: np.ndarray  # rows x names

    @classmethod
    def none(cls) -> MonthRows:
        return cls(np.zeros(0), np.zeros((0, 0)))

    @property
    def rows(self) -> int:
        return len(self.from_day)

    def at(self, day: int, default: np.ndarray) -> np.ndarray:
        """The shares on ``day`` (``default`` without rows)."""
        if not self.rows:
            return default
        row = max(int(np.searchsorted(self.from_day, day, side="right")) - 1, 0)
        return np.asarray(self.shares[row])


@dataclass(frozen=True)
class Calendar:
    """Dated demand: a daily level (linear between knots), month-of-year and event multipliers.

    Knots and events are in hours/days from hour 0 (``start_date``), converted once when the world
    is built; ``month_of_day0`` places the yearly profile. The daily level is one value per day
    (at the day's index); events act on the hours whose middle they cover.
    """

    knot_day: np.ndarray  # days from hour 0, increasing
    knot_level: np.ndarray
    trend_per_day: float  # level change per day after the last knot (0: hold)
    yearly_profile: np.ndarray  # 12 month multipliers (mean 1), or empty
    start_date: np.datetime64  # hour 0, for the month of each day
    event_start_h: np.ndarray
    event_end_h: np.ndarray
    event_multiplier: np.ndarray
    mix_from_day: np.ndarray = field(default_factory=lambda: np.zeros(0))  # month rows' first day
    region_share_by_month: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    channel_mix: MonthRows = field(default_factory=lambda: MonthRows.none())
    level_mix: MonthRows = field(default_factory=lambda: MonthRows.none())

    def channel_share(self, day: int, default: np.ndarray) -> np.ndarray:
        return self.channel_mix.at(day, default)

    def level_mix_by_channel(self, day: int, default: np.ndarray) -> np.ndarray:
        """Each channel's level mix on ``day``: its month's row for every channel (a month row
        says the levels customers chose, whatever the channel), or ``default`` without rows."""
        if not self.level_mix.rows:
            return default
        return np.broadcast_to(self.level_mix.at(day, default[0]), default.shape)

    def region_share(self, day: int, default: np.ndarray) -> np.ndarray:
        """The region shares on ``day``: its month's row (before the first: the first row; after
        the last: the last row held), or ``default`` without monthly rows."""
        if not len(self.mix_from_day):
            return default
        row = max(int(np.searchsorted(self.mix_from_day, day, side="right")) - 1, 0)
        return np.asarray(self.region_share_by_month[row])

    def daily_level(self, days: np.ndarray) -> np.ndarray:
        """The level of each day (before the first knot: the first knot's; after the last: held,
        or the trend of the last two knots, never below 0)."""
        days = np.asarray(days, dtype=float)
        if not len(self.knot_day):
            return np.ones_like(days)
        level = np.interp(days, self.knot_day, self.knot_level)
        past = days - self.knot_day[-1]
        return np.where(
            past > 0, np.maximum(level + self.trend_per_day * np.maximum(past, 0.0), 0.0), level
        )

    def month_factor(self, days: np.ndarray) -> np.ndarray:
        if not len(self.yearly_profile):
            return np.ones(len(np.atleast_1d(days)))
        dates = self.start_date + np.asarray(days, dtype=np.int64).astype("timedelta64[D]")
        month = dates.astype("datetime64[M]").astype(np.int64) % 12
        return np.asarray(self.yearly_profile[month])

    def hourly_multiplier(self, day: int) -> np.ndarray:
        """The 24 multipliers of ``base_rate_per_h`` over the hours of ``day``."""
        level = float(self.daily_level(np.array([day]))[0] * self.month_factor(np.array([day]))[0])
        mid = day * 24.0 + np.arange(24) + 0.5
        out = np.full(24, level)
        for start, end, multiplier in zip(
            self.event_start_h, self.event_end_h, self.event_multiplier, strict=True
        ):
            out[(mid >= start) & (mid < end)] *= multiplier
        return out


@dataclass(frozen=True)
class Demand:
    base_rate_per_h: float
    hourly_profile: np.ndarray  # 24 values, mean 1
    weekly_profile: np.ndarray  # 7 values, mean 1; day 0 is Monday
    extra_items_mean: float
    vip_p: float
    region_share: np.ndarray
    product_share: np.ndarray
    product_value_mean_usd: np.ndarray
    product_value_sd_usd: np.ndarray
    product_margin_mean: np.ndarray
    product_return_p: np.ndarray
    channel_share: np.ndarray
    channel_level_mix: np.ndarray  # [channel, service level] probabilities
    channel_value_multiplier: np.ndarray
    bursts: tuple[Burst, ...]
    calendar: Calendar | None = None  # None: stationary (the weekly x hourly profile only)


@dataclass(frozen=True)
class CustomerModel:
    pseudo_urgent_p: float
    pseudo_urgent_extra_h: float
    pseudo_urgent_extra_sd_h: float
    signal_separation: float
    nps_row_upper_days: np.ndarray  # upper lateness of each NPS row but the last
    nps_drop_days: float
    nps_promoter_p: np.ndarray
    nps_detractor_p: np.ndarray
    cancelled_promoter_p: float
    cancelled_detractor_p: float
    early_return_uplift_per_day: float
    claim_lateness_credit_days: float


@dataclass(frozen=True)
class ScriptedStorm:
    region: int
    start_h: float
    duration_h: float
    severity: float
    forecast: bool


@dataclass(frozen=True)
class Weather:
    storm_rate_per_day: np.ndarray  # by region
    storm_duration: Distribution
    severity_min: float
    severity_max: float
    warehouse_slowdown: float
    forecast_lead_h: float
    forecast_hit_p: float
    forecast_late_lead_h: float
    forecast_late_hit_p: float
    false_alarm_ratio: float
    forecast_start_sd_h_per_lead_day: float
    forecast_severity_sd: float
    scripted: tuple[ScriptedStorm, ...]

    @property
    def severity_mean(self) -> float:
        """Mean severity of a random storm (uniform between min and max): a "typical" storm."""
        return (self.severity_min + self.severity_max) / 2.0

    def transit_delay_h(self, mode_delay_h: float, severity: np.ndarray) -> np.ndarray:
        """Extra transit from storms of ``severity``: the mode's delay for a typical storm,
        scaled by severity against the mean (the one delay model, used by the engine for true
        storms and by routers for forecast ones)."""
        return mode_delay_h * np.asarray(severity, dtype=float) / max(self.severity_mean, 1e-9)


@dataclass(frozen=True)
class Inventory:
    enabled: bool
    sync_interval_h: float
    on_stockout: str  # reroute | backorder | cancel
    max_reroutes: int
    reroute_delay_h: float
    other_channel_share: float  # of a warehouse's units, drawn outside the web OMS
    shrink_share: float  # of units sold (web and other channels), lost without an order


@dataclass(frozen=True)
class Costs:
    pick_pack_usd: float
    extra_item_usd: float
    reroute_usd: float
    backorder_usd: float
    cancel_usd: float
    lost_parcel_detect_h: float
    staff_usd_per_h: float
    claim_usd: float
    held_order_margin_loss_p: float
    # never served (cancelled, or open when the run stops): this share of its margin is lost
    unserved_margin_loss_p: float

    @classmethod
    def from_conf(cls, costs: Mapping[str, Any]) -> Costs:
        return cls(**{k: float(v) for k, v in costs.items()})

    def pick_pack_charge_usd(self, items: np.ndarray) -> np.ndarray:
        """What picking and packing an order of ``items`` items costs: the one formula the
        engine charges and calibration subtracts from a logged cost to price the carrier."""
        return self.pick_pack_usd + self.extra_item_usd * (np.asarray(items, dtype=float) - 1.0)


@dataclass(frozen=True)
class Emissions:
    """What a parcel's CO2e is computed from; NaN marks what the scenario does not know."""

    kg_per_tonne_km: np.ndarray  # by mode
    distance_km: np.ndarray  # [region, warehouse]
    item_weight_kg: np.ndarray  # by product class
    last_mile_kg_per_parcel: float


@dataclass(frozen=True)
class World:
    """A whole scenario, ready to simulate."""

    name: str
    start_date: datetime.date  # the local date of hour 0
    regions: tuple[str, ...]
    warehouses: tuple[Warehouse, ...]
    modes: tuple[Mode, ...]
    product_classes: tuple[str, ...]
    channels: tuple[str, ...]
    zone: np.ndarray  # [region, warehouse] 1-based zone; 0 = the warehouse does not serve it
    demand: Demand
    customer: CustomerModel
    weather: Weather
    inventory: Inventory
    costs: Costs
    allocation_wave_h: float
    service_levels: tuple[ServiceLevel, ...]
    # [region, warehouse] shares of the origins as logged; all-zero rows: not observed
    observed_origin: np.ndarray | None = None
    emissions: Emissions | None = None  # None: no emission inputs (every CO2e unknown)

    @property
    def level_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.service_levels)

    @property
    def service_mode(self) -> np.ndarray:
        """The default mode index by service level (the one most of its customers choose)."""
        return np.array([s.default_mode for s in self.service_levels], dtype=np.int64)

    @property
    def urgent(self) -> np.ndarray:
        """By service level: urgent (what policies treat as express)."""
        return np.array([s.urgent for s in self.service_levels], dtype=bool)

    @property
    def promise_table_h(self) -> np.ndarray:
        """Promised delivery in hours by [service level, region]."""
        return np.array([s.promise_h for s in self.service_levels], dtype=float)

    @property
    def start_weekday(self) -> int:
        """Day of week of hour 0 (0 Monday): day ``d`` of the run is ``(d + this) % 7``."""
        return self.start_date.weekday()

    @property
    def warehouse_names(self) -> tuple[str, ...]:
        return tuple(w.name for w in self.warehouses)

    @property
    def mode_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.modes)

    def mode_index(self, name: str) -> int:
        return self.mode_names.index(name)

    def price_table_usd(self) -> np.ndarray:
        """Transport price [mode, zone] with zone 1-based (column 0 unused, NaN)."""
        n_zones = max(len(m.price_usd_by_zone) for m in self.modes)
        table = np.full((len(self.modes), n_zones + 1), np.nan)
        for i, mode in enumerate(self.modes):
            table[i, 1 : len(mode.price_usd_by_zone) + 1] = mode.price_usd_by_zone
        return table

    def transit_mean_table_h(self) -> np.ndarray:
        """Expected transit [mode, zone] in hours, zone 1-based (column 0 unused, NaN)."""
        n_zones = max(len(m.transit_by_zone) for m in self.modes)
        table = np.full((len(self.modes), n_zones + 1), np.nan)
        for i, mode in enumerate(self.modes):
            for z, dist in enumerate(mode.transit_by_zone, start=1):
                table[i, z] = dist.mean
        return table
