"""A sweep job that fails, fails alone: its reason in ``error.txt``, and the sweep goes on.

Under every launcher (basic, joblib, Ray, submitit) a job's exception would otherwise travel back
to the driver: the basic sweeper stops at the first one, joblib and Ray must unpickle it, Ray
retries it, submitit re-raises it in another shape. So inside a sweep the task function never
raises an ``Exception``: :func:`sweep_job` writes the one-line reason (the same line a single run
prints) into the job's ``error.txt`` — and, for an error that is not bad input, the traceback into
``traceback.txt`` beside it — and returns a plain marker. The report names each failed job and its
reason; :func:`sweep_exit_code` tells the driver that some failed.

Workers never see ``HYDRA_FULL_ERROR``: they decide nothing by it, and the driver drops it from
the environment before the launcher starts them (:class:`~sim.report.callback.ReportCallback`).
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.cli.errors import BAD_INPUT, EXIT_FAILED, describe_error
from sim.io.safe import path_name, write_text
from sim.report import callback
from sim.report.sweep import ERROR_FILE, OUTCOME_FILES, TRACEBACK_FILE

NAME_KEYS = ("scenario.name", "routing.name", "monitoring.name")  # parts of run dirs' names
FAILED_KEY = "ordertwin_failed"  # the marker a failed job returns instead of its KPIs
T = TypeVar("T")


def in_sweep_job() -> bool:
    """True inside a job of a Hydra multirun (in the driver or a worker process)."""
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def one_line_reason(err: BaseException) -> str:
    """What a single run would print after ``ordertwin: error:``, or the error's type and line."""
    if isinstance(err, BAD_INPUT):
        return describe_error(err)
    text = str(err).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


def record_failure(run_dir: Path, err: BaseException) -> str:
    """Write ``error.txt`` (one line) and, for an unexpected error, ``traceback.txt``."""
    reason = one_line_reason(err)
    write_text(run_dir / ERROR_FILE, reason + "\n", root=run_dir)
    if not isinstance(err, BAD_INPUT):
        trace = "".join(traceback.format_exception(type(err), err, err.__traceback__))
        write_text(run_dir / TRACEBACK_FILE, trace, root=run_dir)
    return reason


def clear_outcome(run_dir: Path) -> None:
    """Remove what an earlier job in this folder (a sweep rerun into the same ``hydra.sweep.dir``)
    left to say how it ended — ``kpis.json``, ``error.txt``, ``interrupted.txt`` — so this job's
    folder says only how this job ends (links are removed, never followed)."""
    for name in OUTCOME_FILES:
        (run_dir / name).unlink(missing_ok=True)


def sweep_job(task: Callable[[DictConfig], T]) -> Callable[[DictConfig], T | dict[str, Any]]:
    """Wrap a Hydra task function: in a sweep, a failing job records its reason and returns."""

    @functools.wraps(task)
    def wrapper(cfg: DictConfig) -> T | dict[str, Any]:
        if not in_sweep_job():
            return task(cfg)
        run_dir = Path(HydraConfig.get().runtime.output_dir)
        clear_outcome(run_dir)
        try:
            return task(cfg)
        except Exception as err:  # noqa: BLE001 - recorded in the job dir; the sweep goes on
            reason = record_failure(run_dir, err)
            print(f"ordertwin: job failed: {reason}", flush=True)
            return {FAILED_KEY: reason}

    return wrapper


def sweep_exit_code(prog: str = "ordertwin") -> int:
    """0 after a single run or a sweep whose jobs all finished; else one line and exit code 1."""
    outcome = callback.last_sweep()
    if outcome is None or not outcome.failed:
        return 0
    print(
        f"{prog}: error: {outcome.failed} of {outcome.total} jobs failed; their reasons: "
        f"ordertwin-report {outcome.sweep_dir} (or error.txt in each job dir)",
        file=sys.stderr,
    )
    return EXIT_FAILED


def check_override_names(arguments: Sequence[str]) -> None:
    """Refuse, before Hydra makes any folder, a name override that is not a safe folder-name
    part (``scenario.name=x/../../..``), every value of a swept one included.

    Hydra makes the run or job folder from these names before any ordertwin code runs in the
    job (a callback cannot stop it: Hydra turns a callback's error into a warning).
    """
    candidates = [a for a in arguments if "=" in a and not a.startswith("-")]
    if not any(a.lstrip("+~").split("=", 1)[0] in NAME_KEYS for a in candidates):
        return
    try:
        parsed = OverridesParser.create().parse_overrides(candidates)
    except HydraException:
        return  # Hydra reports its own grammar errors, in one line too
    for override in parsed:
        if override.key_or_group not in NAME_KEYS:
            continue
        values = (
            list(override.sweep_string_iterator())
            if override.is_sweep_override()
            else [override.get_value_element_as_str()]
        )
        for value in values:
            path_name(override.key_or_group, value)
