"""The README's "Writing a policy" example runs as written (docs examples must not rot)."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import numpy as np
import yaml

from policies.protocols import RoutingPolicy
from sim.config.policy import build_policy
from tests.helpers import run_config, world_of

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_policy_example_plugs_in(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    text = README.read_text()
    code = re.search(r"```python\n# policies/routing/least_busy.py\n(.*?)```", text, re.S)
    conf = re.search(r"```yaml\n# conf/routing/least_busy.yaml\n(.*?)```", text, re.S)
    assert code and conf, "the README lost its policy example"
    module = types.ModuleType("policies.routing.least_busy")
    monkeypatch.setitem(sys.modules, "policies.routing.least_busy", module)
    exec(compile(code.group(1), "README:least_busy", "exec"), module.__dict__)
    policy = build_policy(yaml.safe_load(conf.group(1)), "routing", RoutingPolicy)

    from policies.monitoring.none import NoMonitoring
    from sim.engine import run

    result = run(world_of(), policy, NoMonitoring(), seed=2, horizon_days=3)
    nearest = run_config("seed=2", "horizon_days=3", "warmup_days=1").orders
    o = result.orders
    assert np.array_equal(o["created_h"], nearest["created_h"])
    assert not np.array_equal(o["warehouse"], nearest["warehouse"])  # it routes differently
    assert result.kpis["orders_created"] > 0
