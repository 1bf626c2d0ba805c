"""Read a sweep dir as the jobs left it: which jobs were meant to run, which finished, which failed.

Only files count, never the memory of the sweep: Hydra skips ``on_multirun_end`` when a job fails,
and a Ray or SLURM sweep may be read from another machine. The jobs meant to run are recomputed
from ``multirun.yaml`` (Hydra's sweep config: sweeper params plus command-line overrides, expanded
as the basic sweeper does); each job dir holds ``.hydra/config.yaml`` and ``.hydra/hydra.yaml``
and, when the run finished, ``kpis.json`` (written last).

A sweep dir handed to ``ordertwin-report`` is untrusted: a corrupt ``multirun.yaml`` is one
:class:`SweepError` line naming the file and line; a corrupt job file fails that job only, with its
reason. Jobs are known by their own identity (their overrides), not by number: two runs of the same
job keep the finished one, and jobs of another sweep (another ``hydra.sweep.dir``, or overrides
that the sweep's ``multirun.yaml`` does not expand to) are refused, never merged.
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
TRACEBACK_FILE = "traceback.txt"  # beside error.txt, for an error that was not bad input
INTERRUPTED_FILE = "interrupted.txt"  # a job the sweep's Ctrl-C stopped before it finished
OUTCOME_FILES = (KPIS_FILE, ERROR_FILE, TRACEBACK_FILE, INTERRUPTED_FILE)  # how a job ended
OK, FAILED, MISSING, INTERRUPTED = "ok", "failed", "missing", "interrupted"
IGNORED_OVERRIDES = ("seed", "experiment")


class SweepError(ValueError):
    """The folder cannot be read as one sweep (a corrupt multirun.yaml, jobs of two sweeps)."""


@dataclass(frozen=True)
class Job:
    """One job of a sweep as found on disk."""

    num: int
    overrides: tuple[str, ...]
    status: str  # ok | failed | interrupted | missing
    run_dir: Path | None = None
    config: dict[str, Any] = field(default_factory=dict)  # untrusted: read with .get, checked
    kpis: dict[str, float] = field(default_factory=dict)
    reason: str = ""

    @property
    def identity(self) -> tuple[str, ...]:
        """What makes this job this job: its overrides, in a canonical order."""
        return tuple(sorted(self.overrides))

    @property
    def seed(self) -> int:
        try:
            return int(self.config.get("seed", -1))
        except (TypeError, ValueError):
            return -1

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
    """A YAML file, or :class:`SweepError` naming the file and line (a safe loader: no code)."""
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.load(f, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise SweepError(f"{path}: {line}expected YAML ({err.problem or err})") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise SweepError(f"{path}: cannot be read ({first})") from None


def _mapping(value: Any, path: Path, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SweepError(f"{path}: expected {what} (a mapping), got a {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def load_mapping(path: Path, what: str) -> dict[str, Any]:
    """A YAML file that must hold a mapping, or :class:`SweepError` in one line."""
    return _mapping(_load_yaml(path), path, what)


def expected_overrides(sweep_dir: Path) -> list[tuple[str, ...]] | None:
    """Every job's overrides in launch order, from ``multirun.yaml``; None if it is absent."""
    path = sweep_dir / MULTIRUN_FILE
    if not path.exists():
        return None
    hydra_cfg = _mapping(
        _mapping(_load_yaml(path), path, "Hydra's sweep config").get("hydra"), path, "a hydra node"
    )
    try:
        return jobs_of(hydra_cfg)
    except Exception as err:  # noqa: BLE001 - Hydra's parser on an untrusted file
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SweepError(f"{path}: expected the sweep's parameters ({first})") from None


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
    try:
        loaded = _load_yaml(hydra_yaml) if hydra_yaml.exists() else {}
        meta = _mapping(
            _mapping(loaded, hydra_yaml, "Hydra's job config").get("hydra"),
            hydra_yaml,
            "a hydra node",
        )
        num = int(_mapping(meta.get("job"), hydra_yaml, "hydra.job").get("num") or 0)
        task = _mapping(meta.get("overrides"), hydra_yaml, "hydra.overrides").get("task") or []
        overrides = tuple(str(o) for o in task) if isinstance(task, list) else ()
    except (SweepError, TypeError, ValueError) as err:
        return Job(-1, (), FAILED, run_dir, reason=f"unreadable job: {err}")
    config_yaml = run_dir / ".hydra" / "config.yaml"
    try:
        config = _mapping(_load_yaml(config_yaml), config_yaml, "the job's config")
    except SweepError as err:
        return Job(num, overrides, FAILED, run_dir, reason=f"unreadable config: {err}")
    kpis_path = run_dir / KPIS_FILE
    if kpis_path.exists():
        try:
            raw = json.loads(kpis_path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise TypeError(f"expected a JSON object of numbers, got a {type(raw).__name__}")
            kpis = {str(k): math.nan if v is None else float(v) for k, v in raw.items()}
            return Job(num, overrides, OK, run_dir, config, kpis)
        except (OSError, ValueError, TypeError) as err:
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            reason = f"unreadable {KPIS_FILE}: {first}"
            return Job(num, overrides, FAILED, run_dir, config, reason=reason)
    for marker, status in ((ERROR_FILE, FAILED), (INTERRUPTED_FILE, INTERRUPTED)):
        text = _first_line(run_dir / marker)
        if text:
            return Job(num, overrides, status, run_dir, config, reason=text)
    reason = "no kpis.json: the run failed, was stopped, or is still running"
    return Job(num, overrides, FAILED, run_dir, config, reason=reason)


def _first_line(path: Path) -> str:
    """A marker file's first line (at most 500 characters), or "" if there is none."""
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    return text.splitlines()[0][:500] if text else ""


def _sweep_dir_of(run_dir: Path) -> str | None:
    """The ``hydra.sweep.dir`` a job was launched with (None if not recorded)."""
    try:
        meta = _load_yaml(run_dir / ".hydra" / "hydra.yaml")
        sweep = meta["hydra"]["sweep"]["dir"]
    except (SweepError, OSError, KeyError, TypeError):
        return None
    return str(sweep) if sweep is not None else None


def _one_sweep(root: Path, run_dirs: list[Path], jobs: list[Job]) -> None:
    """Refuse a folder that holds jobs of more than one sweep."""
    nested = sorted(p.parent for p in root.glob(f"*/**/{MULTIRUN_FILE}"))
    if nested and (len(nested) > 1 or (root / MULTIRUN_FILE).exists()):
        shown = ", ".join(str(p) for p in nested[:3])
        raise SweepError(
            f"{root}: holds more than one sweep ({shown}); report each sweep dir on its own"
        )
    launched = sorted({d for d in (_sweep_dir_of(r) for r in run_dirs) if d is not None})
    if len(launched) > 1:
        raise SweepError(
            f"{root}: holds jobs of {len(launched)} sweeps (hydra.sweep.dir {launched[0]} and "
            f"{launched[1]}); report each sweep dir on its own"
        )
    expected = expected_overrides(root)
    if expected is not None:
        known = {tuple(sorted(o)) for o in expected}
        for job in jobs:
            if job.num >= 0 and job.identity not in known:
                raise SweepError(
                    f"{job.run_dir}: not a job of the sweep in {root / MULTIRUN_FILE} "
                    f"(overrides {job.describe()}); report each sweep dir on its own"
                )


def read_sweep(sweep_dir: str | Path) -> list[Job]:
    """All jobs of one sweep, by identity: finished, failed, and expected but never started.

    Raises :class:`SweepError` for a corrupt ``multirun.yaml`` or a folder mixing sweeps.
    """
    root = Path(sweep_dir)
    run_dirs = list(job_dirs(root))
    read = [read_job(d) for d in run_dirs]
    _one_sweep(root, run_dirs, read)
    found: dict[tuple[str, ...], Job] = {}
    for job in read:
        key = job.identity if job.num >= 0 else (f"unreadable:{job.run_dir}",)
        if key in found and found[key].status == OK:
            continue  # a rerun into another dir: keep the finished one
        found[key] = job
    expected = expected_overrides(root) or []
    order = {tuple(sorted(o)): num for num, o in enumerate(expected)}
    for num, overrides in enumerate(expected):
        if tuple(sorted(overrides)) not in found:
            reason = "no run dir: the job never started (the sweep stopped or is still running)"
            found[tuple(sorted(overrides))] = Job(num, overrides, MISSING, reason=reason)
    return sorted(found.values(), key=lambda j: (order.get(j.identity, j.num), j.num, j.identity))


def progress(sweep_dir: str | Path) -> tuple[int, int]:
    """(jobs finished or failed, jobs expected) for a progress line while a sweep runs."""
    root = Path(sweep_dir)
    done = sum(1 for d in job_dirs(root) if (d / KPIS_FILE).exists() or (d / ERROR_FILE).exists())
    try:
        expected = expected_overrides(root)
    except SweepError:
        expected = None
    return done, len(expected) if expected is not None else done
