"""Stock as the order-management system sees it: the last sync plus its own allocations since.

With a sync interval the OMS holds a copy of each warehouse's stock taken at the last sync and
counts the units it has itself allocated since (net of units put back when an order moved).
Between syncs true stock also moves in ways the OMS cannot see — other channels' draws, shrink
(:mod:`sim.engine.drains`), replenishments arriving — so its picture drifts, and routing on it
is what makes a slow sync cost re-routes. With real-time sync it reads true stock.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import numpy as np
import simpy

from sim.engine.contract import frozen
from sim.engine.demand import OrderStream
from sim.engine.invariants import check_allocation_ledger
from sim.engine.warehouse import WarehouseOps


class StockVisibility:
    def __init__(
        self,
        env: simpy.Environment,
        warehouses: Sequence[WarehouseOps],
        orders: OrderStream,
        sync_interval_h: float,
        lagging: bool,
    ) -> None:
        self._env = env
        self._warehouses = warehouses
        self._orders = orders
        self._sync_interval_h = sync_interval_h
        self._lagging = lagging
        self._synced = np.stack([w.on_hand for w in warehouses]).astype(np.int64)
        self.synced_h = 0.0
        self.allocated_since_sync = np.zeros_like(self._synced)
        # the warehouses' net reservations at the last sync: the allocation ledger's reference
        self._net_reserved_at_sync = self._net_reserved()

    def restart(self, seen: np.ndarray, synced_h: float) -> None:
        """Start from the OMS's estimate ``seen`` [warehouse, product] as synced at ``synced_h``
        (its own allocations since already taken off), the warehouses' stock set to match."""
        self._synced = np.asarray(seen, dtype=np.int64).copy()
        self.synced_h = synced_h
        self.allocated_since_sync[:] = 0
        self._net_reserved_at_sync = self._net_reserved()

    def start_syncing(self) -> None:
        """Start the periodic sync (a process; started by the simulation in its fixed order)."""
        if self._lagging:
            self._env.process(self._sync())

    def visible(self) -> np.ndarray:
        """Units by [warehouse, product] as the OMS sees them (a read-only copy)."""
        if self._sync_interval_h > 0:
            out = self._synced.copy()
        else:
            out = np.stack([w.on_hand for w in self._warehouses])
        return frozen(out)

    def note_allocation(self, order: int, warehouse: int) -> None:
        """The OMS's own record of units it sent since the last sync (observable to policies)."""
        if self._lagging:
            self.allocated_since_sync[warehouse, self._orders.product[order]] += self._orders.items[
                order
            ]

    def note_release(self, order: int, warehouse: int) -> None:
        """Units of an allocated order put back (it moved to another warehouse)."""
        if self._lagging:
            self.allocated_since_sync[warehouse, self._orders.product[order]] -= self._orders.items[
                order
            ]

    def check_ledger(self) -> None:
        """The OMS's allocations since the last sync equal the warehouses' net reservations
        since then (:func:`~sim.engine.invariants.check_allocation_ledger`); checked at every
        sync, before the ledger restarts, and at the daily audits."""
        if not self._lagging:
            return
        reserved = self._net_reserved() - self._net_reserved_at_sync
        for w, ops in enumerate(self._warehouses):
            check_allocation_ledger(ops.spec.name, self.allocated_since_sync[w], reserved[w])

    def _net_reserved(self) -> np.ndarray:
        return np.stack([w.units.net_reserved() for w in self._warehouses])

    def _sync(self) -> Generator[Any, Any, None]:
        while True:
            yield self._env.timeout(self._sync_interval_h)
            self.check_ledger()
            for w, ops in enumerate(self._warehouses):
                self._synced[w] = ops.on_hand
            self.allocated_since_sync[:] = 0
            self._net_reserved_at_sync = self._net_reserved()
            self.synced_h = self._env.now
