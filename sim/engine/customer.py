"""Customer experience: promoter / detractor probabilities and return probability per order.

Expected values rather than coin flips (less variance for the same information). Lateness is
measured against the customer's own expectation, not the promise: a pseudo-urgent express order
delivered a day after its promise can still make a promoter. Early delivery is neutral for NPS and
raises the chance of a return.
"""

from __future__ import annotations

import numpy as np

from scenarios.nps_curve import nps_knots
from scenarios.world import CustomerModel


class ExperienceModel:
    """Monotone curves that keep DOMAIN's NPS table row by row (:mod:`scenarios.nps_curve`)."""

    def __init__(self, model: CustomerModel) -> None:
        self.model = model
        bounds, drop = model.nps_row_upper_days, model.nps_drop_days
        self._promoter = nps_knots(bounds, model.nps_promoter_p, drop)
        self._detractor = nps_knots(bounds, model.nps_detractor_p, drop)

    def promoter_p(self, lateness_days: np.ndarray) -> np.ndarray:
        """Promoter probability at ``lateness_days`` past the expectation (NaN stays NaN)."""
        return self._curve(self._promoter, lateness_days)

    def detractor_p(self, lateness_days: np.ndarray) -> np.ndarray:
        return self._curve(self._detractor, lateness_days)

    @staticmethod
    def _curve(knots: tuple[np.ndarray, np.ndarray], lateness_days: np.ndarray) -> np.ndarray:
        x, v = knots
        days = np.asarray(lateness_days, dtype=float)
        out = np.interp(days, x, v)  # flat before 0 (early is neutral) and past the last row
        return np.where(np.isnan(days), np.nan, out)

    def return_p(self, base_p: np.ndarray, early_days: np.ndarray) -> np.ndarray:
        """Base return probability, raised for deliveries ahead of the customer's expectation."""
        uplift = 1.0 + self.model.early_return_uplift_per_day * np.maximum(early_days, 0.0)
        return np.minimum(base_p * uplift, 1.0)
