"""The user config folder: ``ordertwin`` finds user scenarios there with no ``--config-dir``, and
``ordertwin-calibrate`` writes there by default, never into the installed package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.config.compose import load_config
from sim.config.user_folder import HOME_VARIABLE, user_conf_dir
from tests.calibration_helpers import generate_log

USER_SCENARIO = """defaults:
  - baseline
  - _self_
name: mine
description: a user's own scenario
demand:
  base_rate_per_h: 20.0
"""


def test_where_the_folder_is(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(HOME_VARIABLE, str(tmp_path / "home"))
    assert user_conf_dir() == tmp_path / "home" / "conf"
    monkeypatch.delenv(HOME_VARIABLE)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    if sys.platform != "win32":
        assert user_conf_dir() == tmp_path / "xdg" / "ordertwin" / "conf"


def _ordertwin(cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """``ordertwin scenario=mine`` (short) with the user folder under ``home``."""
    args = ["scenario=mine", "horizon_days=1", "warmup_days=0", "progress=false"]
    env = {**os.environ, HOME_VARIABLE: str(home)}
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_ordertwin_runs_a_scenario_from_the_user_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "conf" / "scenario").mkdir(parents=True)
    (home / "conf" / "scenario" / "mine.yaml").write_text(USER_SCENARIO)
    done = _ordertwin(tmp_path, home)
    assert done.returncode == 0, done.stderr
    assert "ordertwin: mine / routing=nearest" in done.stdout
    # without the folder, the same command is refused with one line naming the choice
    refused = _ordertwin(tmp_path, tmp_path / "elsewhere")
    assert refused.returncode != 0
    assert "mine" in refused.stderr.strip().splitlines()[-1]


def test_calibrate_writes_to_the_user_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sim.cli.calibrate import main

    monkeypatch.setenv(HOME_VARIABLE, str(tmp_path / "home"))
    log, _ = generate_log(
        tmp_path, "horizon_days=7", "warmup_days=0", "scenario.demand.base_rate_per_h=20"
    )
    monkeypatch.chdir(tmp_path)
    main([str(log), "--name", "fitted"])
    written = tmp_path / "home" / "conf" / "scenario" / "fitted.yaml"
    assert written.is_file()
    assert load_config("scenario=fitted", "progress=false")["scenario"]["name"] == "fitted"


def test_calibrate_refuses_a_shipped_scenarios_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The user folder is appended to the search path, so a calibrated ``storm`` would be shadowed
    by the packaged one and ``ordertwin scenario=storm`` would silently run the shipped scenario."""
    from sim.cli.calibrate import main

    monkeypatch.setenv(HOME_VARIABLE, str(tmp_path / "home"))
    log = tmp_path / "log.csv"
    log.write_text("not read: the name is checked first\n")
    with pytest.raises(SystemExit) as ended:
        main([str(log), "--name", "storm"])
    assert ended.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--name" in err[0] and "shipped scenario" in err[0]
    assert not (tmp_path / "home" / "conf" / "scenario" / "storm.yaml").exists()
