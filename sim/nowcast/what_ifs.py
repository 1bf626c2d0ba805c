"""The what-ifs a now-cast is asked for, from their command-line form to variants of the world
or the snapshot (:mod:`sim.nowcast.variants`), each checked against the scenario and the
snapshot with a one-line error naming the option.

- expedite the red orders (``--expedite-red-by MODE``), or the listed ones (``--orders FILE
  --expedite-by MODE``); ``--savable-only`` keeps to orders not already past their promise;
- move the listed orders (``--orders FILE --move-to WAREHOUSE``), or every order queued at a
  warehouse (``--move-queued-from WAREHOUSE --move-to WAREHOUSE``);
- add pickers at a warehouse from an hour (``--add-pickers WAREHOUSE:COUNT@HOUR``);
- a storm (``--storm REGION:START_H:DURATION_H:SEVERITY``), taken as certain.

Hours count from hour 0 of the scenario, like the snapshot's ``snapshot_h``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scenarios.errors import ConfigError
from scenarios.world import World
from sim.engine.snapshot_state import STAGE_CODE, SnapshotState
from sim.io.order_list import read_order_ids
from sim.nowcast.decision import Deciding, counted
from sim.nowcast.replicate import Variant
from sim.nowcast.variants import AddPickers, Move, Storm, expedite

MAX_ADDED_PICKERS = 10_000


@dataclass(frozen=True)
class WhatIfRequest:
    expedite_red_by: str | None = None  # a mode
    savable_only: bool = False
    orders_file: Path | None = None
    expedite_by: str | None = None  # a mode, for the listed orders
    move_to: str | None = None  # a warehouse
    move_queued_from: str | None = None  # a warehouse
    add_pickers: str | None = None  # WAREHOUSE:COUNT@HOUR
    storm: str | None = None  # REGION:START_H:DURATION_H:SEVERITY

    @property
    def count(self) -> int:
        """How many what-ifs this asks for (each one more set of replications)."""
        asked = (self.expedite_red_by, self.expedite_by, self.move_to, self.add_pickers, self.storm)
        return sum(x is not None for x in asked)


@dataclass(frozen=True)
class WhatIf:
    description: str
    orders: int  # snapshot orders it acts on (0: the whole network)
    variant: Variant
    counts: dict[str, Any] | None = None  # listed / acted_on / not_acted_on; None: the network


@dataclass(frozen=True)
class Checked:
    """A request with its values parsed once: the listed orders (the file read once), the added
    pickers and the storm."""

    request: WhatIfRequest
    listed: np.ndarray
    add_pickers: AddPickers | None
    storm: Storm | None


def check(request: WhatIfRequest, world: World, state: SnapshotState) -> Checked:
    """Refuse a malformed or unknown value before any replication runs; the parsed values."""
    modes = [m.name for m in world.modes]
    warehouses = [w.name for w in world.warehouses]
    _index("--expedite-red-by", request.expedite_red_by, modes, "mode")
    _index("--expedite-by", request.expedite_by, modes, "mode")
    _index("--move-to", request.move_to, warehouses, "warehouse")
    _index("--move-queued-from", request.move_queued_from, warehouses, "warehouse")
    listed = request.expedite_by is not None or (request.move_to and not request.move_queued_from)
    if listed and request.orders_file is None:
        raise ConfigError("--orders", "a file listing the orders for --expedite-by / --move-to")
    if request.move_queued_from is not None and request.move_to is None:
        raise ConfigError("--move-queued-from", "--move-to WAREHOUSE as well")
    if request.move_to is not None and request.move_to == request.move_queued_from:
        raise ConfigError("--move-to", "a warehouse other than --move-queued-from", request.move_to)
    if request.orders_file is not None and not (request.expedite_by or request.move_to):
        raise ConfigError("--orders", "--expedite-by MODE or --move-to WAREHOUSE to act on them")
    now = state.snapshot_h
    return Checked(
        request,
        _listed(request, state),
        None if request.add_pickers is None else parse_add_pickers(request.add_pickers, world, now),
        None if request.storm is None else parse_storm(request.storm, world, now),
    )


def _listed(request: WhatIfRequest, state: SnapshotState) -> np.ndarray:
    """The orders of ``--orders`` (none without it), every one open in the snapshot."""
    if request.orders_file is None:
        return np.zeros(0, dtype=np.int64)
    listed = read_order_ids(request.orders_file)
    unknown = listed[~np.isin(listed, state.orders["order_id"])]
    if len(unknown):
        where = str(request.orders_file)
        raise ConfigError(where, "order ids open in the snapshot", int(unknown[0]))
    return listed


def plan(checked: Checked, world: World, state: SnapshotState, table: pd.DataFrame) -> list[WhatIf]:
    """The what-ifs asked for (:func:`check`), in a fixed order, against the risk table's tiers;
    one naming orders says how many it acts on, from the decision it applies
    (:func:`~sim.nowcast.decision.counted`)."""
    request, listed, o = checked.request, checked.listed, state.orders
    out: list[WhatIf] = []
    modes = [m.name for m in world.modes]
    warehouses = [w.name for w in world.warehouses]
    savable = request.savable_only
    suffix = " (only those not yet past their promise)" if savable else ""

    def on_orders(action: str, what: str, target: str, variant: Deciding) -> WhatIf:
        counts = counted(variant, world, state)
        n, of = counts["acted_on"], counts["listed"]
        text = f"{action} {n} of the {of} {what} {target}{suffix}"
        return WhatIf(text, n, variant, counts)

    if request.expedite_red_by is not None:
        red = table.loc[table["risk_tier"] == "red", "order_id"].to_numpy(np.int64)
        variant = expedite(red.tolist(), modes.index(request.expedite_red_by), savable)
        out.append(on_orders("expedite", "red orders", f"by {request.expedite_red_by}", variant))
    if request.expedite_by is not None:
        variant = expedite(listed.tolist(), modes.index(request.expedite_by), savable)
        out.append(on_orders("expedite", "listed orders", f"by {request.expedite_by}", variant))
    if request.move_to is not None:
        to = warehouses.index(request.move_to)
        if request.move_queued_from is not None:
            source = warehouses.index(request.move_queued_from)
            mine = (o["warehouse"] == source) & (o["stage"] == STAGE_CODE["queued"])
            ids, what = o["order_id"][mine], f"orders queued at {request.move_queued_from}"
        else:
            ids, what = listed, "listed orders"
        move = Move(tuple(ids.tolist()), to, savable)
        out.append(on_orders("move", what, f"to {request.move_to}", move))
    if (add := checked.add_pickers) is not None:
        text = f"add {add.pickers} pickers at {warehouses[add.warehouse]} from hour {add.from_h:g}"
        out.append(WhatIf(text, 0, add))
    if (storm := checked.storm) is not None:
        text = (
            f"a storm over {world.regions[storm.region]} from hour {storm.start_h:g} for "
            f"{storm.duration_h:g} h at severity {storm.severity:g}"
        )
        out.append(WhatIf(text, 0, storm))
    return out


def parse_add_pickers(text: str, world: World, now: float) -> AddPickers:
    names = [w.name for w in world.warehouses]
    expected = (
        f"WAREHOUSE:COUNT@HOUR (a warehouse of the scenario: {', '.join(names)}; COUNT 1 to "
        f"{MAX_ADDED_PICKERS:,}; HOUR a number >= the snapshot's hour {now:g})"
    )
    name, _, rest = text.partition(":")
    count, _, hour = rest.partition("@")
    if name not in names or not count.isdigit() or not 1 <= int(count) <= MAX_ADDED_PICKERS:
        raise ConfigError("--add-pickers", expected, text)
    h = _number(hour)
    if h is None or h < now:
        raise ConfigError("--add-pickers", expected, text)
    if world.warehouses[names.index(name)].handling is not None:
        expected = "a warehouse that picks (this one hands orders over)"
        raise ConfigError("--add-pickers", expected, text)
    return AddPickers(names.index(name), int(count), h)


def parse_storm(text: str, world: World, now: float) -> Storm:
    regions = list(world.regions)
    expected = (
        f"REGION:START_H:DURATION_H:SEVERITY (a region of the scenario: {', '.join(regions)}; "
        f"START_H >= the snapshot's hour {now:g}; DURATION_H > 0; SEVERITY in (0, 1])"
    )
    parts = text.split(":")
    if len(parts) != 4 or parts[0] not in regions:
        raise ConfigError("--storm", expected, text)
    start, duration, severity = (_number(p) for p in parts[1:])
    if start is None or duration is None or severity is None:
        raise ConfigError("--storm", expected, text)
    if start < now or not duration > 0 or not 0 < severity <= 1:
        raise ConfigError("--storm", expected, text)
    return Storm(regions.index(parts[0]), start, duration, severity)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _index(key: str, value: str | None, names: list[str], what: str) -> None:
    if value is not None and value not in names:
        raise ConfigError(key, f"a {what} of the scenario ({', '.join(names)})", value)
