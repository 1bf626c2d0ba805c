"""Hydra callback: sweep progress (jobs done / total), failed jobs' errors, and the report.

Configured under ``hydra.callbacks.report`` in conf/config.yaml. Hydra skips
``on_multirun_end`` when a job fails, so each failed job also leaves an ``error.txt`` naming its
error and the progress line says how to build the report of the others (``ordertwin-report``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.report.sweep import ERROR_FILE, jobs_of, progress

PREFIX = "[ordertwin]"


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
        hydra_cfg = OmegaConf.to_container(config.hydra, resolve=False)
        assert isinstance(hydra_cfg, dict)
        total = len(jobs_of({str(k): v for k, v in hydra_cfg.items()}))
        _say(f"sweep of {total} jobs into {config.hydra.sweep.dir}")

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if config.hydra.mode != RunMode.MULTIRUN:
            return
        run_dir = Path(str(config.hydra.runtime.output_dir))
        sweep_dir = Path(str(config.hydra.sweep.dir))
        state = "ok"
        if job_return.status == JobStatus.FAILED:
            error = job_return._return_value  # the exception (reading return_value re-raises)
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            (run_dir / ERROR_FILE).write_text(f"{type(error).__name__}: {first}\n")
            state = f"FAILED ({type(error).__name__}: {first})"
        done, total = progress(sweep_dir)
        _say(f"{done}/{total} jobs done - {run_dir.name}: {state}")
        if state != "ok":
            _say(
                f"after the sweep, build the report of the other jobs: ordertwin-report {sweep_dir}"
            )

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if not self.enabled:
            return
        from sim.report.build import build_report  # pandas and matplotlib only when reporting

        sweep_dir = Path(str(config.hydra.sweep.dir))
        report = build_report(sweep_dir, self.baseline, self.half_widths or None)
        _say(f"report: {sweep_dir / 'report.html'} ({len(report.files)} files)")
