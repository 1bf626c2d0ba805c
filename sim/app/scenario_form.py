"""Forms to and from user scenario YAML: a planner's levers on a shipped or user scenario.

A form is a flat mapping from a field's config key to the value typed (``scenario.demand.
base_rate_per_h``, ``scenario.warehouses.south.pickers``, ...), so that a :class:`ConfigError`
from the project's validator, which names the full key, lands beside its field
(:func:`field_for`). Saving writes ``scenario/NAME.yaml`` in the user config folder: Hydra
defaults on the scenario it was made from plus only the keys that differ, so ``ordertwin
scenario=NAME`` runs it too. It is validated first, by the same checks a run makes
(:func:`sim.config.validate.validate` on the composed config), and composed again from the file
after writing; a file that does not compose is put back as it was.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf

from scenarios.errors import ConfigError
from scenarios.schema import ScenarioConf
from sim.app.folders import Folders
from sim.config.compose import load_config
from sim.config.user_folder import SCENARIO_NAME, check_scenario_name, shipped_scenarios
from sim.config.validate import validate
from sim.io.safe import path_name, write_text

MARKER = "# ordertwin-app: a what-if scenario"
NEW_STORM = "scenario.weather.storms.new"
NEW_BURST = "scenario.demand.bursts.new"
SHIFTS_RULE = "shifts as start+length hours, comma separated, e.g. 6+10.5, 19.5+10.5"

# Hydra's global state is not re-entrant: one composition at a time in this process
_COMPOSE = threading.Lock()


def compose_scenario(name: str) -> dict[str, Any]:
    """The composed scenario ``name`` (packaged or user) as plain data."""
    with _COMPOSE:
        return load_config(f"scenario={name}")["scenario"]


def user_scenarios(folders: Folders) -> list[str]:
    """The user config folder's scenarios (calibrated ones and the app's), by name."""
    folder = folders.conf / "scenario"
    shipped = set(shipped_scenarios())  # a packaged config of the same name wins
    found = folder.glob("*.yaml") if folder.is_dir() else []
    return sorted(
        p.stem for p in found if SCENARIO_NAME.fullmatch(p.stem) and p.stem not in shipped
    )


def scenario_names(folders: Folders) -> list[str]:
    """Every scenario the app offers: the shipped ones, then the user folder's."""
    return shipped_scenarios() + user_scenarios(folders)


def root_of(name: str, folders: Folders) -> str:
    """The scenario a form's save extends: an app scenario's own base, else ``name`` itself."""
    path = folders.conf / "scenario" / f"{name}.yaml"
    if name in shipped_scenarios() or not path.is_file():
        return name
    text = path.read_text(encoding="utf-8")
    if not text.startswith(MARKER):
        return name
    loaded = yaml.safe_load(text) or {}
    defaults = loaded.get("defaults") or []
    return str(defaults[0]) if defaults and isinstance(defaults[0], str) else name


def form_of(scenario: Mapping[str, Any]) -> dict[str, Any]:
    """The levers' values of a composed scenario, by config key."""
    form: dict[str, Any] = {
        "scenario.description": scenario.get("description", ""),
        "scenario.demand.base_rate_per_h": scenario["demand"]["base_rate_per_h"],
        "scenario.inventory.sync_interval_h": scenario["inventory"]["sync_interval_h"],
    }
    for name, w in scenario["warehouses"].items():
        key = f"scenario.warehouses.{name}"
        form[f"{key}.pickers"] = w["pickers"]
        form[f"{key}.shifts"] = shifts_text(w["shifts"])
        form[f"{key}.stock"] = 100.0  # % of the scenario's own stock levels
    for name, level in scenario["service_levels"].items():
        form[f"scenario.service_levels.{name}.promise_h"] = level["promise_h"]
    form.update(
        {
            f"{NEW_STORM}.region": "",
            f"{NEW_STORM}.start": "",
            f"{NEW_STORM}.duration_h": 48.0,
            f"{NEW_STORM}.severity": 0.9,
            f"{NEW_BURST}.name": "",
            f"{NEW_BURST}.start": "",
            f"{NEW_BURST}.duration_h": 4.0,
            f"{NEW_BURST}.peak_multiplier": 20.0,
        }
    )
    return form


def shifts_text(shifts: list[Mapping[str, Any]]) -> str:
    """``6+10.5, 19.5+10.5``; a shift with its own picker count shows it as ``@12``."""
    parts = []
    for s in shifts:
        own = f"@{s['pickers']}" if s.get("pickers") is not None else ""
        parts.append(f"{s['start_h']:g}+{s['length_h']:g}{own}")
    return ", ".join(parts)


def parse_shifts(key: str, text: str) -> list[dict[str, Any]]:
    shifts = []
    for part in filter(None, (p.strip() for p in str(text).split(","))):
        match = re.fullmatch(r"([0-9.]+)\s*\+\s*([0-9.]+)(?:\s*@\s*([0-9]+))?", part)
        if not match:
            raise ConfigError(key, SHIFTS_RULE, text)
        try:
            shift: dict[str, Any] = {"start_h": float(match[1]), "length_h": float(match[2])}
        except ValueError:
            raise ConfigError(key, SHIFTS_RULE, text) from None
        shift["pickers"] = int(match[3]) if match[3] else None
        shifts.append(shift)
    return shifts


def number(key: str, value: Any, kind: type = float) -> Any:
    """A typed number from a form field, or the field's own error."""
    if value is None or value == "":
        raise ConfigError(key, "a number", value)
    try:
        got = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(key, "a whole number" if kind is int else "a number", value) from None
    if kind is int and got != float(value):
        raise ConfigError(key, "a whole number", value)
    return got


def changes(form: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario keys the form sets that differ from ``base`` (the composed root scenario),
    as a nested mapping for the YAML; lists are written whole (Hydra replaces lists)."""
    out: dict[str, Any] = {}

    def put(path: str, value: Any, old: Any) -> None:
        if value == old:
            return
        node = out
        *parents, last = path.split(".")[1:]
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value

    description = str(form.get("scenario.description") or "")
    put("scenario.description", description, base.get("description"))
    rate_key = "scenario.demand.base_rate_per_h"
    put(rate_key, number(rate_key, form[rate_key]), base["demand"]["base_rate_per_h"])
    sync_key = "scenario.inventory.sync_interval_h"
    put(sync_key, number(sync_key, form[sync_key]), base["inventory"]["sync_interval_h"])
    for name, w in base["warehouses"].items():
        key = f"scenario.warehouses.{name}"
        if f"{key}.pickers" not in form:
            continue
        put(f"{key}.pickers", number(f"{key}.pickers", form[f"{key}.pickers"], int), w["pickers"])
        shifts = parse_shifts(f"{key}.shifts", form[f"{key}.shifts"])
        put(f"{key}.shifts", shifts, [dict(s) for s in w["shifts"]])
        share = number(f"{key}.stock", form[f"{key}.stock"]) / 100.0
        if share != 1.0:
            if share <= 0:
                raise ConfigError(f"{key}.stock", "a share of the stock levels > 0 %", share * 100)
            stock = {
                c: {k: max(round(v * share), 0) for k, v in levels.items()}
                for c, levels in w["stock"].items()
            }
            put(f"{key}.stock", stock, None)
    for name, level in base["service_levels"].items():
        key = f"scenario.service_levels.{name}.promise_h"
        if key in form:
            put(key, number(key, form[key]), level["promise_h"])
    storms = [dict(s) for s in base["weather"]["storms"]]
    storm = new_item(form, NEW_STORM, "region", ("duration_h", "severity"))
    if storm:
        put("scenario.weather.storms", [*storms, {**storm, "forecast": True}], storms)
    bursts = [dict(b) for b in base["demand"]["bursts"]]
    burst = new_item(form, NEW_BURST, "name", ("duration_h", "peak_multiplier"))
    if burst:
        put("scenario.demand.bursts", [*bursts, burst], bursts)
    return out


def new_item(
    form: Mapping[str, Any], prefix: str, first: str, numbers: tuple[str, ...]
) -> dict[str, Any] | None:
    """A storm or burst added in the form (None when its ``first`` field is empty): that field,
    a dated ``start`` and its ``numbers``."""
    named = str(form.get(f"{prefix}.{first}") or "")
    if not named:
        return None
    start = str(form.get(f"{prefix}.start") or "")
    if not start:
        raise ConfigError(f"{prefix}.start", "a date (2026-01-15) or local time", start)
    item: dict[str, Any] = {first: named, "start": start}
    for key in numbers:
        item[key] = number(f"{prefix}.{key}", form.get(f"{prefix}.{key}"))
    return item


def merged(base: Mapping[str, Any], overrides: Mapping[str, Any], name: str) -> dict[str, Any]:
    """``base`` with ``overrides`` on top, through the scenario's schema as Hydra merges it (list
    items get their schema's defaults), as plain data."""
    node = OmegaConf.merge(OmegaConf.structured(ScenarioConf), base, overrides, {"name": name})
    plain = OmegaConf.to_container(node, resolve=True)
    assert isinstance(plain, dict)
    return {str(k): v for k, v in plain.items()}


@dataclass(frozen=True)
class Saved:
    name: str
    path: Path
    yaml_text: str


def save(folders: Folders, name: str, edited: str, form: Mapping[str, Any]) -> Saved:
    """Validate the form on scenario ``edited`` and write it as user scenario ``name``.

    Raises :class:`ConfigError` naming the field (``scenario.*`` key, or ``name``) on bad input;
    nothing is written then.
    """
    check_scenario_name("name", str(name))
    path_name("name", name)
    target = folders.inside(Path("scenario") / f"{name}.yaml", folders.conf, "name")
    if target.exists() and not target.read_text(encoding="utf-8").startswith(MARKER):
        raise ConfigError("name", "a new name (a scenario not written by the app exists)", name)
    root = root_of(edited, folders)
    if root == name and edited != name:
        raise ConfigError("name", f"a name other than {edited}'s base", name)
    with _COMPOSE:
        run = load_config(f"scenario={root}")
    base = run["scenario"]
    overrides = changes(form, base)
    run["scenario"] = merged(base, overrides, name)
    validate(run)  # the project's checks, every key named in full
    text = yaml_text(root, name, overrides)
    previous = target.read_text(encoding="utf-8") if target.exists() else None
    write_text(target, text, folders.conf)
    try:
        compose_scenario(name)  # the CLI composes the very file
    except Exception:
        if previous is None:
            target.unlink(missing_ok=True)
        else:
            write_text(target, previous, folders.conf)
        raise
    return Saved(name, target, text)


def yaml_text(root: str, name: str, overrides: Mapping[str, Any]) -> str:
    body = copy.deepcopy(dict(overrides))
    document = {"defaults": [root, "_self_"], "name": name, **body}
    dumped = yaml.safe_dump(document, sort_keys=False, default_flow_style=None, width=100)
    return f"{MARKER} on {root}; run it with: ordertwin scenario={name}\n{dumped}"


def field_for(key: str, fields: list[str]) -> str | None:
    """The form field an error key belongs to: the longest field key it starts with, list
    items (``storms[3].region``) matched to the new item's field."""
    plain = re.sub(r"\[\d+\]", ".new", key)
    best = None
    for field in fields:
        if (plain == field or plain.startswith(field + ".")) and (
            best is None or len(field) > len(best)
        ):
            best = field
    if best is None:  # e.g. scenario.warehouses.south.stock.apparel.initial -> .stock
        for field in fields:
            if key.startswith(field) and (best is None or len(field) > len(best)):
                best = field
    return best
