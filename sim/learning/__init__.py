"""Training the learned router: simulate history, fit, cache.

Above the policies and the engine (it runs the engine under an exploring router), below the
commands and the config layer, which call :func:`model_for` before a run so that the router
itself only ever *uses* a :class:`~policies.routing.router_model.RouterModel`.
"""

from sim.learning.cache import MODEL_CACHE_ENV, cache_path, model_for
from sim.learning.fit import calibration_csv, calibration_path, train

__all__ = [
    "MODEL_CACHE_ENV",
    "cache_path",
    "calibration_csv",
    "calibration_path",
    "model_for",
    "train",
]
