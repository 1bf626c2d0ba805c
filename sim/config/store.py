"""Registers the run schema in Hydra's ConfigStore (``conf/config.yaml`` lists it first) and the
user config folder's search-path plugin (:mod:`sim.config.user_folder`)."""

from __future__ import annotations

from hydra.core.config_store import ConfigStore
from hydra.core.plugins import Plugins

from sim.config.schema import RunConf
from sim.config.user_folder import UserConfSearchPath

SCHEMA_NAME = "ordertwin_schema"


def register_configs() -> None:
    ConfigStore.instance().store(name=SCHEMA_NAME, node=RunConf)
    Plugins.instance().register(UserConfSearchPath)
