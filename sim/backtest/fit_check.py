"""Check a calibration against its own log by Monte Carlo of the fitted model, order by order.

Each logged order keeps what the log says about it (region, origin, level, mode, as logged) and
draws what the fit says: the origin's handling time, the lane's zone transit, the level's
promise for its region. Compared with the log: handling mean and p90, transit mean per region,
late rate (delivered after the promise / delivered with one) and region shares. This separates
"the fit is wrong" from "the engine does not yet play the fit" (dated demand, handling, origins
as logged): the engine's backtest then has to reproduce these same figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

DRAWS = 20  # per logged order


def draw(conf: Mapping[str, Any], n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` hours from a scenario distribution ``{dist, mean_h, sd_h}``."""
    mean = float(conf["mean_h"])
    sd = float(conf.get("sd_h") or mean)
    kind = conf["dist"]
    if kind == "exponential":
        return rng.exponential(mean, n)
    if kind == "lognormal":
        sigma2 = np.log1p((sd / mean) ** 2)
        return rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), n)
    if kind == "gamma":
        shape = (mean / sd) ** 2
        return rng.gamma(shape, mean / shape, n)
    return np.maximum(rng.normal(mean, sd, n), 0.0)


def _rel(twin: float, real: float) -> float:
    return twin / real - 1.0 if real else float("nan")


def fit_check(
    orders: pd.DataFrame,
    scenario: Mapping[str, Any],
    report: Mapping[str, Any],
    top: int = 8,
    seed: int = 0,
) -> dict[str, Any]:
    """Log against fitted model (see the module docstring); ``orders`` on the engine clock."""
    rng = np.random.default_rng(seed)
    per_origin = report["handling"]["per_origin"]
    shipped = orders[orders["shipped_h"].notna() & (orders["warehouse"] != "")]
    real_handling = (shipped["shipped_h"] - shipped["created_h"]).to_numpy(dtype=float)
    twin_handling = np.concatenate(
        [
            draw(per_origin[o]["chosen"], len(g) * DRAWS, rng)
            for o, g in shipped.groupby("warehouse")
        ]
    )
    delivered = orders[(orders["status"] == "delivered") & orders["delivered_h"].notna()]
    zone_of = {
        (r, w): int(z)
        for r, spec in scenario["regions"].items()
        for w, z in spec["zone_to"].items()
    }
    modes = scenario["modes"]
    transit_mean = np.array(
        [
            float(modes[m]["transit_by_zone"][zone_of[(r, w)] - 1]["mean_h"])
            for r, w, m in zip(
                delivered["region"], delivered["warehouse"], delivered["mode"], strict=True
            )  # fmt: skip
        ]
    )
    real_transit = (delivered["delivered_h"] - delivered["shipped_h"]).to_numpy(dtype=float)
    regions = orders["region"].value_counts().index[:top]
    transit = {}
    for region in regions:
        mine = (delivered["region"] == region).to_numpy()
        real, twin = float(real_transit[mine].mean()), float(transit_mean[mine].mean())
        transit[str(region)] = {"history": real, "twin": twin, "rel": _rel(twin, real)}
    # late rate: handling by origin + transit by lane, against the level's promise by region
    levels = report["service_levels"]
    promised = delivered["promised_h"].notna().to_numpy()
    d = delivered[promised]
    late_draws = []
    for _ in range(DRAWS):
        handling = np.empty(len(d))
        for origin, idx in d.groupby("warehouse").indices.items():
            handling[idx] = draw(per_origin[origin]["chosen"], len(idx), rng)
        travel = np.empty(len(d))
        lanes = d["region"].astype(str) + "\t" + d["warehouse"].astype(str) + "\t" + d["mode"]
        for key, idx in lanes.groupby(lanes).indices.items():
            r, w, m = str(key).split("\t")
            travel[idx] = draw(modes[m]["transit_by_zone"][zone_of[(r, w)] - 1], len(idx), rng)
        promise = np.array(
            [
                levels[lv]["promise_h_by_region"].get(r, levels[lv]["promise_h"])
                for lv, r in zip(d["service_level"], d["region"], strict=True)
            ]
        )
        late_draws.append(float(np.mean(handling + travel > promise)))
    real_late = float((d["delivered_h"] > d["promised_h"]).mean())
    shares = orders["region"].value_counts(normalize=True)
    region_shares = {
        str(r): {
            "history": float(shares[r]),
            "twin": float(scenario["regions"][r]["share"]),
            "pp": 100 * (float(scenario["regions"][r]["share"]) - float(shares[r])),
        }
        for r in regions
    }
    return {
        "handling": {
            "history_mean_h": float(real_handling.mean()),
            "twin_mean_h": float(twin_handling.mean()),
            "history_p90_h": float(np.quantile(real_handling, 0.9)),
            "twin_p90_h": float(np.quantile(twin_handling, 0.9)),
        },
        "transit_by_region": transit,
        "late_rate": {"history": real_late, "twin": float(np.mean(late_draws))},
        "region_shares": region_shares,
    }
