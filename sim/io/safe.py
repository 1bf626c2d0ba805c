"""Writing files safely: names that become paths, no symbolic links followed, temp files cleaned.

Threat model (README): a run or sweep folder handed to ``ordertwin-report``, a cache folder, and
paths from environment variables are untrusted. So every name that becomes a path component is
checked (:func:`path_name`), every write goes to a temporary file in the target folder that is
renamed into place (:func:`write_bytes`, :func:`temp_path`) and removed if anything fails, and no
existing path component below the folder being written (the sweep dir, the run dir, the cache)
may be a symbolic link (:func:`check_no_symlinks`): a planted link is refused, never followed.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from scenarios.errors import ConfigError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+=-]{0,99}$")
NAME_RULE = "a name of letters, digits, _ . + = or - (at most 100, not starting with . or -)"
TEMP_SUFFIX = ".tmp"  # temp_path's files: ".<name>.<random>.tmp" beside their target


def path_name(key: str, name: object) -> str:
    """``name`` if it is safe as one path component (no ``/``, ``..``, newline, leading dot)."""
    text = str(name)
    if not NAME.fullmatch(text) or ".." in text:  # match() would let "x\n" through
        raise ConfigError(key, NAME_RULE, text)
    return text


def check_no_symlinks(path: Path, root: Path | None = None) -> None:
    """Refuse if ``path`` or any existing folder between ``root`` and it is a symbolic link.

    ``root`` itself (a folder the user named) may be reached through links; what is below it is
    found on disk and untrusted. Without ``root``, only ``path`` itself is checked.
    """
    path = Path(path)
    parts: list[Path] = [path]
    if root is not None:
        root = Path(root)
        try:
            relative = path.relative_to(root)
        except ValueError:
            raise ConfigError(str(path), f"a path inside {root}", str(path)) from None
        parts = [root.joinpath(*relative.parts[: i + 1]) for i in range(len(relative.parts))]
    for part in parts:
        try:
            mode = os.lstat(part).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            raise ConfigError(
                str(part),
                "a real file or folder, not a symbolic link (refusing to write through it)",
                os.readlink(part),
            )


def make_dirs(folder: Path, root: Path | None = None) -> Path:
    """``mkdir -p`` that refuses to pass through a symbolic link below ``root``."""
    folder = Path(folder)
    check_no_symlinks(folder, root)
    folder.mkdir(parents=True, exist_ok=True)
    check_no_symlinks(folder, root)  # a link planted while we made it
    return folder


@contextlib.contextmanager
def temp_path(path: Path, root: Path | None = None) -> Iterator[Path]:
    """A fresh temporary file beside ``path`` (O_EXCL, never a link), renamed onto ``path`` when
    the block ends; removed, with ``path`` untouched, if the block fails or is interrupted."""
    path = Path(path)
    make_dirs(path.parent, root)
    check_no_symlinks(path, root)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are shareable
        os.replace(tmp, path)  # replaces a link planted meanwhile; never writes through one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def is_temp_file(path: Path) -> bool:
    """A temporary file :func:`temp_path` makes: what a process killed mid-write leaves behind
    (it never gets to remove it)."""
    return path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX) and not path.is_symlink()


def write_bytes(path: Path, data: bytes, root: Path | None = None) -> Path:
    with temp_path(path, root) as tmp:
        tmp.write_bytes(data)
    return path


def write_text(path: Path, text: str, root: Path | None = None) -> Path:
    return write_bytes(path, text.encode("utf-8"), root)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
