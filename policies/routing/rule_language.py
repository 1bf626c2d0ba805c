"""A small rule language for routing, written in YAML and checked like any config.

A rule set is an ordered list; each rule is ``{name, when: {condition: value, ...}, then:
{action: value, ...}}``. All conditions of ``when`` must hold (an empty ``when`` always holds).

Conditions, evaluated per order and candidate warehouse:

==============================  ======================================================
``region_storm_forecast``       bool: a forecast storm over the order's region would meet
                                the parcel in transit (default mode from this warehouse)
``warehouse_storm_forecast``    bool: a forecast storm over the warehouse would hit its next
                                pickup (default mode)
``backlog_hours_above``         number: warehouse pick backlog per picker on shift (h)
``stock_short``                 bool: the OMS's stock estimate does not cover the order
``service_level``               a level of the scenario's table (``standard``, ``express``)
``vip``                         bool: a high-value customer
``value_above_usd``             number
``margin_below_usd``            number
``zone_above``                  int: carrier zone from the warehouse to the order
==============================  ======================================================

Actions: ``avoid_warehouse: true`` (drop the candidate, unless every candidate is dropped),
``mode: <mode name>`` and ``priority: true`` (to the front of the pick queue: capacity reserved
ahead). ``avoid_warehouse`` rules decide the warehouse (the nearest one left); then, for the
chosen warehouse, the first matching rule that sets ``mode`` or ``priority`` wins for each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from policies.routing.estimates import CandidateEstimates
from scenarios.checks import number
from scenarios.errors import ConfigError
from scenarios.world import World
from sim.engine.contract import OrderBatch

CONDITIONS: dict[str, type] = {
    "region_storm_forecast": bool,
    "warehouse_storm_forecast": bool,
    "backlog_hours_above": float,
    "stock_short": bool,
    "service_level": str,
    "vip": bool,
    "value_above_usd": float,
    "margin_below_usd": float,
    "zone_above": int,
}
ACTIONS: dict[str, type] = {"avoid_warehouse": bool, "mode": str, "priority": bool}


@dataclass(frozen=True)
class Rule:
    name: str
    when: Mapping[str, Any]
    then: Mapping[str, Any]


def _typed(key: str, value: Any, kind: type) -> Any:
    if kind in (float, int):  # a finite number of sane size (an int for zones)
        number(key, value, integer=kind is int)
        return float(value) if kind is float else value
    if not isinstance(value, kind):
        raise ConfigError(key, f"a {kind.__name__}", value)
    return value


def _part(spec: Mapping[str, Any], part: str, rk: str) -> dict[str, Any]:
    value = spec.get(part) or {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{rk}.{part}", "a mapping (name: value)", value)
    return dict(value)


def parse_rules(specs: Sequence[Mapping[str, Any]], key: str = "rules") -> tuple[Rule, ...]:
    """Check a rule set; raise ConfigError naming e.g. ``rules[2].when.backlog_hours_abov``."""
    if not isinstance(specs, list | tuple):  # a string is not walked character by character
        raise ConfigError(key, "a list of rules ({name, when, then})", specs)
    rules = []
    for i, spec in enumerate(specs):
        rk = f"{key}[{i}]"
        if not isinstance(spec, Mapping):
            raise ConfigError(rk, "a mapping with name, when and then", spec)
        unknown = set(spec) - {"name", "when", "then"}
        if unknown:
            raise ConfigError(f"{rk}.{sorted(unknown)[0]}", "only name, when and then")
        if not isinstance(spec.get("name", ""), str):
            raise ConfigError(f"{rk}.name", "a string", spec["name"])
        when, then = _part(spec, "when", rk), _part(spec, "then", rk)
        for cond, value in when.items():
            if cond not in CONDITIONS:
                raise ConfigError(f"{rk}.when.{cond}", f"a condition ({', '.join(CONDITIONS)})")
            when[cond] = _typed(f"{rk}.when.{cond}", value, CONDITIONS[cond])
        if not then:
            raise ConfigError(f"{rk}.then", f"at least one action ({', '.join(ACTIONS)})")
        for action, value in then.items():
            if action not in ACTIONS:
                raise ConfigError(f"{rk}.then.{action}", f"an action ({', '.join(ACTIONS)})")
            then[action] = _typed(f"{rk}.then.{action}", value, ACTIONS[action])
        rules.append(Rule(str(spec.get("name", f"rule_{i}")), when, then))
    return tuple(rules)


def mode_names(rules: Sequence[Rule], key: str = "rules") -> list[tuple[str, str, Any]]:
    """The modes the rules name, as ``(key, "modes", name)`` to check against a scenario."""
    return [
        (f"{key}[{i}].then.mode", "modes", rule.then["mode"])
        for i, rule in enumerate(rules)
        if "mode" in rule.then
    ]


def check_modes(rules: Sequence[Rule], world: World, key: str = "rules") -> None:
    """The modes and service levels the rules name are the scenario's."""
    for i, rule in enumerate(rules):
        level = rule.when.get("service_level")
        if level is not None and level not in world.level_names:
            raise ConfigError(
                f"{key}[{i}].when.service_level",
                f"a service level ({', '.join(world.level_names)})",
                level,
            )
        mode = rule.then.get("mode")
        if mode is not None and mode not in world.mode_names:
            raise ConfigError(
                f"{key}[{i}].then.mode", f"a mode ({', '.join(world.mode_names)})", mode
            )


def holds(
    rule: Rule,
    orders: OrderBatch,
    est: CandidateEstimates,
    view_default_mode: np.ndarray,
    level_names: Sequence[str],
) -> np.ndarray:
    """[order, warehouse]: all of the rule's conditions hold."""
    n, n_wh = est.zone.shape
    ok = np.ones((n, n_wh), dtype=bool)
    for cond, value in rule.when.items():
        if cond == "region_storm_forecast":
            default = view_default_mode[orders.service_level]
            hit = est.storm_at_destination[np.arange(n), :, default]
            ok &= hit == value
        elif cond == "warehouse_storm_forecast":
            hit = est.storm_at_warehouse[:, view_default_mode[orders.service_level]].T
            ok &= hit == value
        elif cond == "backlog_hours_above":
            ok &= (est.backlog_h > value)[None, :]
        elif cond == "stock_short":
            ok &= est.stock_short == value
        elif cond == "service_level":
            ok &= (orders.service_level == list(level_names).index(value))[:, None]
        elif cond == "vip":
            ok &= (orders.vip == value)[:, None]
        elif cond == "value_above_usd":
            ok &= (orders.value_usd > value)[:, None]
        elif cond == "margin_below_usd":
            ok &= (orders.margin_usd < value)[:, None]
        elif cond == "zone_above":
            ok &= est.zone > value
    return ok
