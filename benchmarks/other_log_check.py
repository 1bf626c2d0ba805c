"""The fit of ``benchmarks/other_log.py``'s export against the truth it was generated from.

    python benchmarks/other_log.py other.csv
    ordertwin-calibrate other.csv --name other --out myconf --timezone America/Chicago \\
        --time-format '%m/%d/%Y %H:%M' --status-map "..."   # the truth file's status_map
    python benchmarks/other_log_check.py other.truth.json results/calibration/other/fit.json \\
        myconf/scenario/other.yaml

Prints one row per figure the generator knows: per class its promise, transit, price and
cancellation share; handling; the hour-of-day profile's spread; every region's share.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml


def rows(truth: dict[str, Any], fit: dict[str, Any], scenario: dict[str, Any]) -> list[list[str]]:
    """(figure, truth, fitted) rows."""
    out = []
    levels = scenario["service_levels"]
    mix = next(iter(scenario["channels"].values()))["level_mix"]  # one channel in the export
    for name, c in truth["classes"].items():
        level = levels[name.lower()]
        transit = fit["transit"][name]["by_zone"]["1"]
        price = fit["carrier_prices"][name].get("by_zone", {}).get("1", {}).get("price_usd")
        chosen = transit["chosen"]
        out += [
            [f"{name}: promise h", f"{c['promise_h']:g}", f"{level['promise_h']:g}"],
            [f"{name}: transit", c["transit"], f"{chosen['dist']} {chosen['mean_h']:g}"
             f" sd {chosen.get('sd_h', chosen['mean_h']):g} (KS D {transit['ks_d']:.4f})"],
            [f"{name}: price USD", f"{c['price_usd']:g}", f"{price}"],
            [f"{name}: share of orders", f"{c['share']:.4f}", f"{mix[name.lower()]:.4f}"],
            [f"{name}: cancelled", f"{truth['cancel_share']:.4f} (all classes)",
             f"{level['cancel_p']:.4f}"],
        ]  # fmt: skip
    observed = fit["handling"]["observed"]
    n = sum(o["n"] for o in observed.values())
    mean = sum(o["n"] * o["mean_h"] for o in observed.values()) / n
    out.append(["handling mean h (all origins)", f"{truth['handling_mean_h']:g}", f"{mean:.2f}"])
    hourly = scenario["demand"]["hourly_profile"]
    out.append(["hour-of-day profile min..max", "flat", f"{min(hourly):g}..{max(hourly):g}"])
    for region, share in truth["region_share"].items():
        fitted = scenario["regions"][region]["share"]
        out.append([f"region share {region}", f"{share:.5f}", f"{fitted:.5f}"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("truth", type=Path)
    parser.add_argument("fit", type=Path, help="the calibration's fit.json")
    parser.add_argument("scenario", type=Path, help="the written scenario YAML")
    args = parser.parse_args()
    truth = json.loads(args.truth.read_text())
    fit = json.loads(args.fit.read_text())
    scenario = yaml.safe_load(args.scenario.read_text())
    print("| figure | truth | fitted |\n|---|---|---|")
    for row in rows(truth, fit, scenario):
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
