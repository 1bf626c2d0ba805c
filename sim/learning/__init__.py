"""Training the learned router: simulate history, fit, cache.

Above the policies and the engine (it runs the engine under an exploring router), below the
commands and the config layer, which call :func:`model_for` before a run so that the router
itself only ever *uses* a :class:`~policies.routing.router_model.RouterModel`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.learning.cache import MODEL_CACHE_ENV, cache_path, model_for

if TYPE_CHECKING:  # the names only: scikit-learn loads when training is first asked for
    from sim.learning.fit import calibration_csv, calibration_path, train

__all__ = [
    "MODEL_CACHE_ENV",
    "cache_path",
    "calibration_csv",
    "calibration_path",
    "model_for",
    "train",
]
_FIT = ("calibration_csv", "calibration_path", "train")


def __getattr__(name: str) -> Any:
    if name in _FIT:
        from sim.learning import fit

        return getattr(fit, name)
    raise AttributeError(f"module 'sim.learning' has no attribute {name!r}")
