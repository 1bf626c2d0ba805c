"""A trained model per (world, training seeds, days), cached on disk and trained once.

Parallel sweep jobs that need the same missing model take a file lock beside the cache entry:
one trains, the others wait and load it. The cache is untrusted input like any model file: it is
read as arrays only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path

import sklearn

from policies.routing.features import feature_names
from policies.routing.router_model import RouterModel, load_model, save_model
from scenarios.world import World
from sim.learning.fit import MODEL_PARAMS, train

MODEL_CACHE_ENV = "ORDERTWIN_MODEL_CACHE"
DEFAULT_CACHE = Path("results") / "models"


@contextlib.contextmanager
def cache_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside ``path`` (POSIX ``flock``; elsewhere no lock, and parallel
    jobs may train the same model twice, which is only wasted time: saves are atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def cache_path(world: World, seeds: tuple[int, ...], days: float) -> Path:
    """Where the model for this exact world and training set is cached (the key hashes the
    pickled *specification*; nothing is ever unpickled)."""
    spec = (world, seeds, days, MODEL_PARAMS, feature_names(world.mode_names), sklearn.__version__)
    key = hashlib.sha256(pickle.dumps(spec)).hexdigest()
    root = Path(os.environ.get(MODEL_CACHE_ENV, DEFAULT_CACHE))
    return root / f"predictive-{world.name}-{key[:16]}.npz"


def model_for(world: World, seeds: tuple[int, ...], days: float) -> RouterModel:
    """The cached model for this world and training set, trained (and said so) if missing."""
    path = cache_path(world, seeds, days)
    with cache_lock(path):  # parallel sweep jobs: one trains, the others wait
        if path.is_file():
            return load_model(path)
        print(
            f"predictive: no model given; training one for scenario {world.name!r} on seeds "
            f"{list(seeds)} ({days:g} days each), cached at {path}",
            file=sys.stderr,
        )
        return load_model(save_model(train(world, seeds, days), path))
