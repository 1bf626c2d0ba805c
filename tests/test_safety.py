"""Nothing executed, nothing written where it should not be: each refusal of the threat model.

Planted pickles (model cache, ``ORDERTWIN_MODEL_CACHE``, ``routing.model_path``) are never
unpickled — the pickle used would write a marker file if it were; a config ``_target_`` outside
the allowed policies is refused before import; names that become paths are checked; no write
follows a planted symbolic link; report HTML is escaped.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from policies.protocols import RoutingPolicy
from policies.routing.router_model import HASH_KEY, ModelFileError, load_model
from scenarios.errors import ConfigError
from sim.cli.calibrate import main as calibrate_main
from sim.cli.report import main as report_main
from sim.cli.tune import main as tune_main
from sim.config.policy import build_policy
from sim.io import run_files
from sim.io.files import write_all
from sim.io.safe import path_name, write_text
from sim.learning import cache
from sim.tuning.search import Param, TuneOutcome, TuneSpec, write_tuned
from tests.helpers import run_config
from tests.sweep_factory import make_sweep

FIXTURE = Path(__file__).with_name("fixtures") / "predictive_small.npz"
XSS = "<img src=x onerror=alert(1)>"


class _Marker:
    """Unpickling this writes a marker file: the proof that a pickle was executed."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (os.system, (f"touch {self.path}",))


def _plant_pickle(path: Path, marker: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(_Marker(marker)))
    return path


# -- planted pickles


@pytest.mark.parametrize("name", ["model.npz", "model.joblib", "model.pkl"])
def test_planted_pickle_as_model_path_is_refused_unrun(name: str, tmp_path: Path) -> None:
    from sim.config.compose import load_config, load_policies

    marker = tmp_path / "marker"
    planted = _plant_pickle(tmp_path / name, marker)
    with pytest.raises(ConfigError, match=r"^routing\.model_path: expected an ordertwin router"):
        # refused when the config is validated (the model file is read before any run starts)
        load_policies(load_config("routing=predictive", f"routing.model_path={planted}"))
    assert not marker.exists()


def test_planted_pickle_in_the_model_cache_is_never_unpickled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pickle planted under the cache's own file name (ORDERTWIN_MODEL_CACHE), and a .joblib
    beside it: not unpickled; the cache entry is refused and a model trained instead."""
    from sim.config.compose import load_world

    monkeypatch.setenv(cache.MODEL_CACHE_ENV, str(tmp_path / "cache"))
    world = load_world("scenario=mmc")
    path = cache.cache_path(world, (5,), 0.5)
    marker = tmp_path / "marker"
    _plant_pickle(path, marker)
    _plant_pickle(path.with_suffix(".joblib"), marker)
    with pytest.raises(ModelFileError):
        load_model(path)
    trained = []
    monkeypatch.setattr(cache, "train", lambda *a: trained.append(a) or load_model(FIXTURE))
    model = cache.model_for(world, (5,), 0.5)
    assert trained and model.metadata[cache.PROVENANCE_KEY] == cache.cache_key(world, (5,), 0.5)
    assert not marker.exists()
    assert load_model(path).metadata[cache.PROVENANCE_KEY]  # replaced by a real model


def test_model_with_an_object_array_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    with np.load(FIXTURE, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["residual_quantiles_h"] = np.array([_Marker(marker)], dtype=object)
    bad = tmp_path / "objects.npz"
    np.savez(bad, **arrays)
    with pytest.raises(ModelFileError):
        load_model(bad)
    assert not marker.exists()


def test_model_content_hash_is_checked(tmp_path: Path) -> None:
    with np.load(FIXTURE, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    header = json.loads(str(arrays["header"]))
    assert len(header[HASH_KEY]) == 64 and header["metadata"]["training_seeds"]
    arrays["residual_quantiles_h"] = arrays["residual_quantiles_h"] + 1.0  # edited after writing
    edited = tmp_path / "edited.npz"
    np.savez(edited, **arrays)
    with pytest.raises(ModelFileError, match=HASH_KEY):
        load_model(edited)
    assert load_model(FIXTURE).metadata["scenario"] == "baseline"


# -- policy _target_


@pytest.mark.parametrize(
    "target",
    [
        "subprocess.run",
        "os.system",
        "builtins.eval",
        "shutil.rmtree",
        "policies.routing.nearest.__builtins__",
        "policies.routing.rule_language.parse_rules",  # under policies, but not a policy class
        "policies..x",
    ],
)
def test_policy_target_outside_the_allow_list_is_refused(
    target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    imported: list[str] = []
    real_import = __import__("importlib").import_module
    monkeypatch.setattr(
        "importlib.import_module", lambda name, *a: imported.append(name) or real_import(name, *a)
    )
    with pytest.raises(ConfigError, match=r"^routing\._target_: expected"):
        build_policy({"_target_": target, "args": ["touch", "/tmp/x"]}, "routing", RoutingPolicy)
    if not target.startswith("policies."):
        assert imported == []  # refused before import


def test_routing_yaml_naming_subprocess_run_is_refused_unrun(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    conf = tmp_path / "conf" / "routing"
    conf.mkdir(parents=True)
    (conf / "evil.yaml").write_text(
        yaml.safe_dump(
            {"_target_": "subprocess.run", "name": "evil", "args": ["touch", str(marker)]}
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "sim", "--config-dir", str(tmp_path / "conf"), "routing=evil"]
        + ["horizon_days=1", "warmup_days=0.5", f"hydra.run.dir={tmp_path / 'run'}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "ordertwin: error: routing._target_: expected a policy class under policies., or one "
        "registered as an 'ordertwin.policies' entry point (nothing else is imported), got "
        "'subprocess.run'"
    ]
    assert not marker.exists()


def test_registered_entry_point_policy_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.config import policy

    monkeypatch.setattr(
        policy,
        "registered_policies",
        lambda: {"partner": "policies.routing.nearest.NearestRouting"},
    )
    built = build_policy({"_target_": "partner", "name": "nearest"}, "routing", RoutingPolicy)
    assert type(built).__name__ == "NearestRouting"


# -- names that become paths


@pytest.mark.parametrize(
    "name", ["x/../../..", "..", ".hidden", "x\n", "a/b", "", "-rf", "x" * 101]
)
def test_unsafe_path_names_are_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="^key: expected a name"):
        path_name("key", name)


@pytest.mark.parametrize(
    "overrides",
    [
        ["routing.name=../../etc"],
        ["monitoring.name=.x"],
        ["+scenario.name=a/b"],
        ["-m", "scenario.name=ok,x/../y"],
        ["scenario.name=choice(ok,../up)"],
    ],
)
def test_override_names_checked_before_hydra(overrides: list[str]) -> None:
    from sim.cli.sweep_jobs import check_override_names

    with pytest.raises(ConfigError, match=r"^\w+\.name: expected a name"):
        check_override_names(overrides)
    check_override_names(["scenario.name=ok", "routing=rules", "seed=1,2"])


def test_run_with_a_traversing_name_writes_nothing(tmp_path: Path) -> None:
    override = "scenario.name=x/../../.."
    done = subprocess.run(
        [sys.executable, "-m", "sim", override, "horizon_days=1", "warmup_days=0.5"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"ordertwin: error: {override.split('=')[0]}: expected a name")
    assert list(tmp_path.iterdir()) == []


def test_sweep_with_a_traversing_name_writes_nothing(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sim", "-m", "scenario.name=ok,x/../../..", "horizon_days=1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "scenario.name: expected a name" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_tune_name_traversal_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = tune_main(
        ["routing=rules", "--param", "routing.max_detour_zones=int:0:2", "--name", "../.."]
        + ["--out", str(tmp_path / "tuned"), "--trials", "1"]
    )
    assert code == 2 and "--name: expected a name" in capsys.readouterr().err
    assert not (tmp_path / "tuned").exists()


@pytest.mark.parametrize("name", ["x\n", "../x", "x/y"])
def test_calibrate_name_refused(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        calibrate_main(["log.csv", "--name", name, "--out", str(tmp_path / "conf")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--name: expected letters" in err
    assert not (tmp_path / "conf").exists()


# -- symbolic links: refused, never followed


def test_run_files_not_written_through_a_planted_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / run_files.KPIS_FILE).symlink_to(victim)
    result = run_config("horizon_days=1", "warmup_days=0.5", "progress=false")
    with pytest.raises(ConfigError, match="symbolic link"):
        run_files.write_run(result, run_dir)
    assert victim.read_text() == "precious\n"
    assert not list(run_dir.glob("*.tmp"))


def test_write_all_leaves_no_temp_files_and_follows_no_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "b.txt").symlink_to(victim)
    with pytest.raises(ConfigError):
        write_all({tmp_path / "out" / "a.txt": "a", tmp_path / "out" / "b.txt": "b"})
    assert victim.read_text() == "precious\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["b.txt"]


def test_tuned_config_not_written_through_a_planted_folder_link(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "tuned"
    out.mkdir()
    (out / "routing").symlink_to(elsewhere)
    param = Param.parse("routing.max_detour_zones=int:1:4")
    spec = TuneSpec(base=("routing=rules",), params=(param,))
    outcome = TuneOutcome(rows=[{"trial": 0}], best={"routing.max_detour_zones": 3})
    with pytest.raises(ConfigError, match="symbolic link"):
        write_tuned(out, spec, outcome, "t", "# header\n")
    assert not list(elsewhere.iterdir())
    assert not (out / "trials.csv").exists()


def test_folder_link_below_the_root_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "charts").symlink_to(elsewhere)
    with pytest.raises(ConfigError, match="symbolic link"):
        write_text(root / "charts" / "x.png", "x", root)
    assert list(elsewhere.iterdir()) == []


def test_report_not_written_through_planted_links(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = make_sweep(tmp_path / "sweep", {"seed": "1,2"})
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (sweep / "report.html").symlink_to(victim)
    assert report_main([str(sweep)]) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert victim.read_text() == "precious\n"
    (sweep / "report.html").unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(sweep / "charts", ignore_errors=True)
    (sweep / "charts").symlink_to(elsewhere)
    assert report_main([str(sweep)]) == 2
    assert list(elsewhere.iterdir()) == []


def test_model_lock_file_does_not_truncate_through_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    model = tmp_path / "cache" / "m.npz"
    model.parent.mkdir()
    model.with_suffix(".lock").symlink_to(victim)
    with pytest.raises(ConfigError, match="symbolic link"), cache.cache_lock(model):
        pass
    assert victim.read_text() == "precious\n"


def test_model_cache_file_name_is_no_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from dataclasses import replace

    from sim.config.compose import load_world

    monkeypatch.setenv(cache.MODEL_CACHE_ENV, str(tmp_path))
    world = replace(load_world("scenario=mmc"), name="../../x")
    path = cache.cache_path(world, (1,), 1.0)
    assert path.parent == tmp_path and ".." not in path.name


def test_model_cache_key_follows_the_training_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """A model cached by an older ordertwin is not reused after an upgrade changed training."""
    from sim.config.compose import load_world

    world = load_world("scenario=mmc")
    before = cache.cache_key(world, (1, 2), 1.0)
    assert cache.cache_key(world, (1, 2), 1.0) == before
    monkeypatch.setattr(cache, "training_code_digest", lambda: "changed training code")
    assert cache.cache_key(world, (1, 2), 1.0) != before


# -- HTML injection


def test_names_are_escaped_in_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = make_sweep(tmp_path / "sweep", {"seed": "1,2"}, failed=[1])
    for config in sweep.glob("*/.hydra/config.yaml"):
        cfg = yaml.safe_load(config.read_text())
        cfg["scenario"]["name"] = XSS
        cfg["routing"]["name"] = XSS
        config.write_text(yaml.safe_dump(cfg))
    (error,) = sweep.glob("1_*/error.txt")
    error.write_text(f"ConfigError: {XSS}\n")
    assert report_main([str(sweep)]) == 0
    page = (sweep / "report.html").read_text()
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in page.lower()


# -- the other commands' arguments: one line, exit 2, before any work


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--trials", "0"], "--trials: expected an integer from 1"),
        (["--seeds", "0"], "--seeds: expected an integer from 1"),
        (["--jobs", "0"], "--jobs: expected an integer from 1"),
        (["--objective", "nosuch"], "--objective: expected a KPI"),
        (["--at-least", "nps=abc"], "--at-least/--at-most: expected KPI=NUMBER"),
        (["--param", "routing.max_detour_zones=int:5:3"], "expected finite LOW <= HIGH"),
    ],
)
def test_tune_arguments_checked(
    args: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["routing=rules", "--param", "routing.max_detour_zones=int:0:2", "--trials", "1"]
    code = tune_main([*base, "--out", str(tmp_path / "t"), *args])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and words in err, err
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--days", "1e9"], "--days: expected 14 to 3,660 days"),
        (["--days", "nan"], "--days: expected 14 to 3,660 days"),
        (["--seeds", "1", "1"], "--seeds: expected two or more distinct seeds"),
    ],
)
def test_train_arguments_checked(
    args: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.cli.train import main as train_main

    with pytest.raises(SystemExit) as exit_info:
        train_main(["--out", str(tmp_path / "m.npz"), *args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and words in err, err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--warmup-days", "-1"], "--warmup-days: expected a number of days >= 0"),
        (["--warmup-days", "inf"], "--warmup-days: expected a number of days >= 0"),
        (["--replications", "100000"], "--replications: expected 2 to 1000"),
        (["--scenario", "../x"], "--scenario: expected a name"),
    ],
)
def test_backtest_arguments_checked(
    args: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.cli.backtest import main as backtest_main

    with pytest.raises(SystemExit) as exit_info:
        backtest_main(["log.csv", "--scenario", "baseline", *args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and words in err, err
