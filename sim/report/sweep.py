"""Read a sweep dir as the jobs left it: which jobs were meant to run, which finished, which failed.

Only files count, never the memory of the sweep: Hydra skips ``on_multirun_end`` when a job fails,
and a Ray or SLURM sweep may be read from another machine. The jobs meant to run are recomputed
from ``multirun.yaml`` (Hydra's sweep config: sweeper params plus command-line overrides, expanded
as the basic sweeper does); each job dir holds ``.hydra/config.yaml`` and ``.hydra/hydra.yaml``
and, when the run finished, ``kpis.json`` (written last).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.io.run_files import KPIS_FILE

MULTIRUN_FILE = "multirun.yaml"
ERROR_FILE = "error.txt"
OK, FAILED, MISSING = "ok", "failed", "missing"
IGNORED_OVERRIDES = ("seed", "experiment")


@dataclass(frozen=True)
class Job:
    """One job of a sweep as found on disk."""

    num: int
    overrides: tuple[str, ...]
    status: str  # ok | failed | missing
    run_dir: Path | None = None
    config: dict[str, Any] = field(default_factory=dict)
    kpis: dict[str, float] = field(default_factory=dict)
    reason: str = ""

    @property
    def seed(self) -> int:
        return int(self.config.get("seed", -1))

    def name(self, group: str) -> str:
        """The ``name`` of a config group (``scenario``, ``routing``, ``monitoring``)."""
        node = self.config.get(group)
        return str(node.get("name", "?")) if isinstance(node, dict) else "?"

    def override_map(self) -> dict[str, str]:
        """Overrides that define the job, minus the seed and the experiment name."""
        pairs = (o.lstrip("+~").split("=", 1) for o in self.overrides if "=" in o)
        return {k: v for k, v in pairs if k not in IGNORED_OVERRIDES and not k.startswith("hydra")}

    def describe(self) -> str:
        return " ".join(self.overrides) or "(no overrides)"


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster


def _load_yaml(path: Path) -> Any:
    with path.open() as f:
        return yaml.load(f, Loader=_LOADER)  # noqa: S506 - a safe loader


def expected_overrides(sweep_dir: Path) -> list[tuple[str, ...]] | None:
    """Every job's overrides in launch order, from ``multirun.yaml``; None if it is absent."""
    path = sweep_dir / MULTIRUN_FILE
    if not path.exists():
        return None
    return jobs_of((_load_yaml(path) or {}).get("hydra", {}))


def jobs_of(hydra_cfg: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The jobs a sweep config (the ``hydra`` node) expands to, as the basic sweeper does."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = (hydra_cfg.get("sweeper") or {}).get("params") or {}
    arguments = [f"{k}={v}" for k, v in params.items()]
    arguments += list((hydra_cfg.get("overrides") or {}).get("task") or [])
    parsed = OverridesParser.create().parse_overrides(arguments)
    batches = BasicSweeper.split_arguments(parsed, None)
    return [tuple(job) for batch in batches for job in batch]


def job_dirs(sweep_dir: Path) -> Iterator[Path]:
    """Run dirs below the sweep dir (any depth), in path order."""
    for hydra_cfg in sorted(sweep_dir.glob("**/.hydra/config.yaml")):
        yield hydra_cfg.parent.parent


def read_job(run_dir: Path) -> Job:
    """One run dir: its number, overrides, config and KPIs, or why it has none."""
    hydra_yaml = run_dir / ".hydra" / "hydra.yaml"
    meta = (_load_yaml(hydra_yaml) or {}).get("hydra", {}) if hydra_yaml.exists() else {}
    num = int(((meta.get("job") or {}).get("num")) or 0)
    overrides = tuple((meta.get("overrides") or {}).get("task") or [])
    config = _load_yaml(run_dir / ".hydra" / "config.yaml") or {}
    kpis_path = run_dir / KPIS_FILE
    if kpis_path.exists():
        try:
            raw = json.loads(kpis_path.read_text())
            kpis = {k: math.nan if v is None else float(v) for k, v in raw.items()}
            return Job(num, overrides, OK, run_dir, config, kpis)
        except (ValueError, TypeError) as err:
            return Job(num, overrides, FAILED, run_dir, config, reason=f"unreadable kpis: {err}")
    error = run_dir / ERROR_FILE
    reason = (
        error.read_text().strip().splitlines()[0]
        if error.exists() and error.read_text().strip()
        else "no kpis.json: the run failed, was stopped, or is still running"
    )
    return Job(num, overrides, FAILED, run_dir, config, reason=reason)


def read_sweep(sweep_dir: str | Path) -> list[Job]:
    """All jobs of a sweep, by job number: finished, failed, and expected but never started."""
    root = Path(sweep_dir)
    found: dict[int, Job] = {}
    for run_dir in job_dirs(root):
        job = read_job(run_dir)
        if job.num in found and found[job.num].status == OK:
            continue  # a rerun into another dir: keep the finished one
        found[job.num] = job
    expected = expected_overrides(root) or []
    for num, overrides in enumerate(expected):
        if num not in found:
            reason = "no run dir: the job never started (the sweep stopped or is still running)"
            found[num] = Job(num, overrides, MISSING, reason=reason)
    return [found[num] for num in sorted(found)]


def progress(sweep_dir: str | Path) -> tuple[int, int]:
    """(jobs finished or failed, jobs expected) for a progress line while a sweep runs."""
    root = Path(sweep_dir)
    done = sum(1 for d in job_dirs(root) if (d / KPIS_FILE).exists() or (d / ERROR_FILE).exists())
    expected = expected_overrides(root)
    return done, len(expected) if expected is not None else done
