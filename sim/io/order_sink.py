"""``orders.parquet`` written while the run goes on: finished orders' records in row groups.

The engine hands chunks of records to an :class:`~sim.engine.sink.OrderSink`; this one turns
each into an Arrow record batch at once (a copy: the engine reuses its arrays) and writes a row
group every ``ROW_GROUP_ROWS`` rows, so a run never holds more than one row group of records.
Storage only, nothing lost: names are dictionary-encoded (read back as pandas categoricals),
small counts stored as int32, and ``export.orders=sample`` keeps every ``sample_every``-th order
by id (the same orders under every policy, so paired comparisons stay paired).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP_ROWS = 65_536
NAME_COLUMNS = (
    "region",
    "product_class",
    "channel",
    "burst",
    "service_level",
    "warehouse",
    "mode",
    "status",
)
# counts far below 2**31 by construction (items per order, carrier zone, re-routes of an order)
INT32_COLUMNS = ("items", "zone", "reroutes")


class ParquetOrders:
    """Writes chunks of order records to one parquet file; :meth:`close` finishes it."""

    def __init__(self, path: str | Path, sample_every: int = 1) -> None:
        self.path = Path(path)
        self.sample_every = sample_every
        self.rows = 0  # records written so far
        self._buffer: list[pa.RecordBatch] = []
        self._buffered = 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        ids = columns["order_id"]
        keep = ids % self.sample_every == 0 if self.sample_every > 1 else slice(None)
        batch = pa.record_batch(
            {k: _arrow(k, np.array(v[keep], copy=True)) for k, v in columns.items()}
        )
        self._buffer.append(batch)
        self._buffered += batch.num_rows
        if self._buffered >= ROW_GROUP_ROWS:
            self._write_row_group()

    def close(self) -> None:
        """Write what is buffered and the file's footer (an empty file still has the columns)."""
        if self._buffered or self._writer is None:
            self._write_row_group()
        if self._writer is not None:
            self._writer.close()

    def _write_row_group(self) -> None:
        if not self._buffer:
            return
        table = pa.Table.from_batches(self._buffer).combine_chunks()
        for name in NAME_COLUMNS:
            if name in table.column_names:
                i = table.column_names.index(name)
                table = table.set_column(i, name, sorted_dictionary(table[name].chunk(0)))
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._writer.write_table(table, row_group_size=max(len(table), 1))
        self.rows += len(table)
        self._buffer, self._buffered = [], 0


def _arrow(name: str, values: np.ndarray) -> pa.Array:
    if name in NAME_COLUMNS:
        return pa.array(values, type=pa.string()).dictionary_encode()
    if name in INT32_COLUMNS:
        return pa.array(values).cast(pa.int32(), safe=True)  # an overflow raises, never wraps
    return pa.array(values)


def sorted_dictionary(names: pa.DictionaryArray) -> pa.DictionaryArray:
    """The same values with the dictionary in sorted order (as pandas orders categories)."""
    words = np.asarray(names.dictionary.to_pylist(), dtype=object)
    order = np.argsort(words, kind="stable")
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    indices = rank[names.indices.to_numpy(zero_copy_only=False)]
    return pa.DictionaryArray.from_arrays(pa.array(indices), pa.array(words[order], pa.string()))
