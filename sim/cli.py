"""The ``ordertwin`` command (also ``python -m sim``): one Hydra run, or a sweep with ``-m``.

The Hydra entry point is thin: it turns the composed config into plain data and calls
:func:`run_from_config`, which validates, builds the world and the policies, simulates and writes
the run files. Errors in the user's input end with one line naming the key and a non-zero exit;
set ``HYDRA_FULL_ERROR=1`` to see the traceback instead.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import hydra
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import (
    ConfigAttributeError,
    ConfigKeyError,
    MissingMandatoryValue,
    OmegaConfBaseException,
    ValidationError,
)
from tqdm import tqdm

from scenarios.build import build
from sim.config.compose import load_policies
from sim.config.store import register_configs
from sim.config.validate import ConfigError, unknown_key, validate
from sim.engine import run
from sim.export import write_order_log
from sim.output import write_run

EXIT_BAD_INPUT = 2
BAD_INPUT = (ConfigError, OmegaConfBaseException, HydraException)
SUMMARY_KPIS = (
    ("orders_created", "orders created (after warm-up)", "{:,.0f}"),
    ("orders_delivered", "delivered", "{:,.0f}"),
    ("orders_open", "open at horizon", "{:,.0f}"),
    ("orders_cancelled", "cancelled", "{:,.0f}"),
    ("on_time_rate", "on-time rate", "{:.1%}"),
    ("delivery_time_mean_h", "delivery time, mean (h)", "{:.1f}"),
    ("delivery_time_p90_h", "delivery time, p90 (h)", "{:.1f}"),
    ("cost_per_order", "cost per order (USD)", "{:.2f}"),
    ("nps", "NPS proxy", "{:+.1f}"),
    ("return_rate", "return rate", "{:.1%}"),
)

register_configs()


def kpi_table(kpis: Mapping[str, float]) -> str:
    width = max(len(label) for _, label, _ in SUMMARY_KPIS)
    lines = []
    for key, label, fmt in SUMMARY_KPIS:
        value = kpis.get(key)
        shown = "n/a" if value is None or value != value else fmt.format(value)
        lines.append(f"  {label:<{width}}  {shown:>12}")
    return "\n".join(lines)


def run_from_config(cfg: Mapping[str, Any], output_dir: str | Path) -> dict[str, float]:
    """Validate, build, simulate and write one run; returns its KPIs."""
    validate(cfg)
    world = build(cfg["scenario"])
    routing, monitoring = load_policies(dict(cfg), world)
    horizon_days = float(cfg["horizon_days"])
    progress_bar = None
    if cfg.get("progress", False):
        progress_bar = tqdm(
            total=round(horizon_days),
            unit="sim-day",
            leave=False,
            disable=None,  # only on a terminal
            desc=f"{world.name}/{routing.name}/{monitoring.name}",
        )

    def advance(day: float) -> None:
        if progress_bar is not None:
            progress_bar.update(round(day) - progress_bar.n)

    try:
        result = run(
            world,
            routing,
            monitoring,
            seed=int(cfg["seed"]),
            horizon_days=horizon_days,
            warmup_days=float(cfg["warmup_days"]),
            timeseries_interval_h=float(cfg["timeseries_interval_h"]),
            progress=advance if progress_bar is not None else None,
        )
    finally:
        if progress_bar is not None:
            progress_bar.close()
    if cfg.get("export", {}).get("order_log", False):  # before kpis.json marks the run done
        write_order_log(result, cfg["export"], int(cfg["seed"]), output_dir)
    write_run(result, output_dir)
    return result.kpis


@hydra.main(version_base="1.3", config_path="pkg://sim.conf", config_name="config")
def hydra_app(cfg: DictConfig) -> dict[str, float]:
    output_dir = HydraConfig.get().runtime.output_dir
    # Bad input found here (inside Hydra's job) ends the process here too: left to Hydra, it
    # would print an extra "Error executing job with overrides" line before our one line.
    with one_line_errors():
        check_group_choices()
        container = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
        assert isinstance(container, dict)
        plain = {str(k): v for k, v in container.items()}
        kpis = run_from_config(plain, output_dir)
    print(
        f"ordertwin: {cfg.scenario.name} / routing={cfg.routing.name} / "
        f"monitoring={cfg.monitoring.name} / seed={cfg.seed}"
    )
    print(kpi_table(kpis))
    print(f"  run dir: {output_dir}")
    return kpis


def check_group_choices() -> None:
    """Every chosen config of a group exists (Hydra skips a missing ``optional`` one silently)."""
    if not GlobalHydra.instance().is_initialized():
        return
    loader = GlobalHydra.instance().config_loader()
    for group, choice in HydraConfig.get().runtime.choices.items():
        if choice is None or group.startswith("hydra/"):
            continue
        path = group.split("@", 1)[0]  # "routing@routing.control": the group is routing
        parent, _, name = f"{path}/{choice}".rpartition("/")
        if name not in loader.get_group_options(parent):
            raise ConfigError(group, _options(loader.get_group_options(path), path), choice)


def _options(options: Sequence[str], group: str) -> str:
    if not options:
        return f"a config in conf/{group}/ (there is none)"
    return f"one of {', '.join(options)}"


# Hydra's wrappers around an OmegaConf error name the override; the OmegaConf error names the key
# (relative to the new value when the override replaces a whole node).
_OVERRIDE_PATTERNS = (
    re.compile(r"^Error merging override (?P<override>\S+)"),
    re.compile(r"^Could not override '(?P<key>[^']+)'"),
    re.compile(r"^Could not append to config\. An item is already at '(?P<key>[^']+)'"),
)
_CONVERT = re.compile(r"^Value '(?P<value>.*)' of type '\w+' could not be converted to (?P<to>\w+)")
_TYPE_NAMES = {"Float": "a number", "Integer": "an integer", "String": "a string"}
_ASSIGNED = re.compile(
    r"^Invalid (?:type|value) assigned: (?P<got>\w+) is not a (?:subclass of )?(?P<to>[\w, ]+?)\."
)


def _override_key(override: str) -> str:
    return override.lstrip("+~").split("=", 1)[0]


def _full_key(key: str | None, context: str | None) -> str | None:
    """The fullest key: OmegaConf's, placed under the overridden key if it is relative to it."""
    if not context:
        return key
    if not key or key == context or key.startswith((context + ".", context + "[")):
        return key or context
    parts = context.split(".")
    if key in parts:  # the error is about a node on the override's path
        return ".".join(parts[: parts.index(key) + 1])
    return f"{context}[...].{key}" if not context.endswith("]") else f"{context}.{key}"


def _describe_omegaconf(err: OmegaConfBaseException, context: str | None) -> str:
    msg = (getattr(err, "msg", None) or str(err)).splitlines()[0].strip()
    key = _full_key(getattr(err, "full_key", None), context) or "config"
    value = getattr(err, "value", None)
    parent = getattr(err, "parent_node", None)
    object_type = getattr(err, "object_type", None)
    if isinstance(err, ConfigKeyError | ConfigAttributeError) and (
        "not in" in msg or "is not in struct" in msg
    ):
        name = str(getattr(err, "key", None) or key.rsplit(".", 1)[-1])
        if dataclasses.is_dataclass(object_type):
            known = [f.name for f in dataclasses.fields(object_type)]
            return str(unknown_key(key, name, known))
        known = [str(k) for k in parent] if isinstance(parent, DictConfig) else []
        expected = f"an existing key (one of {', '.join(known)})" if known else "an existing key"
        return str(ConfigError(key, expected, name, f"to add a key, use +{key}=..."))
    if isinstance(err, MissingMandatoryValue):
        missing = msg.removeprefix("Missing mandatory value:").strip() or key
        return f"{missing}: expected a value, got none (this key is required)"
    if isinstance(err, ValidationError):
        converted = _CONVERT.match(msg)
        if converted:
            to = converted["to"]
            expected = _TYPE_NAMES.get(to, f"a {to.lower()}")
            return str(ConfigError(key, expected, converted["value"]))
        if "is not a valid bool" in msg:
            return str(ConfigError(key, "true or false", value))
        if "is not Optional" in msg:
            return str(ConfigError(key, "a value (this key cannot be null)", "null"))
        assigned = _ASSIGNED.match(msg)
        if assigned and assigned["got"] == "dict" and "ListConfig" not in assigned["to"]:
            return (
                f"{key}: expected an existing entry, got a new one (a new {assigned['to']} "
                "cannot be added on the command line; put it in a scenario YAML)"
            )
        if assigned:
            to = assigned["to"]
            expected = "a list" if "ListConfig" in to else f"a {to} (a mapping of its keys)"
            return str(ConfigError(key, expected, value))
    return f"{key}: {msg}"


def describe_error(err: BaseException) -> str:
    """One line for the user: the full key and what was expected."""
    context: str | None = None  # the key of the override Hydra was applying
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ConfigError):
            return str(cause)
        if isinstance(cause, MissingConfigException) and cause.missing_cfg_file:
            group, _, choice = cause.missing_cfg_file.rpartition("/")
            if group:
                expected = _options(cause.options or [], group)
                return str(ConfigError(group, expected, choice))
        if isinstance(cause, OverrideParseException):
            detail = " ".join(cause.message.splitlines()[:1])
            override = cause.override or ""
            if override and "=" in override:
                key, _, value = override.partition("=")
                return str(
                    ConfigError(
                        _override_key(key),
                        f"a value in Hydra's override grammar ({detail})",
                        value,
                        "see https://hydra.cc/docs/1.2/advanced/override_grammar/basic",
                    )
                )
            return f"{override or 'override'}: expected key=value, got no '='"
        if isinstance(cause, OmegaConfBaseException):
            return _describe_omegaconf(cause, context)
        first_line = str(cause).splitlines()[0] if str(cause) else ""
        for pattern in _OVERRIDE_PATTERNS:
            found = pattern.match(first_line)
            if found and context is None:
                groups = found.groupdict()
                context = groups.get("key") or _override_key(groups["override"])
        if first_line.startswith("Could not append to config") and context:
            return (
                f"{context}: expected a new key after '+', got one that exists "
                "(drop the '+' to set it, or use '++' to add or override)"
            )
        cause = cause.__cause__ or cause.__context__
    flat = " ".join(str(err).split())
    return f"{context}: {flat}" if context and not flat.startswith(context) else flat


_show_traceback: bool | None = None  # set by main() from the user's HYDRA_FULL_ERROR


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn bad input into one line on stderr and exit code 2, unless a traceback was asked for."""
    try:
        yield
    except BAD_INPUT as err:
        show = _show_traceback
        if show is None:
            show = os.environ.get("HYDRA_FULL_ERROR") == "1"
        if show:
            raise
        print(f"ordertwin: error: {describe_error(err)}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def main() -> None:
    """Console entry point with one-line errors for bad input."""
    global _show_traceback
    _show_traceback = os.environ.get("HYDRA_FULL_ERROR") == "1"
    os.environ["HYDRA_FULL_ERROR"] = "1"  # let errors reach us instead of Hydra's printer
    try:
        with one_line_errors():
            hydra_app()
    finally:
        if not _show_traceback:
            os.environ.pop("HYDRA_FULL_ERROR", None)


if __name__ == "__main__":
    main()
