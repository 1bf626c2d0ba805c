"""Hand learned policies their models before a run: loaded from ``model_path`` or trained.

Policies never train or load on their own: this is where a configured ``model_path`` is read
(safely, arrays only) and where a missing model is trained on the network *as policies know
it* (no scripted storms) and cached, through :mod:`sim.learning`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from policies.routing.router_model import ModelFileError, load_model
from scenarios.errors import ConfigError
from scenarios.world import World
from sim.engine.contract import CompositePolicy, LearnedPolicy, public_world
from sim.learning import model_for


def _policies(policy: Any, key: str) -> Iterator[tuple[Any, str]]:
    """The policy and, for a composite, its parts (depth first) with their config keys."""
    yield policy, key
    if isinstance(policy, CompositePolicy):
        for part, built in policy.attached().items():
            yield from _policies(built, f"{key}.{part}")


def provide_models(policy: Any, world: World, key: str = "routing") -> None:
    """Give every learned policy in ``policy`` its model (loading or training as configured)."""
    for one, where in _policies(policy, key):
        if not isinstance(one, LearnedPolicy):
            continue
        if one.model_path is not None:
            path = Path(one.model_path)
            if not path.is_file():
                raise ConfigError(f"{where}.model_path", "an existing model file", one.model_path)
            try:
                model = load_model(path)
            except ModelFileError as err:
                raise ConfigError(
                    f"{where}.model_path", "an ordertwin router model file", str(err)
                ) from None
        else:
            seeds, days = one.model_request()
            model = model_for(public_world(world), seeds, days)
        one.use_model(model)
