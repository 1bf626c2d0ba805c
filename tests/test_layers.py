"""Layers run one way, checked on what a fresh interpreter really loads.

import-linter (``.importlinter``, run in CI) checks the import graph; these check the effect a
user feels: the engine never loads Hydra, OmegaConf, pandas or matplotlib, and the config layer
never loads SimPy.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import sim.engine

HEAVY_FOR_ENGINE = ("pandas", "hydra", "omegaconf", "matplotlib")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nimport json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in json.loads(out.stdout.strip().splitlines()[-1])}


def engine_modules() -> list[str]:
    return sorted(f"sim.engine.{m.name}" for m in pkgutil.iter_modules(sim.engine.__path__))


def test_every_engine_module_loads_no_hydra_pandas_or_matplotlib() -> None:
    modules = engine_modules()
    assert "sim.engine.simulation" in modules and "sim.engine.contract" in modules
    loaded = _loaded_after("\n".join(f"import {m}" for m in modules))
    assert "simpy" in loaded  # the imports really ran
    assert not loaded & set(HEAVY_FOR_ENGINE), sorted(loaded & set(HEAVY_FOR_ENGINE))


def test_config_layer_loads_no_simpy() -> None:
    loaded = _loaded_after("import sim.config")
    assert "omegaconf" in loaded or "scenarios" in loaded  # the import really ran
    assert "simpy" not in loaded


def test_the_check_would_see_a_heavy_import() -> None:
    """The probe is not blind: importing pandas on purpose shows up."""
    assert "pandas" in _loaded_after("import sim.engine.contract\nimport pandas")
