"""Where the records of finished orders go while the run goes on.

The engine hands each chunk of finished orders' records (the ``orders.parquet`` columns, README:
Order columns, in order-id order) to a sink as soon as they are final, then forgets them; the
output layer provides a sink that writes a file (:mod:`sim.io.order_sink`), the engine only this
protocol and the in-memory collector library callers and tests use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np


class OrderSink(Protocol):
    """Takes chunks of order records, in order-id order; every chunk has every column."""

    def write(self, columns: Mapping[str, np.ndarray]) -> None: ...


class CollectedOrders:
    """Keeps every chunk, to hand the whole table back (:meth:`columns`): memory grows with the
    run, so for library use and short runs."""

    def __init__(self) -> None:
        self._chunks: list[Mapping[str, np.ndarray]] = []

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        self._chunks.append({k: np.array(v, copy=True) for k, v in columns.items()})

    def columns(self) -> dict[str, np.ndarray]:
        """Every record written, one array per column."""
        if not self._chunks:
            return {}
        return {k: np.concatenate([c[k] for c in self._chunks]) for k in self._chunks[0]}


class TeeOrders:
    """Hands each chunk to several sinks (a file and a collector, say)."""

    def __init__(self, *sinks: OrderSink) -> None:
        self.sinks = sinks

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        for sink in self.sinks:
            sink.write(columns)
