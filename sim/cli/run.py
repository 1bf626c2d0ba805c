"""The ``ordertwin`` command (also ``python -m sim``): one Hydra run, or a sweep with ``-m``.

Before Hydra runs anything, :func:`main` composes the config from the command line and validates
it (:func:`sim.config.precheck.precheck`), so a rejected run leaves no run folder behind. The
Hydra entry point is thin: it turns the composed config into plain data and calls
:func:`sim.runner.run_from_config`, which validates, builds the world and the policies, simulates
and writes the run files. Errors in the user's input end with one line naming the key and a
non-zero exit (:mod:`sim.cli.errors`); set ``HYDRA_FULL_ERROR=1`` to see the traceback instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import hydra
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from sim.cli.errors import BAD_INPUT, fail
from sim.cli.sweep_jobs import check_override_names, in_sweep_job, sweep_exit_code, sweep_job
from sim.cli.sweep_stop import stop_sweep
from sim.config.compose import check_choices
from sim.config.precheck import precheck
from sim.config.store import register_configs
from sim.engine.kpis import BY_KEY, SUMMARY
from sim.report import callback
from sim.runner import run_from_config

SUMMARY_KPIS = tuple((k, BY_KEY[k].label, BY_KEY[k].fmt) for k in SUMMARY)  # the registry's


def kpi_table(kpis: Mapping[str, float]) -> str:
    width = max(len(label) for _, label, _ in SUMMARY_KPIS)
    lines = []
    for key, label, fmt in SUMMARY_KPIS:
        value = kpis.get(key)
        shown = "n/a" if value is None or value != value else fmt.format(value)
        lines.append(f"  {label:<{width}}  {shown:>12}")
    return "\n".join(lines)


@hydra.main(version_base="1.3", config_path="pkg://sim.conf", config_name="config")
@sweep_job  # in a sweep, a failing job leaves error.txt and the other jobs go on
def hydra_app(cfg: DictConfig) -> dict[str, float]:
    output_dir = HydraConfig.get().runtime.output_dir
    # Bad input found here (inside Hydra's job) ends the process here too: left to Hydra, it
    # would print an extra "Error executing job with overrides" line before our one line.
    with one_line_errors():
        check_group_choices()
        container = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
        assert isinstance(container, dict)
        plain = {str(k): v for k, v in container.items()}
        kpis = run_from_config(plain, output_dir)
    print(
        f"ordertwin: {cfg.scenario.name} / routing={cfg.routing.name} / "
        f"monitoring={cfg.monitoring.name} / seed={cfg.seed}"
    )
    print(kpi_table(kpis))
    print(f"  run dir: {output_dir}")
    return kpis


def check_group_choices() -> None:
    """Every chosen config of a group exists (Hydra skips a missing ``optional`` one silently)."""
    if GlobalHydra.instance().is_initialized():
        hydra_cfg = HydraConfig.get()
        check_choices(
            hydra_cfg.runtime.choices,
            GlobalHydra.instance().config_loader(),
            list(hydra_cfg.overrides.task),
        )


_show_traceback: bool | None = None  # set by main() from the user's HYDRA_FULL_ERROR


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn bad input into one line on stderr and exit code 2, unless a traceback was asked for."""
    try:
        yield
    except BAD_INPUT as err:
        if in_sweep_job():
            raise  # recorded in the job's error.txt by sweep_job; the sweep goes on
        show = _show_traceback
        if show is None:
            show = os.environ.get("HYDRA_FULL_ERROR") == "1"
        if show:
            raise
        fail("ordertwin", err)


def main() -> None:
    """Console entry point with one-line errors for bad input."""
    global _show_traceback
    _show_traceback = os.environ.get("HYDRA_FULL_ERROR") == "1"
    os.environ["HYDRA_FULL_ERROR"] = "1"  # let errors reach us instead of Hydra's printer
    register_configs()  # the run schema in Hydra's ConfigStore, before Hydra composes
    try:
        with one_line_errors():
            check_override_names(sys.argv[1:])  # names that become folders: before any folder
            precheck(sys.argv[1:])  # compose and validate before Hydra makes any folder
            hydra_app()
    except KeyboardInterrupt:
        sweep = callback.started_sweep()
        if sweep is None:
            print("ordertwin: interrupted (the run dir has no kpis.json)", file=sys.stderr)
        else:  # the launcher has given up: mark what did not finish, build no report
            print(stop_sweep(sweep).line(), file=sys.stderr)
        sys.exit(130)
    finally:
        if not _show_traceback:
            os.environ.pop("HYDRA_FULL_ERROR", None)
    failed = sweep_exit_code()  # 1, and one line, if jobs of a sweep failed
    if failed:
        sys.exit(failed)


if __name__ == "__main__":
    main()
