"""The project's input errors, at the bottom of the import graph.

:class:`ConfigError` (a config value out of range or inconsistent) and :class:`OrderLogError` (a
file not in the order-log format) live here so that scenarios, which validates scenario configs
and reads order logs, needs nothing from ``sim``, while ``sim``, the policies and the commands
raise and catch the very same types. ``sim.config.validate`` re-exports ``ConfigError``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any


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


def unknown_key(key: str, name: str, known: Iterable[str]) -> ConfigError:
    """The error for a key that its schema does not have, with a close match if there is one."""
    names = list(known)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else ""
    return ConfigError(key, f"a known key (one of {', '.join(names)})", name, hint)


class OrderLogError(ValueError):
    """The log is not in the order-log format; the message names the line and column."""

    def __init__(self, path: str | Path, where: str, problem: str) -> None:
        self.path = str(path)
        self.where = where
        self.problem = problem
        super().__init__(f"{path}: {where}: {problem}")

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:  # pickles across sweep workers
        return (type(self), (self.path, self.where, self.problem))
