"""Sweeps and now-casts run as subprocesses, so the page never freezes and Hydra runs fresh.

Hydra's global state is not re-entrant, and a sweep takes minutes: the app starts the very
command a planner would type (``python -m sim -m ...``, ``python -m sim.cli.nowcast ...``) in the
app's working folder, writing the same folders and files as the CLI, its output to a log under
``results/app/logs/``. Progress is read from what the job writes: run folders with ``kpis.json``
in the sweep folder, and the sweep's ``[ordertwin] k/n jobs done`` lines.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from scenarios.errors import ConfigError
from sim.app.folders import Folders
from sim.io.safe import make_dirs, path_name

MAX_SEEDS = 50
DRIVER_REPLICATIONS = 50  # ordertwin-nowcast's default
MAX_DAYS = 366.0
DONE = re.compile(r"\[ordertwin\] (\d+)/(\d+) jobs done")


@dataclass(frozen=True)
class SweepRequest:
    """A policy comparison: scenarios x routing policies x seeds 1..n, one monitoring policy."""

    scenarios: tuple[str, ...]
    routings: tuple[str, ...]
    monitoring: str
    seeds: int
    horizon_days: float
    warmup_days: float
    n_jobs: int = 2

    def checked(self) -> SweepRequest:
        """Each field as the command line needs it, or the field's own error."""
        if not self.scenarios:
            raise ConfigError("scenarios", "at least one scenario", [])
        if not self.routings:
            raise ConfigError("routings", "at least one routing policy", [])
        for key, names in (("scenarios", self.scenarios), ("routings", self.routings)):
            for name in names:
                path_name(key, name)
        path_name("monitoring", self.monitoring)
        if not (isinstance(self.seeds, int) and 1 <= self.seeds <= MAX_SEEDS):
            raise ConfigError("seeds", f"a whole number of seeds in [1, {MAX_SEEDS}]", self.seeds)
        if not (0 < float(self.horizon_days) <= MAX_DAYS):
            raise ConfigError("horizon_days", f"days in (0, {MAX_DAYS:g}]", self.horizon_days)
        if not (0 <= float(self.warmup_days) < float(self.horizon_days)):
            raise ConfigError(
                "warmup_days",
                f"days in [0, horizon_days ({self.horizon_days:g}))",
                self.warmup_days,
            )
        return self

    def overrides(self) -> list[str]:
        """The sweep's Hydra overrides, as typed after ``ordertwin -m``."""
        return [
            f"scenario={','.join(self.scenarios)}",
            f"routing={','.join(self.routings)}",
            f"monitoring={self.monitoring}",
            f"seed={','.join(str(s) for s in range(1, self.seeds + 1))}",
            f"horizon_days={self.horizon_days:g}",
            f"warmup_days={self.warmup_days:g}",
            "progress=false",
            "hydra/launcher=joblib",
            f"hydra.launcher.n_jobs={self.n_jobs}",
        ]

    @property
    def total(self) -> int:
        return len(self.scenarios) * len(self.routings) * self.seeds


@dataclass
class Job:
    """One subprocess the app started: what it runs, where it writes, how it ends."""

    kind: str  # "sweep" or "nowcast"
    argv: list[str]
    out_dir: Path
    log: Path
    total: int
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def returncode(self) -> int | None:
        return self.process.poll()

    def done_count(self) -> int:
        """Runs finished so far: the sweep's own count, else run folders with ``kpis.json``."""
        if self.kind != "sweep":
            return int(self.returncode == 0)
        reported = DONE.findall(self.log_text())
        if reported:
            return int(reported[-1][0])
        return len(list(self.out_dir.glob("*/kpis.json"))) if self.out_dir.is_dir() else 0

    def log_text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def error_line(self) -> str:
        """The command's one-line error (``...: error: ...``), if it ended with one."""
        lines = [ln for ln in self.log_text().splitlines() if ": error: " in ln]
        return lines[-1] if lines else ""

    def status(self) -> str:
        code = self.returncode
        if code is None:
            return f"running: {self.done_count()}/{self.total} done"
        if code == 0:
            return f"finished: {self.total}/{self.total} done"
        return f"failed (exit {code}): {self.error_line() or 'see ' + str(self.log)}"


class JobRunner:
    """Starts subprocesses in the app's working folder and remembers them by id."""

    def __init__(self, folders: Folders) -> None:
        self.folders = folders
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def _stamp(self) -> tuple[str, str]:
        now = datetime.datetime.now()
        return now.strftime("%Y-%m-%d"), now.strftime("%H-%M-%S-%f")

    def _start(self, kind: str, argv: list[str], out_dir: Path, total: int) -> str:
        day, time = self._stamp()
        logs = make_dirs(self.folders.results / "app" / "logs", self.folders.work)
        log = logs / f"{day}_{time}_{kind}.log"
        env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
        env["ORDERTWIN_HOME"] = str(self.folders.conf.parent)  # the app's user config folder
        with open(log, "wb") as out:
            process = subprocess.Popen(
                argv,
                cwd=self.folders.work,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        job_id = f"{kind}-{day}_{time}"
        with self._lock:
            self.jobs[job_id] = Job(kind, argv, out_dir, log, total, process)
        return job_id

    def start_sweep(self, request: SweepRequest) -> str:
        """``ordertwin -m`` with the request's overrides into ``results/sweeps/<date>/<time>``
        (the CLI's own folder pattern)."""
        request.checked()
        day, time = self._stamp()
        relative = Path("results") / "sweeps" / day / time
        argv = [sys.executable, "-m", "sim", "-m", *request.overrides()]
        argv.append(f"hydra.sweep.dir={relative}")
        return self._start("sweep", argv, self.folders.work / relative, request.total)

    def start_nowcast(self, snapshot: Path, scenario: str, days: float, replications: int) -> str:
        """``ordertwin-nowcast`` on a snapshot inside the results folder."""
        snapshot = self.folders.inside(snapshot, self.folders.results, "snapshot")
        if not (snapshot / "manifest.json").is_file():
            raise ConfigError("snapshot", "a snapshot folder (with manifest.json)", str(snapshot))
        path_name("scenario", scenario)
        if not (0 < float(days) <= 60):
            raise ConfigError("days", "days in (0, 60]", days)
        if not (isinstance(replications, int) and 1 <= replications <= 10_000):
            raise ConfigError("replications", "a whole number in [1, 10000]", replications)
        day, time = self._stamp()
        out = Path("results") / "nowcasts" / f"{day}_{time}"
        argv = [sys.executable, "-m", "sim.cli.nowcast", str(snapshot), "--scenario", scenario]
        argv += ["--days", f"{float(days):g}", "--replications", str(replications)]
        # drivers: the CLI's 50 per factor, never more than the replications asked for
        argv += ["--driver-replications", str(min(replications, DRIVER_REPLICATIONS))]
        argv += ["--jobs", "1", "--out", str(out)]
        return self._start("nowcast", argv, self.folders.work / out, 1)

    def get(self, job_id: str | None) -> Job | None:
        with self._lock:
            return self.jobs.get(job_id or "")

    def stop_all(self) -> None:
        """Ends the jobs this app started (when the app stops)."""
        with self._lock:
            jobs = list(self.jobs.values())
        for job in jobs:
            if job.process.poll() is None:
                job.process.terminate()
