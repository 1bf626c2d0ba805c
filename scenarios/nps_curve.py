"""The NPS proxy's curve: promoter (or detractor) share against lateness, from DOMAIN's table.

DOMAIN.md gives shares per lateness row ("on time or early", "1-3 days late", "4-7", "> 7") and
asks for a smooth monotone curve that keeps each row's average over its lateness range and makes
most of the fall from the first row to the second within the first day past the customer's
expectation (late delivery is judged sharply). The curve is piecewise linear in lateness (days
past the expectation): the first row's share up to 0; a knot at ``drop_days``; a knot at each
row's upper bound; the last row's share flat beyond the last bound. Knot values are solved from
the last row backwards so that every row's mean over its range is its share exactly.
"""

from __future__ import annotations

import numpy as np


def nps_knots(
    row_upper_days: np.ndarray, shares: np.ndarray, drop_days: float
) -> tuple[np.ndarray, np.ndarray]:
    """Knots (lateness days, share) of the curve through a table of ``len(shares)`` rows.

    ``row_upper_days`` holds the upper lateness bound of every row but the last (the first is 0,
    "on time"); ``drop_days`` lies inside the second row. Rows past the second are linear between
    their bounds; the second row has one more knot, at ``drop_days``.
    """
    bounds = np.asarray(row_upper_days, dtype=float)
    y = np.asarray(shares, dtype=float)
    last = len(y) - 1
    # the last row is flat at its share from the last bound on
    value = {last - 1: y[last]}  # knot value at bounds[k]
    for k in range(last - 1, 1, -1):  # row k spans (bounds[k-1], bounds[k]]: mean of its ends
        value[k - 1] = 2.0 * y[k] - value[k]
    # the second row spans (0, b] with knots 0 (first row's share), drop_days and b
    b, d, v0, vb = bounds[1], drop_days, y[0], value[1]
    # mean = [d (v0 + vd) / 2 + (b - d) (vd + vb) / 2] / b = y[1], solved for vd
    vd = (2.0 * b * y[1] - d * v0 - (b - d) * vb) / b
    x = np.concatenate([[0.0, d], bounds[1:]])
    v = np.concatenate([[v0, vd], [value[k] for k in range(1, last)]])
    return x, v


def monotone(values: np.ndarray) -> bool:
    """Whether knot values never rise, or never fall (a share must move one way with lateness)."""
    step = np.diff(values)
    return bool((step <= 1e-12).all() or (step >= -1e-12).all())
