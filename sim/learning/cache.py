"""A trained model per (world, training seeds, days), cached on disk and trained once.

Parallel sweep jobs that need the same missing model take a file lock beside the cache entry:
one trains, the others wait and load it. The cache is untrusted input like any model file: it is
read as arrays only (a pickle or ``.joblib`` file planted there is never unpickled), its content
hash is checked, and its recorded provenance must be this very world and training set, else the
model is trained again. The cache folder may come from ``ORDERTWIN_MODEL_CACHE``: the lock file is
opened without following a symbolic link and never truncated, and no link below the folder is
written through.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import pickle
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from policies.routing.features import feature_names
from policies.routing.router_model import ModelFileError, RouterModel, load_model, save_model
from scenarios.errors import ConfigError
from scenarios.world import World

MODEL_CACHE_ENV = "ORDERTWIN_MODEL_CACHE"
DEFAULT_CACHE = Path("results") / "models"
PROVENANCE_KEY = "cache_key"  # in the model's metadata: the world + training set it was made for
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


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
    lock_path = path.with_suffix(".lock")
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)  # no O_TRUNC: never truncate
    try:
        fd = os.open(lock_path, flags, 0o666)
    except OSError as err:
        if err.errno != errno.ELOOP:
            raise
        raise ConfigError(
            str(lock_path), "a lock file, not a symbolic link (refusing to open through it)"
        ) from None
    with os.fdopen(fd, "r+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def cache_path(world: World, seeds: tuple[int, ...], days: float) -> Path:
    """Where the model for this exact world and training set is cached (the key hashes the
    pickled *specification*; nothing is ever unpickled)."""
    return _path_for(world, cache_key(world, seeds, days))


def _path_for(world: World, key: str) -> Path:
    root = Path(os.environ.get(MODEL_CACHE_ENV, DEFAULT_CACHE))
    name = _UNSAFE.sub("_", world.name)[:60]  # the scenario's name is no path
    return root / f"predictive-{name}-{key[:16]}.npz"


def cache_key(world: World, seeds: tuple[int, ...], days: float) -> str:
    """SHA-256 of the pickled *specification* (world, seeds, days, parameters, versions)."""
    import sklearn  # here, not at the top: a run without a learned router never loads it

    from sim.learning.fit import MODEL_PARAMS

    spec = (
        world,
        seeds,
        days,
        MODEL_PARAMS,
        feature_names(world.mode_names),
        sklearn.__version__,
        training_code_digest(),
    )
    return hashlib.sha256(pickle.dumps(spec)).hexdigest()


@functools.cache
def training_code_digest() -> str:
    """SHA-256 of the code that makes a model (history, fitting, the model format): a model
    cached by an older ordertwin is trained again, never silently reused after an upgrade."""
    from policies.routing import features, router_model
    from sim.learning import fit, history

    digest = hashlib.sha256()
    for module in (history, fit, router_model, features):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


def train(world: World, seeds: tuple[int, ...], days: float) -> RouterModel:
    """Fit a model; scikit-learn is imported here, so a run that needs no training never loads
    it."""
    from sim.learning.fit import train as fit

    return fit(world, seeds, days)


def model_for(world: World, seeds: tuple[int, ...], days: float) -> RouterModel:
    """The cached model for this world and training set, trained (and said so) if missing,
    unreadable, or made for something else."""
    key = cache_key(world, seeds, days)  # pickles the world: once
    path = _path_for(world, key)
    with cache_lock(path):  # parallel sweep jobs: one trains, the others wait
        why = "no model given"
        if path.is_file():
            try:
                model = load_model(path)
            except ModelFileError as err:
                why = f"the cached model is unusable ({err})"
            else:
                if model.metadata.get(PROVENANCE_KEY) == key:
                    return model
                why = f"the cached model {path} was not made for this world and training set"
        print(
            f"predictive: {why}; training one for scenario {world.name!r} on seeds "
            f"{list(seeds)} ({days:g} days each), cached at {path}",
            file=sys.stderr,
        )
        model = train(world, seeds, days)
        model.metadata[PROVENANCE_KEY] = key
        return load_model(save_model(model, path))
