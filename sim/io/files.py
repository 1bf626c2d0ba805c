"""Helpers shared by the file writers: JSON without NaN, and several files replaced together."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any

from sim.io.safe import temp_path


def json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as None (JSON has no NaN), mappings keyed by strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def write_all(files: dict[Path, str]) -> None:
    """Write each file under a temporary name first, then rename them all into place; if any
    write fails, every temporary file is removed and no file is replaced. No symbolic link is
    written through (a planted one is refused)."""
    with contextlib.ExitStack() as stack:
        for path, text in files.items():
            tmp = stack.enter_context(temp_path(path))
            tmp.write_text(text, encoding="utf-8")
