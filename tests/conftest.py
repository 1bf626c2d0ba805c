"""Session-wide test settings."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Learned-router models trained by tests go to a temporary cache, not results/."""
    old = os.environ.get("ORDERTWIN_MODEL_CACHE")
    os.environ["ORDERTWIN_MODEL_CACHE"] = str(tmp_path_factory.mktemp("models"))
    yield
    if old is None:
        os.environ.pop("ORDERTWIN_MODEL_CACHE", None)
    else:
        os.environ["ORDERTWIN_MODEL_CACHE"] = old
