"""The two folders the app may write: the user config folder and the results folder.

Every path the app writes or serves is resolved and checked to lie inside one of them
(:meth:`Folders.inside`), with no symbolic link below the root (``sim.io.safe``): a name typed
in a form never reaches the file system as a path of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scenarios.errors import ConfigError
from sim.config.user_folder import user_conf_dir
from sim.io.safe import check_no_symlinks


@dataclass(frozen=True)
class Folders:
    """Where user scenarios go (``conf``: the user config folder, the one every composition
    reads, so set by ``ORDERTWIN_HOME`` as for the CLI) and where runs, sweeps and now-casts go
    (``results``, in ``work``, the folder the subprocesses run in, as the CLI would)."""

    work: Path

    @property
    def conf(self) -> Path:
        return user_conf_dir()

    @property
    def results(self) -> Path:
        return self.work / "results"

    @classmethod
    def default(cls, work: Path | None = None) -> Folders:
        return cls(work=(work or Path.cwd()).resolve())

    def inside(self, path: Path, root: Path, key: str = "path") -> Path:
        """``path`` resolved, if it lies inside ``root`` with no symbolic link below it."""
        root = root.resolve()
        full = (root / path).resolve() if not Path(path).is_absolute() else Path(path).resolve()
        if full != root and root not in full.parents:
            raise ConfigError(key, f"a path inside {root}", str(path))
        check_no_symlinks(full, root)
        return full
