"""Hand learned policies their models before a run: loaded from ``model_path`` or trained.

Policies never train or load on their own: this is where a configured ``model_path`` is read
(safely, arrays only) and where a missing model is trained on the network *as policies know
it* (no scripted storms) and cached, through :mod:`sim.learning`.
"""

from __future__ import annotations

from typing import Any

from scenarios.world import World
from sim.config.policy import policy_parts, read_model
from sim.engine.contract import LearnedPolicy, public_world
from sim.learning import model_for


def provide_models(policy: Any, world: World, key: str = "routing") -> None:
    """Give every learned policy in ``policy`` its model (loading or training as configured)."""
    for one, where in policy_parts(policy, key):
        if not isinstance(one, LearnedPolicy):
            continue
        if one.model_path is not None:
            model = read_model(one.model_path, f"{where}.model_path")
        else:
            seeds, days = one.model_request()
            model = model_for(public_world(world), seeds, days)
        one.use_model(model)
