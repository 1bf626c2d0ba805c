"""A sample of hostile config input through the ``ordertwin`` console script, as a user meets it.

Each case runs the installed command in an empty folder and must end with exit code 2, exactly
one line on stderr naming the key (or file:line), no traceback, and nothing written on disk: no
run folder, no ``.hydra/``, no ``cli.log`` (the config is composed and validated before Hydra
makes any folder). The full catalogue runs in-process in ``tests/test_hostile_config.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

PREFIX = "ordertwin: error: "
SHORT = ["horizon_days=2", "warmup_days=0.5", "progress=false"]
DUPLICATE = "defaults:\n  - baseline\n  - _self_\nname: x\ndemand:\n  vip_p: 0.1\n  vip_p: 0.2\n"
UNCLOSED = "defaults:\n  - baseline\n  - _self_\nname: x\ndemand:\n  hourly_profile: [1,\n"

# id -> (arguments, the start of the one line after the prefix)
CASES = {
    "budget-orders": (["scenario.demand.base_rate_per_h=1e12"], "limits.max_orders: "),
    "hang-interval": (
        ["monitoring=health_score", "monitoring.interval_h=1e-9"],
        "monitoring.interval_h: ",
    ),
    "team-size-0": (["monitoring=sla_rules", "monitoring.team_size=0"], "monitoring.team_size: "),
    "unknown-mode": (
        ["routing=value_tiered", "routing.premium_mode=drone"],
        "routing.premium_mode: ",
    ),
    "empty-warehouses": (["scenario.warehouses={}"], "scenario.warehouses: "),
    "burst-without-name": (
        ["scenario.demand.bursts=[{start_h: 1}]"],
        "scenario.demand.bursts[0].name: ",
    ),
    "yaml-duplicate-key": (["--config-dir", "user", "scenario=dup"], "user/scenario/dup.yaml:7: "),
    "yaml-syntax": (["--config-dir", "user", "scenario=broken"], "user/scenario/broken.yaml:7: "),
    "sweep-all-bad": (
        ["-m", "scenario.demand.base_rate_per_h=-1", "seed=1,2"],
        "scenario.demand.base_rate_per_h: ",
    ),
}


def ordertwin() -> str:
    """The installed console script, beside this interpreter."""
    found = Path(sys.executable).with_name("ordertwin")
    return str(found) if found.exists() else shutil.which("ordertwin") or "ordertwin"


def run_case(folder: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    user = folder / "user" / "scenario"
    user.mkdir(parents=True)
    (user / "dup.yaml").write_text(DUPLICATE)
    (user / "broken.yaml").write_text(UNCLOSED)
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    return subprocess.run(
        [ordertwin(), *args, *SHORT],  # Hydra's flags come before the overrides
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """Every case once, two at a time (each is a ~3 s process)."""
    folders = {case: tmp_path_factory.mktemp(case) for case in CASES}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {case: pool.submit(run_case, folders[case], CASES[case][0]) for case in CASES}
        return {case: (folders[case], future.result()) for case, future in futures.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_refused_with_one_line_and_nothing_on_disk(
    results: dict[str, tuple[Path, subprocess.CompletedProcess[str]]], case: str
) -> None:
    folder, proc = results[case]
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.rstrip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(PREFIX + CASES[case][1]), lines[0]
    left = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    assert left == ["user", "user/scenario", "user/scenario/broken.yaml", "user/scenario/dup.yaml"]


def test_full_error_still_shows_the_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "HYDRA_FULL_ERROR": "1"}
    proc = subprocess.run(
        [ordertwin(), *SHORT, "scenario.demand.vip_p=nan"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "scenario.demand.vip_p: expected" in proc.stderr
    assert not list(tmp_path.iterdir())
