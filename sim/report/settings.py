"""Report options stored with the sweep, so the callback and ``ordertwin-report`` agree.

An experiment may set ``hydra.callbacks.report.baseline`` and ``...half_widths``; Hydra saves
them in the sweep's ``multirun.yaml``, where the command reads them back when rebuilding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sim.report.sweep import MULTIRUN_FILE, SweepError, load_mapping


@dataclass(frozen=True)
class ReportOptions:
    baseline: str | None = None  # the reference policy; None: nearest / none, else the first
    half_widths: dict[str, float] = field(default_factory=dict)  # KPI -> target 95% half-width


def stored_options(sweep_dir: Path) -> ReportOptions:
    """Options from ``hydra.callbacks.report`` in the sweep's multirun.yaml (defaults if none)."""
    path = sweep_dir / MULTIRUN_FILE
    if not path.exists():
        return ReportOptions()
    hydra_cfg = load_mapping(path, "Hydra's sweep config").get("hydra") or {}
    try:
        report = (hydra_cfg.get("callbacks") or {}).get("report") or {}
        widths = report.get("half_widths") or {}
        baseline = report.get("baseline")
        return ReportOptions(
            baseline=None if baseline is None else str(baseline),
            half_widths={str(k): float(v) for k, v in widths.items()},
        )
    except (AttributeError, TypeError, ValueError) as err:
        raise SweepError(f"{path}: expected hydra.callbacks.report options ({err})") from None
