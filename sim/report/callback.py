"""Hydra callback: sweep progress (jobs done / total), failed jobs' errors, and the report.

Configured under ``hydra.callbacks.report`` in conf/config.yaml. A failed job leaves an
``error.txt`` naming its error (:mod:`sim.cli.sweep_jobs` writes it and lets the sweep go on; a job
whose error escaped anyway is recorded here), the progress line names it, and the report lists it.
What the sweep came to is kept for the command's exit code (:func:`last_sweep`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.io.safe import write_text
from sim.report.outputs import withdraw_report
from sim.report.sweep import ERROR_FILE, OK, SweepError, jobs_of, progress, read_sweep

PREFIX = "[ordertwin]"


@dataclass(frozen=True)
class SweepOutcome:
    sweep_dir: Path
    total: int
    failed: int  # failed or never started


_last: SweepOutcome | None = None
_started: Path | None = None


def last_sweep() -> SweepOutcome | None:
    """How the last sweep of this process ended (None: no sweep ended)."""
    return _last


def started_sweep() -> Path | None:
    """The sweep dir of the last sweep this process started (None: none), for Ctrl-C: Hydra
    calls no callback when a sweep is interrupted."""
    return _started


def _say(message: str) -> None:
    print(f"{PREFIX} {message}", flush=True)


class ReportCallback(Callback):
    """Progress while a sweep runs; the report once every job has finished."""

    def __init__(
        self,
        baseline: str | None = None,
        half_widths: dict[str, float] | None = None,
        enabled: bool = True,
    ) -> None:
        self.baseline = baseline
        self.half_widths = dict(half_widths or {})
        self.enabled = enabled

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        global _started
        _started = Path(str(config.hydra.sweep.dir))
        withdraw_report(_started)  # an earlier sweep's report there would speak for this one
        hydra_cfg = OmegaConf.to_container(config.hydra, resolve=False)
        assert isinstance(hydra_cfg, dict)
        total = len(jobs_of({str(k): v for k, v in hydra_cfg.items()}))
        _say(f"sweep of {total} jobs into {config.hydra.sweep.dir}")
        # The launcher starts its workers after this: they must not inherit HYDRA_FULL_ERROR
        # (ordertwin's main() sets it for its own process; jobs record errors, never re-raise).
        os.environ.pop("HYDRA_FULL_ERROR", None)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if config.hydra.mode != RunMode.MULTIRUN:
            return
        run_dir = Path(str(config.hydra.runtime.output_dir))
        sweep_dir = Path(str(config.hydra.sweep.dir))
        state = "ok"
        if job_return.status == JobStatus.FAILED:
            error = job_return._return_value  # the exception (reading return_value re-raises)
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            write_text(run_dir / ERROR_FILE, f"{type(error).__name__}: {first}\n", root=run_dir)
        if (run_dir / ERROR_FILE).is_file():
            reason = (run_dir / ERROR_FILE).read_text(errors="replace").strip()
            state = f"FAILED ({reason})"
        done, total = progress(sweep_dir)
        _say(f"{done}/{total} jobs done - {run_dir.name}: {state}")
        if state != "ok":
            _say(f"the report names it; to rebuild the report: ordertwin-report {sweep_dir}")

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        global _last
        sweep_dir = Path(str(config.hydra.sweep.dir))
        try:
            jobs = read_sweep(sweep_dir)
        except SweepError as err:
            _say(f"cannot read the sweep back: {err}")
            return
        failed = [j for j in jobs if j.status != OK]
        _last = SweepOutcome(sweep_dir, len(jobs), len(failed))
        for job in failed:
            _say(f"job {job.num} {job.status}: {job.describe()} - {job.reason}")
        if not self.enabled:
            return
        from sim.report.build import ReportError, build_report  # pandas, matplotlib: only here

        try:
            report = build_report(sweep_dir, self.baseline, self.half_widths or None)
        except (ReportError, ValueError) as err:
            _say(f"no report: {err}")
            return
        _say(f"report: {sweep_dir / 'report.html'} ({len(report.files)} files)")
        if report.scorecard is not None:
            print(report.scorecard.text(), flush=True)
