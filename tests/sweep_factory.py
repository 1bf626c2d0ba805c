"""Build small sweep dirs laid out as Hydra leaves them, from real (short) engine runs.

Faster than the CLI and free of launcher start-up: ``multirun.yaml`` with the sweep's params,
then one dir per job with ``.hydra/config.yaml``, ``.hydra/hydra.yaml`` and the run files; a job
can be made to fail (config but no kpis.json) or to go missing (no dir at all).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import yaml

from sim.io.run_files import write_run
from sim.report.sweep import ERROR_FILE, expected_overrides
from tests.helpers import compose_config, run_config

SHORT = ("horizon_days=2", "warmup_days=1", "progress=false")


def make_sweep(
    root: Path,
    params: Mapping[str, str],
    failed: Collection[int] = (),
    missing: Collection[int] = (),
    extra: tuple[str, ...] = SHORT,
) -> Path:
    """A sweep of every combination of ``params`` (Hydra sweep syntax), jobs numbered in order."""
    root.mkdir(parents=True, exist_ok=True)
    multirun = {"hydra": {"sweeper": {"params": dict(params)}, "overrides": {"task": list(extra)}}}
    (root / "multirun.yaml").write_text(yaml.safe_dump(multirun))
    jobs = expected_overrides(root)
    assert jobs is not None
    for num, overrides in enumerate(jobs):
        if num in missing:
            continue
        cfg = compose_config(*overrides)
        values = dict(o.split("=", 1) for o in overrides)
        run_dir = root / f"{num}_{values.get('scenario', 'baseline')}_{values.get('routing', '')}"
        hydra_dir = run_dir / ".hydra"
        hydra_dir.mkdir(parents=True)
        (hydra_dir / "config.yaml").write_text(yaml.safe_dump(cfg))
        meta = {"hydra": {"job": {"num": num}, "overrides": {"task": list(overrides)}}}
        (hydra_dir / "hydra.yaml").write_text(yaml.safe_dump(meta))
        if num in failed:
            (run_dir / ERROR_FILE).write_text("PolicyError: warehouse 9 does not exist\n")
            continue
        write_run(run_config(*overrides), run_dir)
    return root
