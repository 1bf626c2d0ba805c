"""CO2e per order: the parcel's tonne-km on its lane by its mode's factor, plus the last mile.

``co2e_kg = items x item weight / 1000 x lane distance x kg CO2e per tonne-km of the mode
x (1 + lost) + last-mile kg per parcel``, for shipped orders (a lost parcel's replacement travels
the lane again); an order never shipped moved nothing (0). Where the scenario does not know the
lane's distance, the mode's factor or the class's weight the value is NaN: missing and counted
(``co2e_unknown_orders``), never a guess. Inputs and sources: DOMAIN.md "Emissions".
"""

from __future__ import annotations

import numpy as np

from scenarios.world import Emissions


def co2e_kg(
    emissions: Emissions | None,
    shipped: np.ndarray,
    mode: np.ndarray,
    region: np.ndarray,
    warehouse: np.ndarray,
    items: np.ndarray,
    product: np.ndarray,
    lost: np.ndarray,
) -> np.ndarray:
    """Kg CO2e of each order's parcel(s); ``shipped`` a mask, the rest indices and counts."""
    out = np.zeros(len(shipped))
    s = shipped & (mode >= 0) & (warehouse >= 0)
    if emissions is None:
        out[s] = np.nan
        return out
    tonnes = items[s] * emissions.item_weight_kg[product[s]] / 1000.0
    tonne_km = tonnes * emissions.distance_km[region[s], warehouse[s]]
    haul = tonne_km * emissions.kg_per_tonne_km[mode[s]] * (1.0 + lost[s])
    out[s] = haul + emissions.last_mile_kg_per_parcel
    return out
