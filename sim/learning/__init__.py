"""Training the learned router: simulate history, fit, cache.

Above the policies and the engine (it runs the engine under an exploring router), below the
commands and the config layer, which call :func:`model_for` before a run so that the router
itself only ever *uses* a :class:`~policies.routing.router_model.RouterModel`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.learning.cache import MODEL_CACHE_ENV, cache_path, model_for

if TYPE_CHECKING:  # the name only: scikit-learn loads when training is first asked for
    from sim.learning.fit import train

__all__ = ["MODEL_CACHE_ENV", "cache_path", "model_for", "train"]


def __getattr__(name: str) -> Any:
    if name == "train":
        from sim.learning.fit import train

        return train
    raise AttributeError(f"module 'sim.learning' has no attribute {name!r}")
