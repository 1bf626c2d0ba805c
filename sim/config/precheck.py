"""Compose and validate what an ``ordertwin`` command line would run, before Hydra runs it.

Hydra creates a run folder (``.hydra/``, ``cli.log``) before the job starts, so a config checked
inside the job leaves that folder behind even when it is refused. :func:`precheck` parses the
command line as Hydra will, composes the config the same way (the packaged configs, a
``--config-dir``, the overrides, an experiment's sweep) and runs every check of
:func:`sim.config.validate.validate`, so that a rejected run leaves nothing on disk.

For a sweep (``-m``, a comma list, an experiment), every job must compose: the launcher composes
each job in the driver, and one that cannot be composed (``+key`` on a policy that already has
the key, a value of the wrong type) stops the whole sweep with Hydra's own message, after the
jobs before it ran. So each distinct job is composed first (jobs differing only by an integer
seed compose alike: one of them stands for all) and the first that fails refuses the sweep in
one line before its folder is made. Then the checks: it validates the first job and, for each
swept key, the first job that changes only that key. If every one of them fails with the same
error, no job could run: the sweep is refused. Otherwise the sweep goes ahead and each job that
fails a check fails on its own (its ``error.txt``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra._internal.hydra import Hydra
from hydra._internal.utils import create_automatic_config_search_path, get_args_parser
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from scenarios.errors import ConfigError
from sim.config.compose import check_choices, check_overrides, plain_config, yaml_errors
from sim.config.validate import validate

CONFIG_PATH = "pkg://sim.conf"
CONFIG_NAME = "config"
_ELSEWHERE = ("help", "hydra_help", "cfg", "info", "shell_completion", "experimental_rerun")
_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def check_composed(cfg: DictConfig, overrides: Sequence[str], loader: Any) -> None:
    """Every check of one composed job config (with its ``hydra`` node)."""
    check_choices(cfg.hydra.runtime.choices, loader, overrides)
    plain = plain_config(cfg)
    check_overrides(overrides, plain)
    validate(plain)


def precheck(argv: Sequence[str]) -> None:
    """Raise the first bad-input error the command line ``argv`` would meet; return if none
    (or if it asks for something other than a run or a sweep: help, ``--cfg``, ``--info``)."""
    if "--version" in argv:
        return
    args = get_args_parser().parse_args(list(argv))
    if any(getattr(args, flag, None) for flag in _ELSEWHERE):
        return
    search_path = create_automatic_config_search_path(None, None, args.config_path or CONFIG_PATH)
    if args.config_dir is not None:
        folder = os.path.abspath(args.config_dir)
        if not os.path.isdir(folder):
            raise ConfigError("--config-dir", "an existing folder", args.config_dir)
        search_path.prepend("command-line", f"file://{folder}", anchor="schema")
    hydra = Hydra.create_main_hydra2(task_name="cli", config_search_path=search_path)
    try:
        with yaml_errors():
            _precheck(hydra, args.config_name or CONFIG_NAME, list(args.overrides), args.multirun)
    finally:
        GlobalHydra.instance().clear()


def _precheck(hydra: Hydra, name: str, overrides: list[str], multirun: bool) -> None:
    loader = hydra.config_loader
    parsed = OverridesParser.create(config_loader=loader).parse_overrides(overrides)
    cfg = hydra.compose_config(
        name,
        overrides,
        run_mode=RunMode.MULTIRUN,
        with_log_configuration=False,
        validate_sweep_overrides=False,
    )
    if not (multirun or cfg.hydra.mode == RunMode.MULTIRUN):
        if any(o.is_sweep_override() for o in parsed):  # Hydra's own error: a sweep needs -m
            hydra.compose_config(
                name, overrides, run_mode=RunMode.RUN, with_log_configuration=False
            )
        check_composed(cfg, overrides, loader)
        return
    if cfg.hydra.sweeper.get("_target_") != _SWEEPER:
        return  # another sweeper: its jobs are its own business
    jobs = _jobs(cfg, overrides, loader)
    extra = list(OmegaConf.to_container(cfg.hydra.overrides.hydra) or [])
    composed: dict[tuple[str, ...], DictConfig] = {}

    def compose(job: list[str]) -> DictConfig:
        if tuple(job) not in composed:
            composed[tuple(job)] = hydra.compose_config(
                name, extra + job, run_mode=RunMode.RUN, with_log_configuration=False
            )
        return composed[tuple(job)]

    for job in _distinct(jobs):  # a job that cannot compose stops the launcher: refuse now
        compose(job)
    errors: list[Exception] = []
    for job in _probes(jobs):
        try:
            check_composed(compose(job), job, loader)
            return  # a job that can run: the sweep goes ahead
        except (ConfigError, HydraException, OmegaConfBaseException) as err:
            errors.append(err)
    if errors and all(str(err) == str(errors[0]) for err in errors):
        raise errors[0]


def _jobs(cfg: DictConfig, overrides: list[str], loader: Any) -> list[list[str]]:
    """The sweep's jobs as the basic sweeper makes them: its params, then the command line."""
    params = cfg.hydra.sweeper.get("params") or {}
    arguments = [f"{k}={v}" for k, v in params.items()] + overrides
    parsed = OverridesParser.create(config_loader=loader).parse_overrides(arguments)
    return [list(job) for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


def _distinct(jobs: list[list[str]]) -> list[list[str]]:
    """One job per distinct override list, an integer ``seed=`` aside (seeds compose alike)."""
    seen: set[tuple[str, ...]] = set()
    out = []
    for job in jobs:
        key = tuple("seed=<int>" if _integer_seed(o) else o for o in job)
        if key not in seen:
            seen.add(key)
            out.append(job)
    return out


def _integer_seed(override: str) -> bool:
    key, _, value = override.partition("=")
    return key == "seed" and value.strip().lstrip("-").isdigit()


def _probes(jobs: list[list[str]]) -> list[list[str]]:
    """The first job, then for each swept key the first job that changes only that key."""
    if not jobs:
        return []
    base = jobs[0]
    probes = [base]
    for i in range(len(base)):
        for job in jobs[1:]:
            if job[i] != base[i] and all(job[k] == base[k] for k in range(len(base)) if k != i):
                probes.append(job)
                break
    return probes
