"""Parcels still in transit when every order around them has finished, kept aside in a small table.

With a monitoring policy that never acts, nothing touches a parcel once it has shipped: its
delivery is settled then. The slow few — a lost parcel's replacement lands ~10 days after its
order — would otherwise hold the window's pages (:mod:`sim.engine.window`) of every order since,
about ten days of orders. Instead their rows are copied here (~0.5% of orders, a few hundred bytes
each) and the window moves on; each is recorded once delivered, or when the run ends. So their
records reach the sink after their neighbours' (``orders.parquet`` is in order-id order except for
these), and memory follows the few days most orders live.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.engine.demand import COLUMN_DTYPES, OrderStream
from sim.engine.orderbook import COLUMNS, OrderBook


@dataclass(frozen=True)
class ParkedRows:
    """Some parked orders' rows, taken off the table: ids and columns row by row."""

    ids: np.ndarray
    orders: OrderStream
    book: OrderBook
    promised_h: np.ndarray


class ParkedOrders:
    """Copies of the rows of orders in transit, by order id (ascending)."""

    def __init__(self) -> None:
        self.ids = np.zeros(0, dtype=np.int64)
        self.orders: dict[str, np.ndarray] = {k: np.zeros(0, t) for k, t in COLUMN_DTYPES.items()}
        self.book: dict[str, np.ndarray] = {k: np.zeros(0, t) for k, (t, _) in COLUMNS.items()}
        self.promised_h = np.zeros(0)

    def __len__(self) -> int:
        return len(self.ids)

    def park(
        self, ids: np.ndarray, orders: OrderStream, book: OrderBook, promised_h: np.ndarray
    ) -> None:
        """Copy the rows of ``ids`` (ascending, above every id parked so far)."""
        if not len(ids):
            return
        self.ids = np.concatenate([self.ids, ids])
        for name, kept in self.orders.items():
            self.orders[name] = np.concatenate([kept, getattr(orders, name)[ids]])
        for name, kept in self.book.items():
            self.book[name] = np.concatenate([kept, getattr(book, name)[ids]])
        self.promised_h = np.concatenate([self.promised_h, promised_h[ids]])

    def take(self, which: np.ndarray) -> ParkedRows:
        """The rows where ``which`` (a mask over the table) is set, removed from the table."""
        rest = ~which
        taken = ParkedRows(
            self.ids[which],
            OrderStream(**{f.name: self.orders[f.name][which] for f in fields(OrderStream)}),
            OrderBook.detached({k: v[which] for k, v in self.book.items()}),
            self.promised_h[which],
        )
        self.ids = self.ids[rest]
        self.orders = {k: v[rest] for k, v in self.orders.items()}
        self.book = {k: v[rest] for k, v in self.book.items()}
        self.promised_h = self.promised_h[rest]
        return taken
