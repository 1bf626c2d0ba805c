"""The user config folder: calibrated scenarios and other user YAML, on Hydra's search path.

``$ORDERTWIN_HOME/conf`` when ``ORDERTWIN_HOME`` is set; otherwise the platform's user config
folder: ``$XDG_CONFIG_HOME/ordertwin/conf`` (default ``~/.config/ordertwin/conf``) on Linux and
macOS, ``%APPDATA%\\ordertwin\\conf`` on Windows. It holds the same groups as the packaged
config (``scenario/NAME.yaml``, ``routing/``, ...). :class:`UserConfSearchPath`, registered with
the run schema (:func:`sim.config.store.register_configs`), appends it to the search path of every
composition of the ordertwin config — the command, ``ordertwin-calibrate``'s template, backtests —
so ``ordertwin scenario=NAME`` finds a calibrated scenario with no ``--config-dir``. It is
appended: a packaged config of the same name wins. The program writes scenarios only here (and
run outputs under ``results/``), never into the installed package.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from hydra.core.config_search_path import ConfigSearchPath
from hydra.plugins.search_path_plugin import SearchPathPlugin

from scenarios.errors import ConfigError

HOME_VARIABLE = "ORDERTWIN_HOME"
PACKAGED = "pkg://sim.conf"
PROVIDER = "ordertwin-user"
SCENARIO_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
SCENARIO_NAME_RULE = "letters, digits, _ or -, starting with a letter (at most 64)"


def user_conf_dir() -> Path:
    """Where user YAML lives (it may not exist yet)."""
    home = os.environ.get(HOME_VARIABLE)
    if home:
        return Path(home).expanduser() / "conf"
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "ordertwin" / "conf"


def shipped_scenarios() -> list[str]:
    """The packaged scenarios (``conf/scenario/*.yaml``), by name."""
    import sim.conf.scenario as packaged

    folder = Path(next(iter(packaged.__path__)))
    return sorted(p.stem for p in folder.glob("*.yaml"))


def check_scenario_name(key: str, name: str) -> None:
    """A name a user scenario can be written under and found by: ``scenario/NAME.yaml``, not a
    shipped scenario's (the folder is appended to the search path, so the packaged one would win
    and ``ordertwin scenario=NAME`` would silently run it instead)."""
    if not SCENARIO_NAME.fullmatch(name):  # match() would let 'x\n' through
        raise ConfigError(key, SCENARIO_NAME_RULE, name)
    if name in shipped_scenarios():
        raise ConfigError(key, "a name that is not a shipped scenario's (it would win)", name)


class UserConfSearchPath(SearchPathPlugin):
    """Appends the user folder to the ordertwin config's search path (other apps: untouched)."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        if not any(element.path == PACKAGED for element in search_path.get_path()):
            return
        folder = user_conf_dir()
        if folder.is_dir():
            search_path.append(provider=PROVIDER, path=f"file://{folder.resolve()}")
