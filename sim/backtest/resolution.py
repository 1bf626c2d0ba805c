"""Compare durations as the log writes them: the twin's rounded to the log's time resolution.

A log writes times to the second, the minute, the hour or the day; the twin's are continuous. A
fixed lead time (48 h to the minute) is a point mass in the log and, in the twin, a normal with a
vanishing sd (the schema needs sd > 0): a two-sample KS test then sees the log's jump at 48 h
spread over a few seconds and reports a distance of about half the lead time's share on every
lane, though the two agree to the minute. Rounding the twin's durations to the coarsest unit
that every logged duration is a whole number of removes that, and changes nothing else.
"""

from __future__ import annotations

import numpy as np

UNITS_H = (24.0, 1.0, 1.0 / 60.0, 1.0 / 3600.0)  # a day, an hour, a minute, a second
_EPS = 1e-6  # of a unit: float noise of hours computed from timestamps


def log_resolution_h(durations_h: np.ndarray) -> float:
    """The coarsest unit every logged duration is a whole number of (0.0: none, continuous)."""
    values = np.asarray(durations_h, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return 0.0
    for unit in UNITS_H:
        steps = values / unit
        if np.all(np.abs(steps - np.round(steps)) <= _EPS * max(1.0, float(np.abs(steps).max()))):
            return unit
    return 0.0


def as_written(durations_h: np.ndarray, resolution_h: float) -> np.ndarray:
    """The twin's durations rounded to the log's resolution (unchanged when it has none)."""
    values = np.asarray(durations_h, dtype=float)
    if resolution_h <= 0.0:
        return values
    return np.round(values / resolution_h) * resolution_h
