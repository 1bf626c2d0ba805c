"""A calibrated scenario's CO2e inputs: located lane distances, the template's factors and weights.

An order log states no distances: where the lanes' regions and origins are state codes,
:mod:`scenarios.calibration.lanes` has located them (centre to centre), and those distances are
written per lane (``regions.<r>.distance_km_to``); a lane it could not locate has none, nor has a
lane within one state (centre to centre is 0 km, its real length anything up to the state's
width), so those orders' CO2e stays unknown and is counted, never guessed. The template's
distance per zone applies only when the zones themselves are the template's. Emission factors per
mode (sources in DOMAIN.md) and item weights per product class are not in a log either: carried
over from the template where the names match (a class the template lacks gets the template's
mean item weight; a mode it lacks, no factor), each stated in the fit report's notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from scenarios.calibration.lanes import Lane


def located_distances(lanes: Iterable[Lane]) -> tuple[dict[str, dict[str, float]], list[str]]:
    """region -> origin -> km, for the lanes located between two places; the notes."""
    out: dict[str, dict[str, float]] = {}
    within = unknown = 0
    for lane in lanes:
        if lane.distance_km is None:
            unknown += 1
        elif lane.region == lane.origin:
            within += 1
        else:
            out.setdefault(lane.region, {})[lane.origin] = round(lane.distance_km, 1)
    notes = []
    if within or unknown:
        notes.append(
            f"CO2e unknown on {unknown} lanes not located and {within} within one place "
            "(their distance is not centre to centre); set regions.<r>.distance_km_to"
        )
    return out, notes


def unpriced_modes(emissions: Mapping[str, Any], modes: Iterable[str]) -> list[str]:
    """A note naming the modes without an emission factor (their orders' CO2e is unknown)."""
    missing = [m for m in modes if m not in emissions["kg_co2e_per_tonne_km"]]
    if not missing:
        return []
    return [
        f"no emission factor for mode {', '.join(missing)} (not in the template): CO2e unknown; "
        "set emissions.kg_co2e_per_tonne_km.<mode> (DOMAIN.md Emissions)"
    ]


def emissions_conf(
    template: Mapping[str, Any], modes: Iterable[str], zones_from_template: bool
) -> dict[str, Any]:
    """The scenario's ``emissions`` section: the template's factors for the modes both have, its
    zone distances when the zones are its own, its last-mile term."""
    t = template.get("emissions") or {}
    factors = t.get("kg_co2e_per_tonne_km") or {}
    return {
        "kg_co2e_per_tonne_km": {m: float(factors[m]) for m in modes if m in factors},
        "distance_km_by_zone": list(t.get("distance_km_by_zone") or [])
        if zones_from_template
        else [],
        "last_mile_kg_per_parcel": float(t.get("last_mile_kg_per_parcel", 0.0)),
    }


def item_weights(classes: dict[str, dict[str, Any]], template: Mapping[str, Any]) -> list[str]:
    """Set ``item_weight_kg`` on each fitted class from the template (in place); the notes."""
    t_classes = template["product_classes"]
    known = {n: c for n, c in t_classes.items() if c.get("item_weight_kg") is not None}
    if not known:
        return ["the template gives no item weights: CO2e per order unknown"]
    mean = float(
        np.average(
            [float(c["item_weight_kg"]) for c in known.values()],
            weights=[float(c["share"]) + 1e-12 for c in known.values()],
        )
    )
    filled = []
    for name, conf in classes.items():
        if name in known:
            conf["item_weight_kg"] = float(known[name]["item_weight_kg"])
        else:
            conf["item_weight_kg"] = round(mean, 3)
            filled.append(name)
    if not filled:
        return []
    shown = ", ".join(filled[:5]) + (f" and {len(filled) - 5} more" if len(filled) > 5 else "")
    return [
        f"item weight not in the log or the template for {shown}: the template's mean item "
        f"weight {mean:.3f} kg (assumption; set product_classes.<class>.item_weight_kg)"
    ]
