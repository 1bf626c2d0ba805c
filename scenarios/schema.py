"""Dataclass schemas behind every scenario YAML (``conf/scenario/*.yaml``).

The run-level schema (:class:`sim.config.schema.RunConf`) composes :class:`ScenarioConf` and is
registered in Hydra's ConfigStore, so that a misspelt key or a value of the wrong type fails when
the config is composed, naming the full key. Range and cross-field checks that a type cannot
express live in :mod:`scenarios.validate`. The schema lives with the scenarios it describes so
that calibration can check a fitted scenario without importing ``sim``.

Units are in the names: ``_h`` hours, ``_days`` days, ``_usd`` US dollars, ``_p`` probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING

from scenarios.checks import OPTIONAL
from scenarios.dates import DEFAULT_START_DATE


@dataclass
class DistributionConf:
    """A non-negative duration distribution given by family, mean and standard deviation (hours)."""

    dist: str = "exponential"  # exponential | lognormal | gamma | normal | constant
    mean_h: float = 1.0
    sd_h: float | None = None  # required by lognormal, gamma, normal


@dataclass
class ShiftConf:
    """A daily shift; ``pickers`` defaults to the warehouse head count."""

    start_h: float = 6.0  # hour of day, 0-24
    length_h: float = 10.5
    pickers: int | None = None


@dataclass
class OutageConf:
    """A planned or known outage window: no picking, no carrier pickup."""

    start_h: float = 0.0
    duration_h: float = 24.0


@dataclass
class StockConf:
    """(s, S) replenishment of one product class at one warehouse, in units."""

    initial: int = 2000
    reorder_point: int = 800  # s
    order_up_to: int = 3000  # S


@dataclass
class WarehouseConf:
    region: str = MISSING  # where it stands (storms there slow it down)
    pickers: int = 10
    shifts: list[ShiftConf] = field(default_factory=list)  # empty: always staffed
    pick_time: DistributionConf = field(default_factory=DistributionConf)
    stock: dict[str, StockConf] = field(default_factory=dict)  # by product class
    replenish_lead_time_h: float = 72.0
    outages: list[OutageConf] = field(default_factory=list)
    # order -> carrier handover as logged, replacing pick + shift + pickup wait (a marketplace's
    # sellers); None: the picker model
    handling: DistributionConf | None = field(default=None, metadata=OPTIONAL)


@dataclass
class ModeConf:
    """A carrier service level (``air``, ``ground``, ``economy``...)."""

    price_usd_by_zone: list[float] = field(default_factory=list)
    transit_by_zone: list[DistributionConf] = field(default_factory=list)
    pickup_hours: list[float] = field(default_factory=lambda: [17.0])  # hour of day
    daily_capacity: int = 100_000  # parcels per warehouse per day
    scan_interval_h: float = 8.0
    scan_gap_p: float = 0.02  # chance a parcel's tracking goes dark mid-transit
    loss_p: float = 0.001
    storm_delay_h: float = 24.0  # extra transit from a storm of the scenario's mean severity
    storm_stop_severity: float = 0.8  # at or above this, no pickup/delivery in the region


@dataclass
class RegionConf:
    share: float = MISSING
    zone_to: dict[str, int] = field(default_factory=dict)  # warehouse -> zone (1-based)
    storm_rate_per_day: float | None = None  # None: the weather default
    # warehouse -> road distance (km) of the lane, where located (a calibrated scenario's state
    # centres); overrides emissions.distance_km_by_zone for that lane
    distance_km_to: dict[str, float] = field(default_factory=dict, metadata=OPTIONAL)


@dataclass
class ServiceLevelConf:
    """One row of the service-level table: the promise, the modes customers choose, urgency.

    The table's order is the level index an order carries (``OrderBatch.service_level``).
    """

    promise_h: float = 96.0  # promised delivery, hours after ordering
    promise_h_by_region: dict[str, float] = field(default_factory=dict)  # overrides by region
    mode_mix: dict[str, float] = field(default_factory=dict)  # the customer's choice of mode
    urgent: bool = False  # what policies treat as "express" (expedite, protect)
    cancel_p: float = 0.0  # chance the customer cancels at checkout, before routing


@dataclass
class ChannelConf:
    share: float = 0.0  # of base (non-burst) demand
    level_mix: dict[str, float] = field(default_factory=dict)  # empty: the first level only
    value_multiplier: float = 1.0


@dataclass
class ProductClassConf:
    share: float = MISSING
    value_mean_usd: float = 60.0
    value_sd_usd: float = 45.0
    margin_mean: float = 0.3  # fraction of value
    return_p: float = 0.10  # base return probability
    # shipping weight of one item (kg): a parcel weighs items x this; None: unknown (no CO2e)
    item_weight_kg: float | None = field(default=None, metadata=OPTIONAL)


@dataclass
class BurstConf:
    """A live-stream or flash-sale burst on top of base demand."""

    name: str = MISSING
    start_h: float | None = None  # hours from hour 0; or give ``start``
    # a date or local time (``2025-11-28T09:00``), counted from ``start_date``
    start: str | None = field(default=None, metadata=OPTIONAL)
    ramp_h: float = 1.0 / 60.0
    peak_multiplier: float = 30.0  # total rate at peak / base rate
    decay_tau_h: float = 0.25
    duration_h: float = 4.0
    channel: str = "live_stream"
    product_mix: dict[str, float] = field(default_factory=dict)  # empty: the usual mix
    region_mix: dict[str, float] = field(default_factory=dict)  # empty: the usual shares
    promotion: bool = True  # a monitoring policy may pause it


@dataclass
class LevelKnotConf:
    """The daily level (multiplier of ``base_rate_per_h``) on one date."""

    date: str = MISSING  # ISO date
    level: float = 1.0


@dataclass
class MonthMixConf:
    """Shares (of regions, channels or service levels) of one calendar month (``YYYY-MM``), from
    its first day until the next row."""

    month: str = MISSING
    shares: dict[str, float] = field(default_factory=dict)


@dataclass
class DemandEventConf:
    """A dated multiplier on top of the calendar (Black Friday; a gap is multiplier 0)."""

    name: str = MISSING
    start: str = MISSING  # a date (its midnight) or local time
    days: float = 1.0
    multiplier: float = 1.0


@dataclass
class CalendarConf:
    """Demand that changes over time, on top of the weekly x hourly profile."""

    daily_level: list[LevelKnotConf] = field(default_factory=list)  # linear between knots
    yearly_profile: list[float] = field(default_factory=list)  # 12 month multipliers, or none
    events: list[DemandEventConf] = field(default_factory=list)
    past_last_knot: str = "hold"  # hold | trend: the level after the last knot
    # region shares by month (empty: regions.<r>.share throughout); the last row holds after it
    region_mix_by_month: list[MonthMixConf] = field(default_factory=list, metadata=OPTIONAL)
    # channel shares by month (empty: channels.<c>.share throughout)
    channel_mix_by_month: list[MonthMixConf] = field(default_factory=list, metadata=OPTIONAL)
    # service-level shares by month, for every channel (empty: channels.<c>.level_mix throughout)
    level_mix_by_month: list[MonthMixConf] = field(default_factory=list, metadata=OPTIONAL)


@dataclass
class DemandConf:
    base_rate_per_h: float = 200.0
    hourly_profile: list[float] = field(default_factory=lambda: [1.0] * 24)
    weekly_profile: list[float] = field(default_factory=lambda: [1.0] * 7)
    extra_items_mean: float = 0.5  # items per order = 1 + Poisson(extra_items_mean)
    vip_p: float = 0.1  # share of orders from high-value customers
    bursts: list[BurstConf] = field(default_factory=list)
    calendar: CalendarConf | None = field(default=None, metadata=OPTIONAL)  # None: stationary


@dataclass
class CustomerConf:
    """Hidden expectation and the observable behaviour signal (promises: ``service_levels``)."""

    pseudo_urgent_p: float = 0.4  # of urgent orders
    pseudo_urgent_extra_h: float = 31.2  # their expectation lies this far after the promise
    pseudo_urgent_extra_sd_h: float = 8.0
    signal_separation: float = 1.5  # d' of the behaviour signal between the two groups
    # DOMAIN.md's NPS rows: upper lateness (days past the expectation) of every row but the
    # last ("on time", "1-3 days late", "4-7", "> 7"); shares per row (A, fitted to star ratings)
    nps_row_upper_days: list[float] = field(default_factory=lambda: [0.0, 3.0, 7.0])
    nps_drop_days: float = 1.0  # most of the fall to the second row happens by then (DOMAIN)
    nps_promoter_p: list[float] = field(default_factory=lambda: [0.62, 0.30, 0.15, 0.08])
    nps_detractor_p: list[float] = field(default_factory=lambda: [0.16, 0.50, 0.70, 0.82])
    cancelled_promoter_p: float = 0.03
    cancelled_detractor_p: float = 0.85
    early_return_uplift_per_day: float = 0.05  # relative return uplift per day early
    claim_lateness_credit_days: float = 1.0  # proactive contact softens perceived lateness


@dataclass
class StormConf:
    """A storm written into the scenario (on top of the random ones)."""

    region: str = MISSING
    start_h: float | None = None  # hours from hour 0; or give ``start``
    # a date or local time (``2026-03-10T06:00``), counted from ``start_date``
    start: str | None = field(default=None, metadata=OPTIONAL)
    duration_h: float = 24.0
    severity: float = 0.8
    forecast: bool = True  # issued forecast_lead_h ahead


@dataclass
class WeatherConf:
    storm_rate_per_day: float = 0.02  # per region
    storm_duration: DistributionConf = field(
        default_factory=lambda: DistributionConf(dist="lognormal", mean_h=24.0, sd_h=12.0)
    )
    severity_min: float = 0.3
    severity_max: float = 1.0
    warehouse_slowdown: float = 0.5  # pick time x (1 + slowdown x severity)
    # forecast skill (DOMAIN.md "Weather", A): lead 3 d with hit rate 0.8, a later forecast 1 d
    # ahead raises it to 0.9; false-alarm ratio 0.25 of all forecasts
    forecast_lead_h: float = 72.0
    forecast_hit_p: float = 0.8
    forecast_late_lead_h: float = 24.0
    forecast_late_hit_p: float = 0.9  # of storms forecast by then (at either lead)
    false_alarm_ratio: float = 0.25
    # forecast errors (A): start hour off by a normal error of this sd per day of lead (skill
    # falls fast with lead); severity off by a normal error of this sd, kept in the severity range
    forecast_start_sd_h_per_lead_day: float = 4.0
    forecast_severity_sd: float = 0.15
    storms: list[StormConf] = field(default_factory=list)


@dataclass
class InventoryConf:
    enabled: bool = True
    sync_interval_h: float = 0.25
    on_stockout: str = "reroute"  # reroute | backorder | cancel
    max_reroutes: int = 2
    reroute_delay_h: float = 0.5
    # drains the OMS sees only at the next sync (DOMAIN.md "Inventory visibility"): stores,
    # marketplaces and B2B draw 20-40% of a warehouse's units outside the web OMS (A) ...
    other_channel_share: float = 0.3
    # ... and shrink (theft, damage, admin error) is ~1.4-1.6% of sales (S: NRF 2021-2022)
    shrink_share: float = 0.015


@dataclass
class CostConf:
    pick_pack_usd: float = 3.0
    extra_item_usd: float = 0.5
    reroute_usd: float = 5.0
    backorder_usd: float = 8.0
    cancel_usd: float = 25.0  # oversell event
    lost_parcel_detect_h: float = 72.0  # after the due date, a replacement ships
    staff_usd_per_h: float = 40.0  # monitoring team time
    claim_usd: float = 6.0  # claims pre-review and customer contact
    held_order_margin_loss_p: float = 0.2  # share of a held order's margin lost (walk-aways)
    unserved_margin_loss_p: float = 1.0  # share of the margin lost on an order never served


@dataclass
class EmissionsConf:
    """CO2e of a parcel's trip (DOMAIN.md "Emissions"): tonne-km by mode and lane, plus a last-mile
    term per parcel. A mode without a factor, or a lane without a distance, has unknown CO2e (NaN,
    counted in ``co2e_unknown_orders``), never a guessed one."""

    kg_co2e_per_tonne_km: dict[str, float] = field(default_factory=dict)  # by mode
    distance_km_by_zone: list[float] = field(default_factory=list)  # zone 1 first; empty: unknown
    last_mile_kg_per_parcel: float = 0.0  # delivery van, per parcel delivered


@dataclass
class ScenarioConf:
    name: str = MISSING
    description: str = ""
    start_date: str = field(default=DEFAULT_START_DATE, metadata=OPTIONAL)  # local date of hour 0
    regions: dict[str, RegionConf] = field(default_factory=dict)
    warehouses: dict[str, WarehouseConf] = field(default_factory=dict)
    modes: dict[str, ModeConf] = field(default_factory=dict)
    product_classes: dict[str, ProductClassConf] = field(default_factory=dict)
    channels: dict[str, ChannelConf] = field(default_factory=dict)
    demand: DemandConf = field(default_factory=DemandConf)
    customer: CustomerConf = field(default_factory=CustomerConf)
    weather: WeatherConf = field(default_factory=WeatherConf)
    inventory: InventoryConf = field(default_factory=InventoryConf)
    costs: CostConf = field(default_factory=CostConf)
    allocation_wave_h: float = 0.0  # 0: route each order as it arrives
    # no default rows: Hydra would merge them into a scenario's own, freely named table
    service_levels: dict[str, ServiceLevelConf] = field(default_factory=dict)
    # region -> {warehouse: share}: where its orders shipped from, as logged (routing=as_logged)
    observed_origins: dict[str, dict[str, float]] = field(default_factory=dict, metadata=OPTIONAL)
    emissions: EmissionsConf = field(default_factory=EmissionsConf, metadata=OPTIONAL)
