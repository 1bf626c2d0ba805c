"""Launchers: joblib gives what the basic launcher gives; cluster configs are well formed;
sweeps report progress and failed jobs leave their error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hydra.core.utils import JobReturn, JobStatus
from hydra.types import RunMode
from omegaconf import OmegaConf

from sim.config.store import register_configs
from sim.report.callback import ReportCallback
from sim.report.sweep import ERROR_FILE

LAUNCHER_DIR = Path(__file__).resolve().parents[1] / "conf" / "hydra" / "launcher"
TINY = (
    "experiment=quickstart",
    "horizon_days=2",
    "warmup_days=1",
    "scenario=baseline",  # overrides the experiment's sweep of these keys
    "routing=nearest",
    "seed=1,2",
)


def _sweep(sweep_dir: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    return subprocess.run(
        [sys.executable, "-m", "sim", *TINY, f"hydra.sweep.dir={sweep_dir}", *overrides],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def test_joblib_and_basic_launchers_give_identical_results(tmp_path: Path) -> None:
    joblib = _sweep(tmp_path / "joblib", "hydra.launcher.n_jobs=2")
    basic = _sweep(tmp_path / "basic", "hydra/launcher=basic")
    for done in (joblib, basic):
        assert done.returncode == 0, done.stderr[-2000:]
        assert "sweep of 2 jobs" in done.stdout and "2/2 jobs done" in done.stdout
        assert "report:" in done.stdout
    assert "Joblib" in joblib.stderr + joblib.stdout
    runs = sorted(p.parent.name for p in (tmp_path / "joblib").glob("*/kpis.json"))
    assert len(runs) == 2
    for name in runs:
        a = json.loads((tmp_path / "joblib" / name / "kpis.json").read_text())
        b = json.loads((tmp_path / "basic" / name / "kpis.json").read_text())
        assert a == b
        for parquet in ("orders.parquet", "timeseries.parquet"):
            left = (tmp_path / "joblib" / name / parquet).read_bytes()
            assert left == (tmp_path / "basic" / name / parquet).read_bytes()
    for table in ("summary.csv", "comparison.csv"):
        assert (tmp_path / "joblib" / table).read_text() == (tmp_path / "basic" / table).read_text()


def _launcher_yaml(name: str) -> dict[str, object]:
    loaded = yaml.safe_load((LAUNCHER_DIR / f"{name}.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_ray_config_joins_a_cluster_with_object_store_memory_unset() -> None:
    conf = _launcher_yaml("ray_cluster")
    assert conf["defaults"] == ["ray", "_self_"]
    init = conf["ray"]["init"]  # type: ignore[index]
    assert init["address"] == "auto"
    assert "object_store_memory" in init and init["object_store_memory"] is None


def test_slurm_config_extends_the_submitit_plugin() -> None:
    conf = _launcher_yaml("slurm")
    assert conf["defaults"] == ["submitit_slurm", "_self_"]
    assert conf["cpus_per_task"] == 1
    assert str(conf["submitit_folder"]).startswith("${hydra.sweep.dir}")


@pytest.mark.parametrize(
    ("launcher", "plugin", "target"),
    [
        ("ray_cluster", "hydra_plugins.hydra_ray_launcher", "RayLauncher"),
        ("slurm", "hydra_plugins.hydra_submitit_launcher", "SlurmLauncher"),
    ],
)
def test_cluster_launchers_compose_when_their_plugin_is_installed(
    launcher: str, plugin: str, target: str
) -> None:
    pytest.importorskip(plugin)
    from hydra import compose, initialize_config_module

    register_configs()
    with initialize_config_module("sim.conf", version_base="1.3"):
        cfg = compose(
            "config",
            overrides=["experiment=quickstart", f"hydra/launcher={launcher}"],
            return_hydra_config=True,
        )
    assert str(cfg.hydra.launcher._target_).endswith(target)
    if launcher == "ray_cluster":
        assert cfg.hydra.launcher.ray.init.object_store_memory is None


def _job_config(tmp_path: Path, num: int) -> object:
    run_dir = tmp_path / f"{num}_job"
    run_dir.mkdir()
    hydra = {
        "mode": RunMode.MULTIRUN,
        "sweep": {"dir": str(tmp_path)},
        "runtime": {"output_dir": str(run_dir)},
    }
    (tmp_path / "multirun.yaml").write_text(
        yaml.safe_dump({"hydra": {"overrides": {"task": ["seed=1,2,3"]}}})
    )
    (run_dir / ".hydra").mkdir()
    (run_dir / ".hydra" / "config.yaml").write_text("seed: 1\n")
    return OmegaConf.create({"hydra": hydra})


def test_a_failed_job_leaves_its_error_and_the_sweep_shows_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _job_config(tmp_path, 0)
    failed = JobReturn(status=JobStatus.FAILED, _return_value=RuntimeError("stock went negative"))
    ReportCallback().on_job_end(config=config, job_return=failed)  # type: ignore[arg-type]
    error = (tmp_path / "0_job" / ERROR_FILE).read_text()
    assert error.startswith("RuntimeError: stock went negative")
    out = capsys.readouterr().out
    assert "1/3 jobs done" in out and "FAILED" in out and "ordertwin-report" in out
