"""The ``ordertwin`` command (also ``python -m sim``): one Hydra run, or a sweep with ``-m``.

The Hydra entry point is thin: it turns the composed config into plain data and calls
:func:`run_from_config`, which validates, builds the world and the policies, simulates and writes
the run files. Errors in the user's input end with one line naming the key and a non-zero exit;
set ``HYDRA_FULL_ERROR=1`` to see the traceback instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from tqdm import tqdm

from policies.protocols import MonitoringPolicy, RoutingPolicy
from scenarios.build import build
from sim.config.policy import build_policy
from sim.config.store import register_configs
from sim.config.validate import ConfigError, validate
from sim.engine import run
from sim.output import write_run

EXIT_BAD_INPUT = 2
SUMMARY_KPIS = (
    ("orders_created", "orders created (after warm-up)", "{:,.0f}"),
    ("orders_delivered", "delivered", "{:,.0f}"),
    ("orders_open", "open at horizon", "{:,.0f}"),
    ("orders_cancelled", "cancelled", "{:,.0f}"),
    ("on_time_rate", "on-time rate", "{:.1%}"),
    ("delivery_time_mean_h", "delivery time, mean (h)", "{:.1f}"),
    ("delivery_time_p90_h", "delivery time, p90 (h)", "{:.1f}"),
    ("cost_per_order", "cost per order (USD)", "{:.2f}"),
    ("nps", "NPS proxy", "{:+.1f}"),
    ("return_rate", "return rate", "{:.1%}"),
)

register_configs()


def kpi_table(kpis: Mapping[str, float]) -> str:
    width = max(len(label) for _, label, _ in SUMMARY_KPIS)
    lines = []
    for key, label, fmt in SUMMARY_KPIS:
        value = kpis.get(key)
        shown = "n/a" if value is None or value != value else fmt.format(value)
        lines.append(f"  {label:<{width}}  {shown:>12}")
    return "\n".join(lines)


def run_from_config(cfg: Mapping[str, Any], output_dir: str | Path) -> dict[str, float]:
    """Validate, build, simulate and write one run; returns its KPIs."""
    validate(cfg)
    world = build(cfg["scenario"])
    routing = build_policy(cfg["routing"], "routing", RoutingPolicy)
    monitoring = build_policy(cfg["monitoring"], "monitoring", MonitoringPolicy)
    horizon_days = float(cfg["horizon_days"])
    progress_bar = None
    if cfg.get("progress", False):
        progress_bar = tqdm(
            total=round(horizon_days),
            unit="sim-day",
            leave=False,
            disable=None,  # only on a terminal
            desc=f"{world.name}/{routing.name}/{monitoring.name}",
        )

    def advance(day: float) -> None:
        if progress_bar is not None:
            progress_bar.update(round(day) - progress_bar.n)

    try:
        result = run(
            world,
            routing,
            monitoring,
            seed=int(cfg["seed"]),
            horizon_days=horizon_days,
            warmup_days=float(cfg["warmup_days"]),
            timeseries_interval_h=float(cfg["timeseries_interval_h"]),
            progress=advance if progress_bar is not None else None,
        )
    finally:
        if progress_bar is not None:
            progress_bar.close()
    write_run(result, output_dir)
    return result.kpis


@hydra.main(version_base="1.3", config_path="pkg://sim.conf", config_name="config")
def hydra_app(cfg: DictConfig) -> dict[str, float]:
    container = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    assert isinstance(container, dict)
    plain = {str(k): v for k, v in container.items()}
    output_dir = HydraConfig.get().runtime.output_dir
    kpis = run_from_config(plain, output_dir)
    print(
        f"ordertwin: {cfg.scenario.name} / routing={cfg.routing.name} / "
        f"monitoring={cfg.monitoring.name} / seed={cfg.seed}"
    )
    print(kpi_table(kpis))
    print(f"  run dir: {output_dir}")
    return kpis


def describe_error(err: BaseException) -> str:
    """One line for the user: the full key and what was expected."""
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ConfigError):
            return str(cause)
        if isinstance(cause, OmegaConfBaseException):
            key = getattr(cause, "full_key", None)
            msg = (getattr(cause, "msg", None) or str(cause)).splitlines()[0]
            return f"{key}: {msg}" if key else msg
        cause = cause.__cause__ or cause.__context__
    return " ".join(str(err).split())


def main() -> None:
    """Console entry point with one-line errors for bad input."""
    show_traceback = os.environ.get("HYDRA_FULL_ERROR") == "1"
    os.environ["HYDRA_FULL_ERROR"] = "1"  # let errors reach us instead of Hydra's printer
    try:
        hydra_app()
    except (ConfigError, OmegaConfBaseException, hydra.errors.HydraException) as err:
        if show_traceback:
            raise
        print(f"ordertwin: error: {describe_error(err)}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    finally:
        if not show_traceback:
            os.environ.pop("HYDRA_FULL_ERROR", None)


if __name__ == "__main__":
    main()
