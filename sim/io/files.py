"""Helpers shared by the file writers: JSON without NaN, and several files replaced together."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


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
    """Write each file under a temporary name first, then rename them all into place."""
    temps = []
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text)
        temps.append((tmp, path))
    for tmp, path in temps:
        tmp.replace(path)
