"""A sweep stopped by Ctrl-C: finished jobs kept, unfinished ones marked so, no report built.

Hydra calls no ``on_multirun_end`` when a sweep is interrupted, so the sweep never builds its
report from part of its jobs. What is left is on disk: each job that was running has a folder with
``.hydra/`` that looks like a job's, and a worker the launcher killed (joblib terminates its loky
workers) never removed its temporary files. :func:`stop_sweep`, called by the driver once the
launcher has given up, removes those leftovers and writes ``interrupted.txt`` into every job folder
that has neither ``kpis.json`` nor ``error.txt``, so the folder says it holds no result; the report
reads it as ``interrupted``. Jobs that never started have no folder: ``multirun.yaml`` still names
them, and the report lists them as ``missing``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sim.io.run_files import KPIS_FILE
from sim.io.safe import is_temp_file, write_text
from sim.io.scratch import is_scratch_file
from sim.report.sweep import (
    ERROR_FILE,
    INTERRUPTED_FILE,
    SweepError,
    expected_overrides,
    job_dirs,
)

REASON = "interrupted: the sweep was stopped (Ctrl-C) before this job finished; rerun it"


@dataclass(frozen=True)
class StoppedSweep:
    """What a stopped sweep left: jobs finished, failed, marked interrupted, and planned."""

    sweep_dir: Path
    finished: int
    failed: int
    interrupted: int
    planned: int

    def line(self, prog: str = "ordertwin") -> str:
        """The one line the command ends with."""
        failed = f", {self.failed} failed" if self.failed else ""
        unstarted = self.planned - self.finished - self.failed - self.interrupted
        return (
            f"{prog}: interrupted: {self.finished} of {self.planned} jobs finished{failed} "
            f"(their files are kept), {self.interrupted} stopped mid-run (marked "
            f"{INTERRUPTED_FILE}), {max(unstarted, 0)} never started; no report was built; "
            f"for one marked incomplete: ordertwin-report {self.sweep_dir}"
        )


def remove_leftovers(run_dir: Path) -> list[Path]:
    """Remove the temporary and scratch files a killed job left in its folder (never through a
    link: a linked folder is not entered, a link is not a leftover)."""
    removed = []
    for folder, _, names in os.walk(run_dir):  # followlinks=False
        for name in names:
            path = Path(folder) / name
            if is_temp_file(path) or is_scratch_file(path):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def stop_sweep(sweep_dir: str | Path) -> StoppedSweep:
    """Mark every unfinished job of the sweep in ``sweep_dir``; clear what it left half-written."""
    root = Path(sweep_dir)
    finished = failed = interrupted = 0
    dirs = list(job_dirs(root)) if root.is_dir() else []
    for run_dir in dirs:
        if (run_dir / KPIS_FILE).is_file():
            finished += 1
            continue
        remove_leftovers(run_dir)
        if (run_dir / ERROR_FILE).is_file():
            failed += 1
            continue
        write_text(run_dir / INTERRUPTED_FILE, REASON + "\n", root=run_dir)
        interrupted += 1
    try:
        planned = expected_overrides(root) if root.is_dir() else None
    except SweepError:
        planned = None
    total = len(planned) if planned is not None else len(dirs)
    return StoppedSweep(root, finished, failed, interrupted, total)
