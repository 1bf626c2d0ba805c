"""The project's input errors, at the bottom of the import graph.

:class:`ConfigError` (a config value out of range or inconsistent) and :class:`OrderLogError` (a
file not in the order-log format) live here so that scenarios, which validates scenario configs
and reads order logs, needs nothing from ``sim``, while ``sim``, the policies and the commands
raise and catch the very same types. ``sim.config.validate`` re-exports ``ConfigError``.

Every error carries its parts as fields (``key``, ``expected``, ``got``), so that a form can show
the problem beside the field, and pickles as itself (``__reduce__``), so that a sweep worker
(joblib, Ray, submitit) can send it back to the driver.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """A config value out of range or inconsistent; ``key`` is the full dotted key."""

    def __init__(self, key: str, expected: str, got: Any = None, hint: str = "") -> None:
        self.key = key
        self.expected = expected
        self.got = got
        self.hint = hint
        shown = "" if got is None else f", got {got!r}"
        note = f" ({hint})" if hint else ""
        super().__init__(f"{key}: expected {expected}{shown}{note}")

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:  # pickles across sweep workers
        return (type(self), (self.key, self.expected, self.got, self.hint))


class BudgetError(ConfigError):
    """A run that would need more than a ``limits.*`` key allows, checked before allocating.

    ``key`` is the limit (``limits.max_orders``), ``got`` the estimate and ``cause`` the key that
    asks for most of it (``scenario.demand.base_rate_per_h``), so the user can lower that or raise
    the limit.
    """

    def __init__(self, key: str, what: str, limit: float, got: float, cause: str = "") -> None:
        self.what = what
        self.limit = limit
        self.cause = cause
        super().__init__(key, f"at most {limit:,.0f} {what}", got)
        because = f", mostly from {cause}" if cause else ""
        self.args = (
            f"{key}: this run would need ~{_round(got)} {what}, above the limit of "
            f"{limit:,.0f}{because}; raise {key} if you mean it",
        )

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return (type(self), (self.key, self.what, self.limit, self.got, self.cause))


def _round(n: float) -> str:
    """An estimate, readable: 45,100,000 or 4.7e+13."""
    if n >= 1e12:
        return f"{n:.2g}"
    digits = max(len(f"{int(n):d}") - 3, 0)
    return f"{round(n, -digits):,.0f}"


def unknown_key(key: str, name: str, known: Iterable[str]) -> ConfigError:
    """The error for a key that its schema does not have, with a close match if there is one."""
    names = list(known)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else ""
    return ConfigError(key, f"a known key (one of {', '.join(names)})", name, hint)


def yaml_error(err: yaml.YAMLError) -> ConfigError:
    """A YAML syntax error or duplicate key in a config file, as ``file:line: expected ...``."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = " ".join(str(getattr(err, "problem", None) or err).split())
    if mark is None:
        return ConfigError("config file", "valid YAML", None, problem)
    path = Path(str(mark.name))
    with contextlib.suppress(ValueError):  # shown relative to the working folder when inside it
        path = path.relative_to(Path.cwd())
    where = f"{path}:{mark.line + 1}"
    if problem.startswith("found duplicate key"):
        duplicate = problem.removeprefix("found duplicate key").strip()
        return ConfigError(where, "each key once in a mapping", duplicate, "a duplicate key")
    return ConfigError(where, "valid YAML", None, problem)


class OrderLogError(ValueError):
    """The log is not in the order-log format; the message names the line and column."""

    def __init__(self, path: str | Path, where: str, problem: str) -> None:
        self.path = str(path)
        self.where = where
        self.problem = problem
        super().__init__(f"{path}: {where}: {problem}")

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:  # pickles across sweep workers
        return (type(self), (self.path, self.where, self.problem))


class SnapshotError(ValueError):
    """A state snapshot not in the snapshot format; the message names the file, row and column."""

    def __init__(self, path: str | Path, where: str, problem: str) -> None:
        self.path = str(path)
        self.where = where
        self.problem = problem
        super().__init__(f"{path}: {where}: {problem}" if where else f"{path}: {problem}")

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:  # pickles across sweep workers
        return (type(self), (self.path, self.where, self.problem))
