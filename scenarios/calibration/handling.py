"""Order -> carrier handover ("handling") per origin, and whether the log shows carrier pickups.

In a marketplace the seller, not a picker queue, decides when a parcel reaches the carrier: days,
not hours. The picker model (allocation wave + pick time + the wait for the next pickup) then
cannot express what the log shows. So handling time is fitted per origin from created -> shipped
(origins with fewer than :data:`MIN_ORIGIN` shipments share the all-origins fit), and the fit
chooses between the two models by what the picker model would predict on the log's own orders:
if its mean and p90 are within :data:`PICKER_TOLERANCE` of the log's, the template's pickers stay
(they also give capacity effects); otherwise the fitted handling replaces them, and the report
says by how much the picker model missed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from scenarios.calibration.durations import DurationFit, fit_duration
from scenarios.calibration.shipping import first_feasible_pickup_h

MIN_ORIGIN = 30  # shipments needed for an origin's own handling fit
P90_TOLERANCE = 0.05  # an MLE family missing the p90 by more gives way to a matched gamma
PICKER_TOLERANCE = 0.25  # relative miss of mean or p90 that rules the picker model out


def matched_gamma(values: np.ndarray) -> dict[str, Any] | None:
    """A gamma with the sample's mean and p90 exactly (shape solved from p90 / mean), or None
    when no gamma has that ratio. Planners read handling by its mean and p90; a maximum-likelihood
    family can fit the body well and still miss the tail that decides late orders."""
    mean, p90 = float(np.mean(values)), float(np.quantile(values, 0.9))
    if mean <= 0:
        return None
    ratio = p90 / mean

    def gap(log_k: float) -> float:
        k = float(np.exp(log_k))
        return float(stats.gamma.ppf(0.9, k, scale=1.0 / k)) - ratio

    lo, hi = 0.0, np.log(1e4)  # shape >= 1: the p90 / mean ratio falls from 2.30 to 1
    if gap(lo) * gap(hi) > 0:
        return None
    k = float(np.exp(optimize.brentq(gap, lo, hi, xtol=1e-10)))
    return {"dist": "gamma", "mean_h": round(mean, 3), "sd_h": float(f"{mean / np.sqrt(k):.4g}")}


def handling_conf(values: np.ndarray, fit: DurationFit) -> tuple[dict[str, Any], str]:
    """The MLE family, or the matched gamma when the MLE family misses the p90."""
    mle = fit.conf()
    if fit.dist not in ("lognormal", "gamma", "exponential", "normal") or len(values) < 2:
        return mle, "maximum likelihood"
    p90 = float(np.quantile(values, 0.9))
    draws = _quantile90(mle)
    if abs(draws / p90 - 1.0) <= P90_TOLERANCE:
        return mle, "maximum likelihood"
    matched = matched_gamma(values)
    if matched is None:
        return mle, "maximum likelihood"
    return matched, (
        f"gamma matched to mean and p90 ({fit.dist} by maximum likelihood gives p90 "
        f"{draws:.1f} h against {p90:.1f} h)"
    )


def _quantile90(conf: dict[str, Any]) -> float:
    mean, sd = float(conf["mean_h"]), float(conf.get("sd_h") or conf["mean_h"])
    if conf["dist"] == "lognormal":
        s2 = np.log1p((sd / mean) ** 2)
        return float(stats.lognorm.ppf(0.9, np.sqrt(s2), scale=mean * np.exp(-s2 / 2)))
    if conf["dist"] == "gamma":
        k = (mean / sd) ** 2
        return float(stats.gamma.ppf(0.9, k, scale=mean / k))
    if conf["dist"] == "exponential":
        return float(stats.expon.ppf(0.9, scale=mean))
    return float(stats.norm.ppf(0.9, mean, sd))


@dataclass(frozen=True)
class HandlingFit:
    per_origin: dict[str, DurationFit]  # origin -> its fit (thin origins: the pooled fit)
    pooled_origins: list[str]
    observed: dict[str, dict[str, float]]  # origin -> n, mean_h, p90_h
    picker_model: dict[str, dict[str, float]]  # origin -> predicted mean_h, p90_h
    chosen: str  # "handling" or "pickers"
    reason: str
    confs: dict[str, dict[str, Any]]  # origin -> the distribution written
    how: dict[str, str]  # origin -> how it was chosen

    def conf(self, origin: str) -> dict[str, Any]:
        return self.confs[origin]


def _picker_prediction(
    orders: pd.DataFrame, created_hod: np.ndarray, template: Mapping[str, Any]
) -> np.ndarray:
    """Created -> shipped hours the template's picker model gives each order, unqueued: the
    allocation wave, the mean pick time and the wait for the mode's first pickup after that."""
    wave = float(template["allocation_wave_h"])
    t_whs, t_modes = template["warehouses"], template["modes"]
    first_wh = next(iter(t_whs.values()))
    first_mode = next(iter(t_modes.values()))
    out = np.empty(len(orders))
    keys = orders["warehouse"].astype(str) + "\t" + orders["mode"].astype(str)
    for key in keys.unique():
        wh, mode = str(key).split("\t")
        mine = (keys == key).to_numpy()
        ready = wave + float(t_whs.get(wh, first_wh)["pick_time"]["mean_h"])
        pickups = list(t_modes.get(mode, first_mode)["pickup_hours"])
        out[mine] = first_feasible_pickup_h(
            np.full(int(mine.sum()), ready), (created_hod[mine] + ready) % 24.0, pickups
        )
    return out


def fit_handling(
    orders: pd.DataFrame,
    created_hod: np.ndarray,
    template: Mapping[str, Any],
    rng: np.random.Generator,
) -> HandlingFit:
    """Handling per origin, and whether it or the template's pickers reproduce the log."""
    shipped = (~orders["shipped_h"].isna()).to_numpy() & (orders["warehouse"] != "").to_numpy()
    sub = orders.loc[shipped]
    hours = (sub["shipped_h"] - sub["created_h"]).to_numpy(dtype=float)
    origin = sub["warehouse"].to_numpy(dtype=object)
    pooled = fit_duration(hours, rng)
    pooled_conf = handling_conf(hours, pooled)
    confs: dict[str, dict[str, Any]] = {}
    how: dict[str, str] = {}
    per_origin: dict[str, DurationFit] = {}
    thin: list[str] = []
    observed: dict[str, dict[str, float]] = {}
    for name in sorted(set(origin.tolist())):
        mine = hours[origin == name]
        observed[name] = {
            "n": float(len(mine)),
            "mean_h": float(mine.mean()),
            "p90_h": float(np.quantile(mine, 0.9)),
        }
        if len(mine) >= MIN_ORIGIN:
            per_origin[name] = fit_duration(mine, rng)
            confs[name], how[name] = handling_conf(mine, per_origin[name])
        else:
            per_origin[name] = pooled
            confs[name], how[name] = pooled_conf[0], "pooled over origins: " + pooled_conf[1]
            thin.append(name)
    predicted = _picker_prediction(sub, created_hod[shipped], template)
    picker = {
        "all": {"mean_h": float(predicted.mean()), "p90_h": float(np.quantile(predicted, 0.9))}
    }
    real = {"mean_h": float(hours.mean()), "p90_h": float(np.quantile(hours, 0.9))}
    miss = max(abs(picker["all"][k] / real[k] - 1.0) for k in real if real[k] > 0)
    if miss <= PICKER_TOLERANCE:
        chosen = "pickers"
        reason = (
            f"the template's picker model gives created -> shipped mean "
            f"{picker['all']['mean_h']:.1f} h, p90 {picker['all']['p90_h']:.1f} h against the "
            f"log's {real['mean_h']:.1f} h, {real['p90_h']:.1f} h (within "
            f"{PICKER_TOLERANCE:.0%}): pickers, shifts and pickups kept"
        )
    else:
        chosen = "handling"
        reason = (
            f"the template's picker model would give created -> shipped mean "
            f"{picker['all']['mean_h']:.1f} h, p90 {picker['all']['p90_h']:.1f} h; the log shows "
            f"{real['mean_h']:.1f} h, {real['p90_h']:.1f} h (off by {miss:.0%}): a fitted "
            "order -> handover delay per origin replaces pick, shift and pickup waits"
        )
    return HandlingFit(per_origin, thin, observed, picker, chosen, reason, confs, how)
