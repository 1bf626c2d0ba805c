"""Named random streams from one seed: the basis of common random numbers.

Each source of randomness gets its own generator, derived from the run seed and the stream's name
(not its position), so adding a stream or drawing more from one never shifts another. Two runs with
the same seed see the same orders and the same weather whatever the policies do.

Streams in use: ``arrivals``, ``attributes``, ``picking``, ``transit``, ``weather``, ``forecast``,
``scans``, ``returns``; and ``policy``, the stream for randomised policies (handed to them as
``view.rng``), kept apart so a policy's coin flips never shift the orders or the weather.
"""

from __future__ import annotations

import zlib

import numpy as np


class RandomStreams:
    """One ``numpy.random.Generator`` per named source, all children of ``SeedSequence(seed)``."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._generators: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._generators:
            key = zlib.crc32(name.encode("utf-8"))
            sequence = np.random.SeedSequence(entropy=self.seed, spawn_key=(key,))
            self._generators[name] = np.random.Generator(np.random.PCG64(sequence))
        return self._generators[name]
