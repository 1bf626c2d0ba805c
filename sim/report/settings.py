"""Report options stored with the sweep, so the callback and ``ordertwin-report`` agree.

An experiment may set ``hydra.callbacks.report.baseline`` and ``...half_widths``; Hydra saves
them in the sweep's ``multirun.yaml``, where the command reads them back when rebuilding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sim.report.sweep import MULTIRUN_FILE


@dataclass(frozen=True)
class ReportOptions:
    baseline: str | None = None  # the reference policy; None: nearest / none, else the first
    half_widths: dict[str, float] = field(default_factory=dict)  # KPI -> target 95% half-width


def stored_options(sweep_dir: Path) -> ReportOptions:
    """Options from ``hydra.callbacks.report`` in the sweep's multirun.yaml (defaults if none)."""
    path = sweep_dir / MULTIRUN_FILE
    if not path.exists():
        return ReportOptions()
    with path.open() as f:
        hydra_cfg = (yaml.safe_load(f) or {}).get("hydra") or {}
    report = (hydra_cfg.get("callbacks") or {}).get("report") or {}
    widths = report.get("half_widths") or {}
    return ReportOptions(
        baseline=report.get("baseline"),
        half_widths={str(k): float(v) for k, v in widths.items()},
    )
