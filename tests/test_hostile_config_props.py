"""Hypothesis properties of the validation layer.

- Random valid configs (small: short horizons, small rates, any shipped scenario and policy) run
  and conserve orders: created = delivered + open + cancelled.
- Random mutations of a valid config (a type swapped, NaN, infinities, negative, zero, tiny or
  huge numbers, a value scaled up or down, an unknown key) either give a clean bad-input error
  (one line naming a key) or a valid run that conserves orders: never another exception, never a
  hang. The mutated config carries tight ``limits``, so whatever the validator admits is tiny.
"""

from __future__ import annotations

import copy
import math
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.build import build
from sim.cli.errors import BAD_INPUT, describe_error
from sim.config.compose import load_config, load_policies
from sim.config.validate import validate
from sim.runner import run_overrides, simulate

TINY_LIMITS = (
    "limits.max_orders=20000",
    "limits.max_events=200000",
    "limits.max_timeseries_rows=20000",
    "limits.max_pickers=500",
    "limits.max_storms=200",
    "limits.min_interval_h=0.01",
)
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run: a CI failure reproduces
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@contextmanager
def no_hang(seconds: int = 60) -> Iterator[None]:
    """Fail instead of hanging: a tiny config that runs longer than this is a bug."""

    def stop(signum: int, frame: Any) -> None:
        raise TimeoutError(f"no result after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def conserved(kpis: dict[str, float]) -> bool:
    return kpis["orders_created"] == (
        kpis["orders_delivered"] + kpis["orders_open"] + kpis["orders_cancelled"]
    )


@given(
    scenario=st.sampled_from(["baseline", "storm", "livestream", "sync_lag", "peak_season"]),
    routing=st.sampled_from(["nearest", "cheapest", "rules", "value_tiered", "pilot"]),
    monitoring=st.sampled_from(["none", "sla_rules", "health_score"]),
    rate=st.floats(0.5, 20.0),
    days=st.floats(0.5, 2.0),
    warmup=st.floats(0.0, 0.9),
    seed=st.integers(0, 2**31),
    wave=st.sampled_from([0.0, 0.05, 0.25, 1.0]),
)
@PROPERTY
def test_random_valid_configs_run_and_conserve(
    scenario: str,
    routing: str,
    monitoring: str,
    rate: float,
    days: float,
    warmup: float,
    seed: int,
    wave: float,
) -> None:
    with no_hang():
        result = run_overrides(
            f"scenario={scenario}",
            f"routing={routing}",
            f"monitoring={monitoring}",
            f"scenario.demand.base_rate_per_h={rate}",
            f"horizon_days={days}",
            f"warmup_days={warmup * days}",
            f"seed={seed}",
            f"scenario.allocation_wave_h={wave}",
            "progress=false",
        )
    assert conserved(result.kpis), result.kpis


@cache
def _base() -> dict[str, Any]:
    return load_config(
        "scenario=livestream",
        "routing=value_tiered",
        "monitoring=health_score",
        "scenario.demand.base_rate_per_h=15",
        "horizon_days=1.5",
        "warmup_days=0.5",
        "progress=false",
        *TINY_LIMITS,
    )


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into the config: mappings and lists, and the values they hold."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))


PATHS = [p for p in _leaves(_base()) if p and p[0] != "limits"]
NASTY = [
    math.nan,
    math.inf,
    -math.inf,
    -1,
    -1.5,
    0,
    0.0,
    1e-300,
    1e300,
    10**30,
    2**63,
    "abc",
    "",
    "???",
    None,
    True,
    [],
    {},
    [1, 2],
    {"x": 1},
]


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, tuple[Any, ...], Any]:
    path = draw(st.sampled_from(PATHS))
    kind = draw(st.sampled_from(["value", "value", "scale", "unknown-key"]))
    if kind == "scale":
        return kind, path, draw(st.sampled_from([1e-6, 0.5, 2.0, 1000.0, 1e6]))
    if kind == "unknown-key":
        return kind, path, draw(st.sampled_from(["typo", "_target_x", "0", "pikers"]))
    return kind, path, draw(st.sampled_from(NASTY))


def _mutate(cfg: dict[str, Any], kind: str, path: tuple[Any, ...], how: Any) -> None:
    node: Any = cfg
    for part in path[:-1]:
        node = node[part]
    last = path[-1]
    if kind == "scale":
        value = node[last]
        if isinstance(value, int | float) and not isinstance(value, bool):
            node[last] = value * how if isinstance(value, float) else round(value * how)
    elif kind == "unknown-key":
        target = node[last]
        if isinstance(target, dict):
            target[how] = 1
        else:
            node[last] = how
    else:
        node[last] = how


@given(mutation=mutations())
@PROPERTY
def test_a_mutated_config_is_refused_cleanly_or_runs(
    mutation: tuple[str, tuple[Any, ...], Any],
) -> None:
    cfg = copy.deepcopy(_base())
    _mutate(cfg, *mutation)
    with no_hang():
        try:
            validate(cfg)
        except BAD_INPUT as err:
            line = describe_error(err)
            assert "\n" not in line and ": expected " in line or "would need" in line, line
            return
        world = build(cfg["scenario"])
        routing, monitoring = load_policies(cfg, world)
        result = simulate(cfg, world, routing, monitoring)
    assert conserved(result.kpis), result.kpis
