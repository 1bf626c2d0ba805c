"""``ordertwin-train``: fit the learned router on simulated history and save it.

    ordertwin-train --scenario storm --out models/storm.npz [--seeds 900001 900002 900003]
                    [--days 28] [scenario.demand.base_rate_per_h=250 ...]

Use the file with ``ordertwin routing=predictive routing.model_path=models/storm.npz``. The
training seeds are stored in the file and the router refuses to be evaluated on them. Training
runs the scenario without its scripted storms (future weather truth), like the automatic path,
and writes the late-risk calibration on held-out seeds beside the model
(``models/storm.calibration.csv``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from policies.routing.router_model import CENSORED_TAIL_DAYS, save_model
from sim.cli.errors import BAD_INPUT, fail
from sim.config.compose import load_world
from sim.config.validate import ConfigError
from sim.io.safe import write_text
from sim.learning import calibration_csv, calibration_path, train

MAX_DAYS = 3_660  # ten years of history per seed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ordertwin-train", description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline", help="scenario config name")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[900_001, 900_002, 900_003],
        help="training seeds (keep them apart from evaluation seeds)",
    )
    parser.add_argument("--days", type=float, default=28.0, help="simulated days per seed")
    parser.add_argument("--out", type=Path, required=True, help="model file to write")
    parser.add_argument("overrides", nargs="*", help="extra config overrides, Hydra syntax")
    args = parser.parse_args(argv)
    try:
        if not (math.isfinite(args.days) and 14 <= args.days <= MAX_DAYS):
            raise ConfigError(
                "--days",
                f"14 to {MAX_DAYS:,} days (the last {CENSORED_TAIL_DAYS:g} days of history have "
                "no known outcomes)",
                args.days,
            )
        if len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0 or len(args.seeds) < 2:
            raise ConfigError("--seeds", "two or more distinct seeds >= 0", args.seeds)
        world = load_world(f"scenario={args.scenario}", *args.overrides)
    except BAD_INPUT as err:
        fail("ordertwin-train", err)
    print(
        f"ordertwin-train: simulating {len(args.seeds)} x {args.days:g} days of "
        f"{world.name!r} history and fitting...",
        file=sys.stderr,
    )
    model = train(world, tuple(args.seeds), args.days)
    save_model(model, args.out)
    table = write_text(calibration_path(args.out), calibration_csv(model))
    print(
        json.dumps({"model": str(args.out), "calibration": str(table), **model.metadata}, indent=2)
    )


if __name__ == "__main__":
    main()
