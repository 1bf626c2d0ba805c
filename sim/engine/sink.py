"""Where the records of finished orders go while the run goes on.

The engine hands each chunk of finished orders' records (the ``orders.parquet`` columns, README:
Order columns) to a sink as soon as they are final, then forgets them: in order-id order, but for
parcels parked in transit (:mod:`sim.engine.parked`), which follow once delivered. The output
layer provides a sink that writes a file (:mod:`sim.io.order_sink`), the engine only this
protocol and the in-memory collector library callers and tests use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np


class OrderSink(Protocol):
    """Takes chunks of order records (in order-id order within a chunk); every chunk has every
    column."""

    def write(self, columns: Mapping[str, np.ndarray]) -> None: ...


class CollectedOrders:
    """Keeps every chunk, to hand the whole table back (:meth:`columns`): memory grows with the
    run, so for library use and short runs."""

    def __init__(self) -> None:
        self._chunks: list[Mapping[str, np.ndarray]] = []

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        self._chunks.append({k: np.array(v, copy=True) for k, v in columns.items()})

    def columns(self) -> dict[str, np.ndarray]:
        """Every record written, one array per column, in order-id order (parcels parked in
        transit reach a sink after their neighbours: :mod:`sim.engine.parked`)."""
        if not self._chunks:
            return {}
        whole = {k: np.concatenate([c[k] for c in self._chunks]) for k in self._chunks[0]}
        ids = whole.get("order_id")
        if ids is not None and (np.diff(ids) < 0).any():
            order = np.argsort(ids, kind="stable")
            whole = {k: v[order] for k, v in whole.items()}
        return whole


class TeeOrders:
    """Hands each chunk to several sinks (a file and a collector, say)."""

    def __init__(self, *sinks: OrderSink) -> None:
        self.sinks = sinks

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        for sink in self.sinks:
            sink.write(columns)
