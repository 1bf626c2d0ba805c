"""One line for the user when a command's input is bad, and the exit codes every command shares.

Every ``ordertwin*`` command ends bad input (a config key out of range, an unknown scenario, a
malformed order log) with one line, ``PROG: error: <full key or file position>: expected ...``,
and exit code 2; a check that ran and failed (a backtest KPI, say) exits 1. Hydra and OmegaConf
wrap the real problem in several layers; :func:`describe_error` digs out the full key and what was
expected.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from typing import Any, NoReturn

import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig
from omegaconf.errors import (
    ConfigAttributeError,
    ConfigKeyError,
    MissingMandatoryValue,
    OmegaConfBaseException,
    ValidationError,
)

from scenarios.errors import ConfigError, OrderLogError, SnapshotError, unknown_key, yaml_error
from sim.config.compose import group_options

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
BAD_INPUT = (
    ConfigError,
    OrderLogError,
    SnapshotError,
    OmegaConfBaseException,
    HydraException,
    yaml.YAMLError,
)


# Hydra's wrappers around an OmegaConf error name the override; the OmegaConf error names the key
# (relative to the new value when the override replaces a whole node).
_OVERRIDE_PATTERNS = (
    re.compile(r"^Error merging override (?P<override>.+)$"),
    re.compile(r"^Could not override '(?P<key>[^']+)'"),
    re.compile(r"^Could not append to config\. An item is already at '(?P<key>[^']+)'"),
)
_APPEND_HINT = re.compile(r"To append to your config use \+(?P<override>.+)$", re.MULTILINE)
_AMBIGUOUS = re.compile(r"^Ambiguous value for argument '(?P<key>[^=']+)=(?P<value>[^']*)'")
_CONVERT = re.compile(r"^Value '(?P<value>.*)' of type '\w+' could not be converted to (?P<to>\w+)")
_TYPE_NAMES = {"Float": "a number", "Integer": "an integer", "String": "a string"}
_ASSIGNED = re.compile(
    r"^Invalid (?:type|value) assigned: (?P<got>\w+) is not a (?:subclass of )?(?P<to>[\w, ]+?)\."
)


def _override_key(override: str) -> str:
    return override.lstrip("+~").split("=", 1)[0]


def _dotted(key: str) -> str:
    return re.sub(r"\[(\d+)\]", r".\1", key)


def _override_value(override: str | None) -> Any:
    """The value an override assigns (lists and mappings as Python data), or None."""
    if not override or "=" not in override:
        return None
    try:
        return OverridesParser.create().parse_override(override).value()
    except (HydraException, ValueError, TypeError):
        return None


def _place(key: str, value: Any, bad: Any) -> str:
    """Where the relative ``key`` sits in an override's ``value``: ``[i].key`` in a list (the
    element holding that key, with the bad value if known), ``.key`` in a mapping."""
    first = re.split(r"[.\[]", key, maxsplit=1)[0]
    if isinstance(value, dict):
        return f".{key}"
    if isinstance(value, list):
        holders = [i for i, v in enumerate(value) if isinstance(v, dict) and first in v]
        exact = [i for i in holders if bad is not None and str(value[i][first]) == str(bad)]
        if exact or holders:
            return f"[{(exact or holders)[0]}].{key}"
    return f"[...].{key}"


def _full_key(
    key: str | None, context: str | None, value: Any = None, bad: Any = None
) -> str | None:
    """The fullest key: OmegaConf's, placed under the overridden key if it is relative to it."""
    if not context:
        return key
    if not key or key == context or key.startswith((context + ".", context + "[")):
        return key or context
    if _dotted(key) == _dotted(context) or _dotted(key).startswith(_dotted(context) + "."):
        return key  # the same key, written with [0] where the override wrote .0
    parts = context.split(".")
    if key in parts:  # the error is about a node on the override's path
        return ".".join(parts[: parts.index(key) + 1])
    return f"{context}.{key}" if context.endswith("]") else f"{context}{_place(key, value, bad)}"


def _describe_omegaconf(
    err: OmegaConfBaseException, context: str | None, override: str | None = None
) -> str:
    msg = (getattr(err, "msg", None) or str(err)).splitlines()[0].strip()
    value = getattr(err, "value", None)
    converted_value = _CONVERT.match(msg)
    bad = value if value is not None else (converted_value["value"] if converted_value else None)
    key = _full_key(getattr(err, "full_key", None), context, _override_value(override), bad)
    key = key or "config"
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
    override: str | None = None  # the override itself, where Hydra's message gives it
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ConfigError | OrderLogError | SnapshotError):
            return str(cause)
        if isinstance(cause, yaml.YAMLError):
            return str(yaml_error(cause))
        if isinstance(cause, MissingConfigException) and cause.missing_cfg_file:
            group, _, choice = cause.missing_cfg_file.rpartition("/")
            if group:
                expected = group_options(cause.options or [], group)
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
            return _describe_omegaconf(cause, context, override)
        first_line = str(cause).splitlines()[0] if str(cause) else ""
        for pattern in _OVERRIDE_PATTERNS:
            found = pattern.match(first_line)
            if found and context is None:
                groups = found.groupdict()
                context = groups.get("key") or _override_key(groups["override"])
                append = _APPEND_HINT.search(str(cause))
                override = groups.get("override") or (append["override"] if append else None)
        ambiguous = _AMBIGUOUS.match(first_line)
        if ambiguous:
            return str(
                ConfigError(
                    _override_key(ambiguous["key"]),
                    "one value (a sweep over several needs -m; a list is written [a,b])",
                    ambiguous["value"],
                )
            )
        if first_line.startswith("Could not append to config") and context:
            return (
                f"{context}: expected a new key after '+', got one that exists "
                "(drop the '+' to set it, or use '++' to add or override)"
            )
        cause = cause.__cause__ or cause.__context__
    flat = " ".join(str(err).split())
    return f"{context}: {flat}" if context and not flat.startswith(context) else flat


def print_error(prog: str, err: BaseException) -> int:
    """Print ``PROG: error: ...`` in one line on stderr; returns :data:`EXIT_BAD_INPUT`."""
    print(f"{prog}: error: {describe_error(err)}", file=sys.stderr)
    return EXIT_BAD_INPUT


def fail(prog: str, err: BaseException) -> NoReturn:
    """:func:`print_error`, then exit with :data:`EXIT_BAD_INPUT`."""
    sys.exit(print_error(prog, err))
