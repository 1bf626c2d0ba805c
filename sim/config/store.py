"""Registers the run schema in Hydra's ConfigStore (``conf/config.yaml`` lists it first)."""

from __future__ import annotations

from hydra.core.config_store import ConfigStore

from sim.config.schema import RunConf

SCHEMA_NAME = "ordertwin_schema"


def register_configs() -> None:
    ConfigStore.instance().store(name=SCHEMA_NAME, node=RunConf)
