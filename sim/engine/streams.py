"""Named random streams from one seed: the basis of common random numbers.

Each source of randomness gets its own generator, derived from the run seed and the stream's name
(not its position), so adding a stream or drawing more from one never shifts another. Two runs with
the same seed see the same orders and the same weather whatever the policies do.

What the world throws at the network (orders, their attributes and per-order uniforms, bursts,
storms, forecasts) is drawn **per day**: :meth:`RandomStreams.day` gives the generator of one
(stream, day) pair — a child ``SeedSequence`` keyed by the seed, the stream's name and the day —
so day ``d`` is the same whatever the horizon, and the first N days of a 14- and a 28-day run are
identical. Day streams: ``arrivals``, ``attributes``, ``picking``, ``transit``, ``scans``,
``returns``, ``bursts`` (keyed by burst name too), ``weather``, ``forecast``. Whole-run streams
(:meth:`RandomStreams.__getitem__`): ``policy``, the stream for randomised policies (handed to them
as ``view.rng``), kept apart so a policy's coin flips never shift the orders or the weather.
"""

from __future__ import annotations

import zlib

import numpy as np


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


class RandomStreams:
    """One ``numpy.random.Generator`` per named source, all children of ``SeedSequence(seed)``."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._generators: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        """The whole-run generator of a stream (one per name, kept: draws continue)."""
        if name not in self._generators:
            sequence = np.random.SeedSequence(entropy=self.seed, spawn_key=(_key(name),))
            self._generators[name] = np.random.Generator(np.random.PCG64(sequence))
        return self._generators[name]

    def day(self, name: str, day: int, *sub: str) -> np.random.Generator:
        """A fresh generator for stream ``name`` on day ``day`` (and sub-stream names ``sub``):
        the same for the same seed whatever else the run draws, and whatever its horizon."""
        key = (_key(name), int(day), *(_key(s) for s in sub))
        sequence = np.random.SeedSequence(entropy=self.seed, spawn_key=key)
        return np.random.Generator(np.random.PCG64(sequence))
