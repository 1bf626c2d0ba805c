"""Generate order logs from known scenarios for the calibration and backtest tests."""

from __future__ import annotations

from pathlib import Path

from scenarios.build import build
from scenarios.world import World
from sim.config.compose import load_config, load_policies
from sim.engine import run
from sim.io.order_log import write_order_log

TIME_ZONE = "America/New_York"
# hour 0 in January: the engine's clock has no daylight saving, New York's has (from 9 March
# 2025, three weeks into baseline's own start_date), and these round trips check pickup hours
LOG_START = "2026-01-05T00:00:00"  # a Monday, as baseline's start_date


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
