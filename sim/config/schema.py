"""The run-level config schema: what one run is (seed, horizon, export) around its scenario.

Registered in Hydra's ConfigStore (see :mod:`sim.config.store`) so that a misspelt key or a value of
the wrong type fails when the config is composed, naming the full key. The scenario's own schema is
:mod:`scenarios.schema`; range and cross-field checks live in :mod:`sim.config.validate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from scenarios.checks import MAX_KEY
from scenarios.schema import ScenarioConf

INT64_MAX = 2**63 - 1


@dataclass
class LimitsConf:
    """What one run may ask for, checked before anything is allocated (``sim.config.budget``).

    The defaults admit a year of a 50,000-orders/day network (~18.3 M orders) with room for
    bursts, and every shipped scenario and experiment; a run above one is refused with the
    estimate and the key that asks for most of it. Raise a limit if you mean it.
    """

    max_orders: int = 25_000_000  # orders drawn (base demand + burst candidates)
    max_events: int = 100_000_000  # SimPy events (~1.3-2.6 per order + periodic steps)
    max_timeseries_rows: int = 10_000_000  # samples x (warehouses + modes)
    max_pickers: int = 100_000  # picker processes, all warehouses (one SimPy process each)
    max_storms: int = 100_000  # random storms drawn over the horizon, all regions
    min_interval_h: float = 0.001  # the shortest periodic step (3.6 s): waves, syncs, samples


@dataclass
class ExportConf:
    """What a run writes of its orders: ``orders.parquet`` (``orders``: ``full``, ``sample`` —
    every ``sample_every``-th order by id — or ``none``), and optionally an order log (the format
    ``ordertwin-calibrate`` reads)."""

    orders: str = "full"  # full | sample | none
    sample_every: int = 20
    order_log: bool = False
    format: str = "csv"  # csv | parquet
    time_zone: str = "UTC"  # IANA name; times are written with their UTC offset
    start: str | None = None  # local wall time of hour 0 (00:00); None: scenario.start_date
    test_order_p: float = 0.0  # share of extra test orders mixed in (flagged is_test)
    duplicate_p: float = 0.0  # share of rows written twice
    # write the state snapshot (docs/snapshot.md) at this hour into the run dir's snapshot/
    snapshot_at_h: float | None = None


@dataclass
class RunConf:
    seed: int = field(default=1, metadata={MAX_KEY: INT64_MAX})
    horizon_days: float = 28.0
    warmup_days: float = 3.0
    cooldown_days: float = 14.0  # at most this long past the horizon for the cohort to resolve
    timeseries_interval_h: float = 1.0
    progress: bool = True
    scenario: ScenarioConf = MISSING
    routing: Any = MISSING
    monitoring: Any = MISSING
    export: ExportConf = field(default_factory=ExportConf)
    limits: LimitsConf = field(default_factory=LimitsConf)
