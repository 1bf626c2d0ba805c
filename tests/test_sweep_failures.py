"""Sweeps that fail well: a bad job is recorded and the others run, under every launcher; the report
names it; the exit code says so; a sweep folder read back is untrusted and never merged silently.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from scenarios.errors import ConfigError, OrderLogError
from sim.cli.report import main as report_main
from sim.io import run_files
from sim.report import scorecard
from sim.report.sweep import (
    ERROR_FILE,
    FAILED,
    INTERRUPTED,
    INTERRUPTED_FILE,
    MISSING,
    OK,
    SweepError,
    read_sweep,
)
from sim.runner import run_from_config
from tests.helpers import compose_config, run_config
from tests.sweep_factory import make_sweep

BAD_JOB = "scenario.demand.base_rate_per_h=-5,10"  # job 0 is bad input, job 1 runs
REASON = "scenario.demand.base_rate_per_h: expected a number > 0, got -5.0"
LAUNCHERS = {
    "basic": ("hydra/launcher=basic",),
    "joblib": ("hydra/launcher=joblib", "hydra.launcher.n_jobs=2"),
    "ray": ("hydra/launcher=ray_local",),
    "submitit": ("hydra/launcher=submitit_local",),
}
PLUGIN = {
    "ray": "hydra_plugins.hydra_ray_launcher",
    "submitit": "hydra_plugins.hydra_submitit_launcher",
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["HYDRA_FULL_ERROR"] = "0"  # as a user who has never heard of it
    return env


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_a_bad_job_fails_alone_under_every_launcher(launcher: str, tmp_path: Path) -> None:
    if launcher in PLUGIN:
        pytest.importorskip(PLUGIN[launcher])
    sweep = tmp_path / "sweep"
    done = subprocess.run(
        [sys.executable, "-m", "sim", "-m", "horizon_days=1", "warmup_days=0.5", "progress=false"]
        + [BAD_JOB, "seed=1", f"hydra.sweep.dir={sweep}", *LAUNCHERS[launcher]],
        capture_output=True,
        text=True,
        timeout=240,
        env=_env(),
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    ours = [line for line in (done.stderr + done.stdout).splitlines() if "ordertwin" in line]
    assert ours and not any("Traceback" in line for line in ours)
    if launcher != "ray":  # Ray's own log may carry its internal warnings
        assert "Traceback" not in done.stderr + done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ordertwin: error: 1 of 2 jobs failed"), done.stderr[-2000:]
    (bad,) = sweep.glob(f"0_*/{ERROR_FILE}")
    assert bad.read_text() == REASON + "\n"
    assert not list(sweep.glob(f"0_*/{run_files.KPIS_FILE}"))
    assert len(list(sweep.glob(f"1_*/{run_files.KPIS_FILE}"))) == 1
    page = (sweep / "report.html").read_text()
    assert "base_rate_per_h: expected a number &gt; 0" in page  # named, and escaped
    assert not list(sweep.rglob("*.tmp"))


def test_config_and_order_log_errors_pickle() -> None:
    """Workers send errors back by pickle: they must come back whole."""
    for err in (
        ConfigError("routing.max_detour_zones", "an integer >= 0", -1, "a hint"),
        OrderLogError(Path("log.csv"), "line 4, column value", "expected a number"),
    ):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and str(back) == str(err)
        assert back.__dict__ == err.__dict__


def test_callback_keeps_workers_free_of_hydra_full_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from omegaconf import OmegaConf

    from sim.report.callback import ReportCallback

    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")  # as main() sets it for its own process
    config = OmegaConf.create(
        {"hydra": {"sweep": {"dir": "x"}, "overrides": {"task": ["seed=1,2"]}}}
    )
    ReportCallback().on_multirun_start(config)  # type: ignore[arg-type]
    assert "HYDRA_FULL_ERROR" not in os.environ


# -- reading a sweep folder back: untrusted, one line, never merged


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sweep(tmp_path_factory.mktemp("sweep") / "s", {"seed": "1,2"})


def _copy(sweep: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(sweep, out)
    return out


def _report(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = report_main([str(folder)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_kpis_json_that_is_a_list_fails_that_job_only(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(sweep, tmp_path)
    (kpis,) = folder.glob("0_*/kpis.json")
    kpis.write_text("[1, 2, 3]")
    code, out, err = _report(folder, capsys)
    assert code == 0, err
    assert "1 of 2 jobs finished" in out
    assert "unreadable kpis.json: expected a JSON object of numbers, got a list" in out


@pytest.mark.parametrize("damage", ["key: [unclosed", "- a list\n- not a mapping\n", "\x00\x01"])
def test_corrupt_job_config_fails_that_job_only(
    damage: str, sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(sweep, tmp_path)
    (config,) = folder.glob("1_*/.hydra/config.yaml")
    config.write_text(damage)
    code, out, err = _report(folder, capsys)
    assert code == 0, err
    assert "1 of 2 jobs finished" in out and "unreadable config" in out
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("hydra: {sweeper: [unclosed", ": line 2: expected YAML"),
        ("- 1\n- 2\n", "expected Hydra's sweep config (a mapping), got a list"),
        ("hydra: {sweeper: {params: {seed: '1,,2'}}}", "expected the sweep's parameters"),
    ],
)
def test_corrupt_multirun_yaml_is_one_line(
    damage: str, words: str, sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(sweep, tmp_path)
    (folder / "multirun.yaml").write_text(damage)
    code, _, err = _report(folder, capsys)
    assert code == 2
    assert err.count("\n") == 1 and "multirun.yaml" in err and words in err, err


def test_folder_of_two_sweeps_is_refused(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parent = tmp_path / "day"
    shutil.copytree(sweep, parent / "a")
    shutil.copytree(sweep, parent / "b")
    code, _, err = _report(parent, capsys)
    assert code == 2 and "more than one sweep" in err and err.count("\n") == 1


def test_a_job_of_another_sweep_is_refused_not_merged(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = make_sweep(tmp_path / "other", {"seed": "7"})
    folder = _copy(sweep, tmp_path)
    (stray,) = other.glob("0_*")
    shutil.copytree(stray, folder / "0_stray")  # job number 0 again, another job
    with pytest.raises(SweepError, match="not a job of the sweep"):
        read_sweep(folder)
    code, _, err = _report(folder, capsys)
    assert code == 2 and "not a job of the sweep" in err


def test_jobs_are_known_by_identity_not_number(sweep: Path, tmp_path: Path) -> None:
    """Without multirun.yaml, two jobs numbered 0 (different overrides) are both kept."""
    folder = _copy(sweep, tmp_path)
    (folder / "multirun.yaml").unlink()
    (second,) = folder.glob("1_*")
    meta = second / ".hydra" / "hydra.yaml"
    loaded = yaml.safe_load(meta.read_text())
    loaded["hydra"]["job"]["num"] = 0
    meta.write_text(yaml.safe_dump(loaded))
    jobs = read_sweep(folder)
    assert [j.num for j in jobs] == [0, 0]
    assert {j.seed for j in jobs} == {1, 2} and all(j.status == OK for j in jobs)


def test_a_rerun_of_the_same_job_keeps_the_finished_one(sweep: Path, tmp_path: Path) -> None:
    folder = _copy(sweep, tmp_path)
    (first,) = folder.glob("0_*")
    rerun = folder / "0_rerun"
    shutil.copytree(first / ".hydra", rerun / ".hydra")
    (rerun / ERROR_FILE).write_text("KeyboardInterrupt\n")
    jobs = read_sweep(folder)
    assert len(jobs) == 2 and all(j.status == OK for j in jobs)
    assert FAILED != OK


# -- interrupted: one line, no temp files


def test_interrupted_write_leaves_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_config("horizon_days=1", "warmup_days=0.5", "progress=false")

    def interrupted(_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(run_files, "timeseries_frame", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_files.write_run(result, tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == []


def _start(tmp_path: Path, *arguments: str) -> subprocess.Popen[str]:
    """``ordertwin ARGUMENTS`` in the background, to be interrupted."""
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *arguments, "progress=false"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=tmp_path,
        # Ctrl-C as a user's terminal delivers it: a shell without job control starts background
        # jobs with SIGINT ignored, and the child would inherit that and never see the signal
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_sigint_ends_with_one_line(tmp_path: Path) -> None:
    proc = _start(
        tmp_path, "horizon_days=365", "warmup_days=1", f"hydra.run.dir={tmp_path / 'run'}"
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / "run" / ".hydra").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # inside the simulation
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["ordertwin: interrupted (the run dir has no kpis.json)"]
    assert not list((tmp_path / "run").rglob("*.tmp"))
    assert not (tmp_path / "run" / "kpis.json").exists()


def test_kpis_of_a_finished_job_still_parse(sweep: Path) -> None:
    (kpis,) = sweep.glob("0_*/kpis.json")
    assert isinstance(json.loads(kpis.read_text()), dict)


# -- a sweep interrupted in flight: finished jobs kept, the rest marked, no report


def _start_sweep(tmp_path: Path, *overrides: str) -> subprocess.Popen[str]:
    sweep_dir = f"hydra.sweep.dir={tmp_path / 'sweep'}"
    return _start(tmp_path, "-m", "warmup_days=0.5", *overrides, sweep_dir)


def _wait_for(found: Callable[[], bool], proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not found():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the sweep did not get there in 120 s"
        time.sleep(0.1)


def _leftovers(sweep: Path) -> list[Path]:
    return [p for p in sweep.rglob(".*") if p.suffix in (".tmp", ".scratch")]


def _assert_stopped(sweep: Path, err: str, finished: int, stopped: int, planned: int) -> None:
    (line,) = err.strip().splitlines()  # one line, no traceback
    assert line.startswith(
        f"ordertwin: interrupted: {finished} of {planned} jobs finished (their files are kept), "
        f"{stopped} stopped mid-run (marked {INTERRUPTED_FILE}), "
        f"{planned - finished - stopped} never started; no report was built"
    ), err
    assert f"ordertwin-report {sweep}" in line
    report_files = ("summary.csv", "comparison.csv", "scorecard.csv", "report.html")
    assert not [name for name in report_files if (sweep / name).exists()]  # nothing claims it all
    assert not _leftovers(sweep)


def test_sigint_during_a_sweep_keeps_finished_jobs_and_marks_the_rest(tmp_path: Path) -> None:
    """Basic launcher: two short jobs finish, Ctrl-C lands in the long third; the fourth never
    starts. Finished jobs keep their files, the third says it was interrupted, no report."""
    proc = _start_sweep(tmp_path, "horizon_days=1,60", "seed=1,2", "hydra/launcher=basic")
    sweep = tmp_path / "sweep"
    _wait_for(lambda: bool(list(sweep.glob("2_*/.hydra/config.yaml"))), proc)
    time.sleep(1.0)  # inside the long job's simulation
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    _assert_stopped(sweep, err, finished=2, stopped=1, planned=4)
    jobs = read_sweep(sweep)
    assert [j.status for j in jobs] == [OK, OK, INTERRUPTED, MISSING]
    assert jobs[2].reason.startswith("interrupted: the sweep was stopped")
    for job in jobs[:2]:
        assert job.run_dir is not None
        assert (job.run_dir / "orders.parquet").is_file() and job.kpis["orders_created"] > 0
    (marked,) = sweep.glob(f"2_*/{INTERRUPTED_FILE}")
    assert not (marked.parent / run_files.KPIS_FILE).exists()
    assert report_main([str(sweep)]) == 0  # a report on request: marked incomplete
    card = scorecard.load(sweep)
    assert card.incomplete == {("baseline", "horizon_days=60"): "seeds 1-2 of horizon_days=60"}
    assert card.text().startswith("! Incomplete sweep: 1 of 1 rows")


def test_sigint_to_a_joblib_sweep_clears_what_killed_workers_left(tmp_path: Path) -> None:
    """Joblib: Ctrl-C sent to the driver alone (``kill -INT``); the launcher kills its workers
    mid-run, which never remove their temporary files. The driver removes them and marks both."""
    proc = _start_sweep(
        tmp_path, "horizon_days=60", "seed=1,2", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2"
    )
    sweep = tmp_path / "sweep"
    _wait_for(lambda: len(list(sweep.glob("*/.orders.parquet.*.tmp"))) == 2, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    _assert_stopped(sweep, err, finished=0, stopped=2, planned=2)
    assert [j.status for j in read_sweep(sweep)] == [INTERRUPTED, INTERRUPTED]


def test_a_rerun_in_the_same_folder_withdraws_the_old_kpis_first(tmp_path: Path) -> None:
    """A run that fails (or is stopped) in a folder holding an earlier run's kpis.json must not
    leave that file behind as if it were its own."""
    (tmp_path / run_files.KPIS_FILE).write_text('{"orders_created": 1}')
    cfg = compose_config("horizon_days=1", "warmup_days=0.5")
    cfg["warmup_days"] = 2.0  # refused by the run's own validation, after the folder is taken
    with pytest.raises(ConfigError, match="warmup_days"):
        run_from_config(cfg, tmp_path)
    assert not (tmp_path / run_files.KPIS_FILE).exists()


def test_a_sweep_job_starts_by_clearing_how_an_earlier_job_there_ended(tmp_path: Path) -> None:
    """A sweep rerun into the same folder: the old outcome files go before the job runs, so an
    old error.txt or interrupted.txt never speaks for the new job."""
    from sim.cli.sweep_jobs import clear_outcome

    for name in (run_files.KPIS_FILE, ERROR_FILE, INTERRUPTED_FILE, "traceback.txt"):
        (tmp_path / name).write_text("from an earlier job\n")
    (tmp_path / "orders.parquet").write_text("kept: the new run replaces it")
    clear_outcome(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.parquet"]
