"""Packaging: the Hydra config ships inside the package and is found wherever ordertwin is run.

``conf/`` is mapped onto the package ``sim.conf`` in pyproject.toml and the app loads
``pkg://sim.conf``. Here a wheel is built from a clean copy of the source tree and installed into
a folder of its own, which is then run from an unrelated directory with the checkout and the
editable install out of sight (``python -I -S`` and an explicit ``sys.path``: the venv's
site-packages hold an editable finder that would otherwise still reach the checkout). The
editable install (the venv running these tests) is run from an unrelated directory too, and for
both, ``--config-dir`` must still add a user's own scenarios next to the packaged ones.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import re
import shutil
import site
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from omegaconf import OmegaConf

pytestmark = pytest.mark.slow  # builds a wheel and starts a dozen processes: ~15-20 s in all

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("sim", "scenarios", "policies")  # the top-level import packages the wheel ships
ENTRY_POINT = ("ordertwin", "sim.cli.run:main")
RUN_ARGS = ("horizon_days=1", "warmup_days=0.2", "progress=false")
RUN_FILES = ("kpis.json", "orders.parquet", "timeseries.parquet")
TIMEOUT_S = 300

# Not copied into the tree the wheel is built from: at the top level, build output, run output and
# virtual environments; anywhere, VCS data and caches.
TOP_LEVEL_SKIP = {"build", "dist", "results", "outputs", "multirun", ".venv", ".ci-venv"}
ANYWHERE_SKIP = shutil.ignore_patterns(".git", "__pycache__", ".*_cache", "*.egg-info")


def _ignore(directory: str, names: list[str]) -> set[str]:
    skip = set(ANYWHERE_SKIP(directory, names))
    if Path(directory) == REPO:
        skip |= TOP_LEVEL_SKIP & set(names)
    skip |= {name for name in names if (Path(directory, name) / "pyvenv.cfg").is_file()}
    return skip


def run(cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(cmd), cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )


def check_ok(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 0, (
        f"{' '.join(map(str, proc.args))}\nexited {proc.returncode}\n"
        f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    )


def run_dir(cwd: Path) -> Path:
    """The one complete run dir (it has kpis.json) under ``cwd/results``, with its run files."""
    dirs = [p.parent for p in (cwd / "results").rglob("kpis.json")]
    assert len(dirs) == 1, f"expected one run dir with kpis.json under {cwd}/results, got {dirs}"
    for name in RUN_FILES:
        path = dirs[0] / name
        assert path.is_file() and path.stat().st_size > 0, f"{path} missing or empty"
    kpis = json.loads((dirs[0] / "kpis.json").read_text())
    assert kpis["orders_created"] > 0
    return dirs[0]


@dataclass(frozen=True)
class Install:
    """How to start ordertwin from one installation."""

    name: str
    python_m_sim: tuple[str, ...]  # `python -m sim`
    console_script: tuple[str, ...]  # `ordertwin`
    env: dict[str, str]


@dataclass(frozen=True)
class Built:
    src: Path  # the clean copy the wheel was built from
    wheel: Path
    site: Path  # where the wheel was installed (pip install --target)
    install: Install


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["HYDRA_FULL_ERROR"] = "1"  # a traceback rather than one line, should a run fail here
    return env


def _pip(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "pip", "--no-input", *args], cwd, _base_env())


def _dependency_dirs() -> list[str]:
    """Where this interpreter finds the third-party dependencies (hydra, simpy, ...)."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return dirs


def _isolated(site_dir: Path, code: str) -> tuple[str, ...]:
    """``python -c code`` that sees ``site_dir``, the stdlib and the dependencies, nothing else.

    ``-I -S``: no PYTHONPATH, no current directory on ``sys.path`` and no ``.pth`` files, so
    neither the checkout nor the editable install's finder can supply a module.
    """
    prelude = f"import sys; sys.path[:0] = [{str(site_dir)!r}]; sys.path += {_dependency_dirs()!r}"
    return (sys.executable, "-I", "-S", "-c", f"{prelude}\n{code}")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build a wheel from a clean copy of the repo (as `pip install .` does), install it apart."""
    if importlib.util.find_spec("pip") is None:
        pytest.skip("pip is not installed in this interpreter")
    root = tmp_path_factory.mktemp("packaging")
    src = root / "src"
    shutil.copytree(REPO, src, ignore=_ignore)
    dist = root / "dist"
    # Offline and quick if this env already meets [build-system] requires; otherwise the build
    # runs in an isolated env, exactly as a plain `pip install .` does.
    attempts = (
        ["--no-build-isolation", "--check-build-dependencies"],
        [],
    )
    failures = []
    for extra in attempts:
        proc = _pip(["wheel", "--no-deps", *extra, "-w", str(dist), str(src)], root)
        if proc.returncode == 0:
            break
        failures.append(f"$ {' '.join(proc.args)}\n{proc.stdout}\n{proc.stderr}")
    else:
        pytest.fail("could not build the wheel:\n" + "\n".join(failures))
    wheels = list(dist.glob("ordertwin-*.whl"))
    assert len(wheels) == 1, wheels
    site_dir = root / "site"
    check_ok(
        _pip(
            ["install", "--no-deps", "--no-index", "--target", str(site_dir), str(wheels[0])], root
        )
    )
    module, func = ENTRY_POINT[1].split(":")
    install = Install(
        name="installed",
        python_m_sim=_isolated(
            site_dir, "import runpy; runpy.run_module('sim', run_name='__main__', alter_sys=True)"
        ),
        console_script=_isolated(
            site_dir,
            f"import importlib; sys.argv[0] = {ENTRY_POINT[0]!r}\n"
            f"sys.exit(importlib.import_module({module!r}).{func}())",
        ),
        env=_base_env(),
    )
    return Built(src=src, wheel=wheels[0], site=site_dir, install=install)


def editable_install() -> Install:
    """The installation running these tests (``pip install -e .`` in the project's venv)."""
    script = Path(sys.executable).parent / ENTRY_POINT[0]
    assert script.is_file(), f"no {ENTRY_POINT[0]} console script beside {sys.executable}"
    return Install(
        name="editable",
        python_m_sim=(sys.executable, "-m", "sim"),
        console_script=(str(script),),
        env=_base_env(),
    )


@pytest.fixture(params=["editable", "installed"])
def install(request: pytest.FixtureRequest) -> Install:
    if request.param == "editable":
        return editable_install()
    built: Built = request.getfixturevalue("built")
    return built.install


def test_wheel_ships_every_module_config_and_the_entry_point(built: Built) -> None:
    names = set(zipfile.ZipFile(built.wheel).namelist())
    expected = {
        p.relative_to(built.src).as_posix()
        for package in PACKAGES
        for p in (built.src / package).rglob("*.py")
    }
    conf = built.src / "conf"
    expected |= {
        "sim/conf/" + p.relative_to(conf).as_posix()
        for pattern in ("*.py", "*.yaml")
        for p in conf.rglob(pattern)
    }
    expected |= {"sim/conf/config.yaml", "sim/conf/scenario/baseline.yaml"}
    missing = sorted(expected - names)
    assert not missing, (
        "not in the wheel (a package or conf group missing from [tool.setuptools] packages, "
        f"package-dir or package-data in pyproject.toml?): {missing}"
    )
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    parser = configparser.ConfigParser()
    parser.read_string(zipfile.ZipFile(built.wheel).read(entry_points).decode())
    assert parser["console_scripts"][ENTRY_POINT[0]] == ENTRY_POINT[1]


def test_installed_site_holds_the_config_and_the_script(built: Built) -> None:
    for rel in ("sim/conf/__init__.py", "sim/conf/config.yaml", "sim/conf/scenario/baseline.yaml"):
        assert (built.site / rel).is_file(), f"{rel} not installed into {built.site}"
    assert (built.site / "bin" / ENTRY_POINT[0]).is_file()


def test_installed_copy_imports_from_its_own_folder(built: Built, tmp_path: Path) -> None:
    probe = (
        "import json, sim, sim.conf, sim.conf.scenario, sim.cli.run\n"
        "mods = {n: [getattr(m, '__file__', None) or '', *getattr(m, '__path__', [])]\n"
        f"        for n, m in sys.modules.items() if n.split('.')[0] in {PACKAGES!r}}}\n"
        "print(json.dumps(mods))"
    )
    proc = run(_isolated(built.site, probe), tmp_path, built.install.env)
    check_ok(proc)
    modules: dict[str, list[str]] = json.loads(proc.stdout)
    assert {"sim", "sim.conf", "sim.conf.scenario", "sim.cli.run", "scenarios.build"} <= set(
        modules
    )
    assert any(n.startswith("policies") for n in modules)
    site_dir = built.site.resolve()
    outside = [
        (name, path)
        for name, paths in modules.items()
        for path in paths
        if path and not Path(path).resolve().is_relative_to(site_dir)
    ]
    assert not outside, f"imported from outside {site_dir}: {outside}"


def test_installed_python_m_sim_runs_from_an_unrelated_folder(built: Built, tmp_path: Path) -> None:
    proc = run(
        [*built.install.python_m_sim, "scenario=mmc", *RUN_ARGS], tmp_path, built.install.env
    )
    check_ok(proc)
    assert "mmc" in run_dir(tmp_path).name


def test_editable_console_script_runs_from_an_unrelated_folder(tmp_path: Path) -> None:
    install = editable_install()
    proc = run([*install.console_script, "scenario=mmc", *RUN_ARGS], tmp_path, install.env)
    check_ok(proc)
    assert "mmc" in run_dir(tmp_path).name


def test_python_m_sim_help_lists_the_packaged_scenarios(install: Install, tmp_path: Path) -> None:
    proc = run([*install.python_m_sim, "--help"], tmp_path, install.env)
    check_ok(proc)
    assert re.search(r"^scenario:.*\bmmc\b", proc.stdout, re.MULTILINE), proc.stdout


def _scenario_from_config_dir(
    install: Install, cwd: Path, config_dir: str, scenario: str
) -> dict[str, Any]:
    """Run ``--config-dir <config_dir> scenario=<scenario>`` in ``cwd``; the composed scenario."""
    cwd.mkdir(exist_ok=True)
    proc = run(
        [*install.console_script, "--config-dir", config_dir, f"scenario={scenario}", *RUN_ARGS],
        cwd,
        install.env,
    )
    check_ok(proc)
    out = run_dir(cwd)
    assert scenario in out.name
    composed = OmegaConf.to_container(OmegaConf.load(out / ".hydra" / "config.yaml"))
    assert isinstance(composed, dict)
    return composed["scenario"]


def test_config_dir_adds_a_users_own_scenarios(install: Install, tmp_path: Path) -> None:
    user_dir = tmp_path / "my_conf" / "scenario"
    user_dir.mkdir(parents=True)
    # one inheriting a packaged scenario ...
    (user_dir / "my_site.yaml").write_text(
        "defaults:\n  - baseline\n  - _self_\nname: my_site\ndemand:\n  base_rate_per_h: 50.0\n"
    )
    # ... and one standing alone: a full copy of a packaged scenario under another name
    mmc, renamed = re.subn(
        r"^name: mmc$",
        "name: my_mmc",
        (REPO / "conf" / "scenario" / "mmc.yaml").read_text(),
        flags=re.MULTILINE,
    )
    assert renamed == 1, "conf/scenario/mmc.yaml has no `name: mmc` line"
    (user_dir / "my_mmc.yaml").write_text(mmc)
    baseline = OmegaConf.load(REPO / "conf" / "scenario" / "baseline.yaml")

    # an absolute --config-dir, run elsewhere
    my_site = _scenario_from_config_dir(install, tmp_path / "a", str(user_dir.parent), "my_site")
    assert my_site["name"] == "my_site"
    assert my_site["demand"]["base_rate_per_h"] == 50.0
    assert set(my_site["warehouses"]) == set(baseline.warehouses), "baseline not inherited"

    # a relative one, from the folder holding it
    my_mmc = _scenario_from_config_dir(install, tmp_path, "my_conf", "my_mmc")
    assert my_mmc["name"] == "my_mmc"
    assert set(my_mmc["warehouses"]) == {"main"}
