"""Generate order logs from known scenarios for the calibration and backtest tests."""

from __future__ import annotations

from pathlib import Path

from scenarios.build import build
from scenarios.world import World
from sim.config.compose import load_config, load_policies
from sim.engine import run
from sim.io.order_log import write_order_log

TIME_ZONE = "America/New_York"
# hour 0 on a Monday in January, New York on standard time (UTC-5): the engine's clock has no
# daylight saving and New York's has (from 8 March 2026), so a generated log reaching past that
# date has its local times shift by an hour there, as a real export's would
LOG_START = "2026-01-05T00:00:00"  # a Monday, like baseline's start_date (2025-03-03)


def generate_log(out_dir: Path, *overrides: str, seed: int = 1) -> tuple[Path, World]:
    """Run a scenario (``horizon_days`` etc. in ``overrides``) and write its order log."""
    cfg = load_config(
        f"seed={seed}",
        "progress=false",
        f"export.time_zone={TIME_ZONE}",
        f"export.start={LOG_START}",
        *overrides,
    )
    world = build(cfg["scenario"])
    routing, monitoring = load_policies(cfg)
    result = run(world, routing, monitoring, seed=seed, horizon_days=cfg["horizon_days"])
    start_date = cfg["scenario"]["start_date"]
    return write_order_log(result, cfg["export"], seed, out_dir, start_date), world
