"""Generate order logs from known scenarios for the calibration and backtest tests."""

from __future__ import annotations

from pathlib import Path

from scenarios.build import build
from scenarios.world import World
from sim.config.compose import load_config, load_policies
from sim.engine import run
from sim.io.order_log import write_order_log

TIME_ZONE = "America/New_York"


def generate_log(out_dir: Path, *overrides: str, seed: int = 1) -> tuple[Path, World]:
    """Run a scenario (``horizon_days`` etc. in ``overrides``) and write its order log."""
    cfg = load_config(f"seed={seed}", "progress=false", f"export.time_zone={TIME_ZONE}", *overrides)
    world = build(cfg["scenario"])
    routing, monitoring = load_policies(cfg)
    result = run(world, routing, monitoring, seed=seed, horizon_days=cfg["horizon_days"])
    return write_order_log(result, cfg["export"], seed, out_dir), world
