"""Session-wide test settings."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# environment variable -> temporary folder name: what tests write (and read) stays there
TEMPORARY_FOLDERS = {
    "ORDERTWIN_MODEL_CACHE": "models",  # learned-router models trained by tests, not results/
    "ORDERTWIN_HOME": "home",  # the user config folder: never the real user's scenarios
}


@pytest.fixture(scope="session", autouse=True)
def temporary_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    old = {name: os.environ.get(name) for name in TEMPORARY_FOLDERS}
    for name, folder in TEMPORARY_FOLDERS.items():
        os.environ[name] = str(tmp_path_factory.mktemp(folder))
    yield
    for name, value in old.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
