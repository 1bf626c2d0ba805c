"""Customer experience: promoter / detractor probabilities and return probability per order.

Expected values rather than coin flips (less variance for the same information). Lateness is
measured against the customer's own expectation, not the promise: a pseudo-urgent express order
delivered a day after its promise can still make a promoter. Early delivery is neutral for NPS and
raises the chance of a return.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import PchipInterpolator

from scenarios.world import CustomerModel


class ExperienceModel:
    """Smooth, monotone curves through the configured lateness table (DOMAIN.md anchors)."""

    def __init__(self, model: CustomerModel) -> None:
        self.model = model
        x = model.nps_lateness_days
        self._promoter = PchipInterpolator(x, model.nps_promoter_p, extrapolate=False)
        self._detractor = PchipInterpolator(x, model.nps_detractor_p, extrapolate=False)

    def promoter_p(self, lateness_days: np.ndarray) -> np.ndarray:
        return self._curve(self._promoter, self.model.nps_promoter_p, lateness_days)

    def detractor_p(self, lateness_days: np.ndarray) -> np.ndarray:
        return self._curve(self._detractor, self.model.nps_detractor_p, lateness_days)

    def _curve(
        self,
        curve: PchipInterpolator,
        anchors: np.ndarray,
        lateness_days: np.ndarray,
    ) -> np.ndarray:
        x = self.model.nps_lateness_days
        clipped = np.clip(np.asarray(lateness_days, dtype=float), x[0], x[-1])
        out = np.asarray(curve(clipped), dtype=float)
        return np.where(np.isnan(lateness_days), np.nan, out)

    def return_p(self, base_p: np.ndarray, early_days: np.ndarray) -> np.ndarray:
        """Base return probability, raised for deliveries ahead of the customer's expectation."""
        uplift = 1.0 + self.model.early_return_uplift_per_day * np.maximum(early_days, 0.0)
        return np.minimum(base_p * uplift, 1.0)
