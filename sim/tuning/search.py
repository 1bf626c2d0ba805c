"""Tune config keys with optuna, under common random numbers.

Every trial runs the same seeds, so trials differ only by their parameters; the objective is the
mean of a KPI over those seeds (cost per order by default), subject to floors or ceilings on
other KPIs (an NPS floor, say), handled as optuna constraints. The untuned config runs first as
the reference. The winner is then re-run with the reference on fresh seeds, because the best of
many trials on the same seeds flatters itself (:func:`fresh_seed_gain`). The best config is
written as config-group YAML a planner can use with ``--config-dir`` (:func:`write_tuned`).
The library behind ``ordertwin-tune`` (:mod:`sim.cli.tune` parses and prints).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import yaml

from sim.config.compose import load_config
from sim.io.safe import make_dirs, temp_path, write_text
from sim.report.stats import Interval, paired_difference
from sim.runner import run_overrides

Value = float | int | str
PARAM_FORMS = "KEY=float:LOW:HIGH[:log], KEY=int:LOW:HIGH or KEY=choice:A,B"
FRESH_SEED_OFFSET = 1000  # the re-check runs seeds 1001.. (trials run 1..N)


@dataclass(frozen=True)
class Param:
    """One tuned key and its range: ``float:LOW:HIGH[:log]``, ``int:LOW:HIGH``, ``choice:a,b``."""

    key: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    choices: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Param:
        """``KEY=SPEC``; a ValueError saying the accepted forms when it is not one of them."""
        key, sep, spec = text.partition("=")
        kind, _, rest = spec.partition(":")
        try:
            if not sep or not key:
                raise ValueError
            if kind == "choice":
                return cls(key, kind, choices=tuple(c for c in rest.split(",") if c))
            parts = rest.split(":")
            if kind not in ("float", "int") or len(parts) not in (2, 3):
                raise ValueError
            return cls(key, kind, float(parts[0]), float(parts[1]), log=parts[2:] == ["log"])
        except ValueError:
            raise ValueError(f"expected {PARAM_FORMS}; got {text!r}") from None

    def suggest(self, trial: optuna.Trial) -> Value:
        if self.kind == "float":
            return trial.suggest_float(self.key, self.low, self.high, log=self.log)
        if self.kind == "int":
            return trial.suggest_int(self.key, int(self.low), int(self.high), log=self.log)
        return trial.suggest_categorical(self.key, list(self.choices))


@dataclass(frozen=True)
class Bound:
    """A constraint on a KPI's mean over the seeds: at least or at most ``value``."""

    kpi: str
    value: float
    at_least: bool

    def violation(self, kpis: Mapping[str, float]) -> float:
        """<= 0 when satisfied (optuna's convention)."""
        mean = kpis[self.kpi]
        if not math.isfinite(mean):
            return math.inf  # a KPI the runs could not measure cannot meet a bound
        return self.value - mean if self.at_least else mean - self.value


@dataclass(frozen=True)
class TuneSpec:
    """What to tune: the config to start from, the tuned keys, the objective and constraints."""

    base: tuple[str, ...]  # overrides of the starting config
    params: tuple[Param, ...]
    objective: str = "cost_per_order"
    maximize: bool = False
    bounds: tuple[Bound, ...] = ()
    seeds: int = 3  # replications per trial: seeds 1..N
    trials: int = 20
    sampler_seed: int = 0

    @property
    def trial_seeds(self) -> list[int]:
        return list(range(1, self.seeds + 1))

    @property
    def fresh_seeds(self) -> list[int]:
        return [FRESH_SEED_OFFSET + s for s in self.trial_seeds]


@dataclass
class TuneOutcome:
    rows: list[dict[str, Any]] = field(default_factory=list)  # one per trial, for trials.csv
    best: dict[str, Value] | None = None  # None: no trial met the constraints
    best_value: float = math.nan
    reference: dict[str, Value] | None = None  # the untuned values, when inside the ranges


def run_kpis(overrides: Sequence[str]) -> dict[str, float]:
    """Compose, build and simulate one run (no files); its KPIs."""
    return run_overrides(*overrides).kpis


Evaluator = Callable[[Sequence[Sequence[str]]], list[dict[str, float]]]
TrialReport = Callable[[int, float, Mapping[str, Value]], None]  # number, objective, values


@contextlib.contextmanager
def evaluator(jobs: int) -> Iterator[Evaluator]:
    """Runs a batch of override lists, on ``jobs`` processes when more than one; the processes
    are shut down when the block ends, also on an error or Ctrl-C (no orphaned workers)."""
    if jobs <= 1:
        yield lambda batch: [run_kpis(o) for o in batch]
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        try:
            yield lambda batch: list(pool.map(run_kpis, batch))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _setting(value: Value) -> str:
    return str(value)


def trial_overrides(base: Sequence[str], values: Mapping[str, Value], seed: int) -> list[str]:
    return [*base, *(f"{k}={_setting(v)}" for k, v in values.items()), f"seed={seed}"]


def seed_means(per_seed: Sequence[Mapping[str, float]], keys: Sequence[str]) -> dict[str, float]:
    """Mean of each KPI over the seeds (common random numbers: the same seeds every trial)."""
    return {k: float(np.mean([float(r[k]) for r in per_seed])) for k in keys}


def defaults_of(base: Sequence[str], params: Sequence[Param]) -> dict[str, Value] | None:
    """The untuned values of the tuned keys, when every one lies in its range."""
    cfg = load_config(*base)
    out: dict[str, Value] = {}
    for p in params:
        node: Any = cfg
        for part in p.key.split("."):
            node = node[int(part)] if isinstance(node, list) else node.get(part)
            if node is None:
                return None
        if p.kind == "choice":
            if str(node) not in p.choices:
                return None
            out[p.key] = str(node)
        elif not p.low <= float(node) <= p.high:
            return None
        else:
            out[p.key] = int(node) if p.kind == "int" else float(node)
    return out


def search(spec: TuneSpec, evaluate: Evaluator, report: TrialReport | None = None) -> TuneOutcome:
    """Run the study: the untuned reference first (if in range), then optuna's TPE proposals."""
    outcome = TuneOutcome()
    bounds = spec.bounds

    def objective(trial: optuna.Trial) -> float:
        values = {p.key: p.suggest(trial) for p in spec.params}
        per_seed = evaluate([trial_overrides(spec.base, values, s) for s in spec.trial_seeds])
        means = seed_means(per_seed, [spec.objective, *(b.kpi for b in bounds)])
        violations = [b.violation(means) for b in bounds]
        trial.set_user_attr("constraints", violations)
        for bound, violation in zip(bounds, violations, strict=True):
            trial.set_constraint(f"{bound.kpi}", violation)
        outcome.rows.append(
            {
                "trial": trial.number,
                **values,
                **{b.kpi: means[b.kpi] for b in bounds},
                spec.objective: means[spec.objective],
                "feasible": all(b.violation(means) <= 0 for b in bounds),
            }
        )
        if report is not None:
            report(trial.number, means[spec.objective], values)
        return means[spec.objective]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=spec.sampler_seed)
    study = optuna.create_study(
        direction="maximize" if spec.maximize else "minimize", sampler=sampler
    )
    outcome.reference = defaults_of(spec.base, spec.params)
    if outcome.reference is not None:
        study.enqueue_trial(dict(outcome.reference))
    study.optimize(objective, n_trials=spec.trials)
    feasible = [t for t in study.trials if all(c <= 0 for c in t.user_attrs["constraints"])]
    if feasible:
        pick = max if spec.maximize else min
        best = pick(feasible, key=lambda t: float(t.value if t.value is not None else math.nan))
        outcome.best = {p.key: best.params[p.key] for p in spec.params}
        outcome.best_value = float(best.value if best.value is not None else math.nan)
    return outcome


def tuned_name(base: Sequence[str], params: Sequence[Param]) -> str:
    """``<name>_tuned`` after the config group of the first tuned key (``value_tiered_tuned``)."""
    group = params[0].key.split(".")[0]
    return f"{load_config(*base)[group].get('name', group)}_tuned"


def best_config_yaml(base: Sequence[str], values: Mapping[str, Value], name: str) -> dict[str, Any]:
    """The tuned config groups (routing, monitoring, scenario...) with the best values, renamed."""
    cfg = load_config(*base, *(f"{k}={_setting(v)}" for k, v in values.items()))
    groups = sorted({k.split(".")[0] for k in values})
    out = {}
    for group in groups:
        node = cfg[group]
        if isinstance(node, dict):
            node = dict(node) | {"name": name}
        out[group] = node
    return out


def write_tuned(
    out: Path, spec: TuneSpec, outcome: TuneOutcome, name: str, header: str
) -> list[Path]:
    """``OUT/<group>/<name>.yaml`` per tuned group, then ``OUT/trials.csv``; the YAML paths.

    Each file is written whole or not at all, never through a symbolic link below ``OUT``."""
    assert outcome.best is not None
    make_dirs(out)
    written = []
    for group, node in best_config_yaml(spec.base, outcome.best, name).items():
        path = out / group / f"{name}.yaml"
        write_text(path, header + yaml.safe_dump(node, sort_keys=False), root=out)
        written.append(path)
    with temp_path(out / "trials.csv", root=out) as tmp:
        pd.DataFrame(outcome.rows).to_csv(tmp, index=False)
    return written


def fresh_seed_gain(
    evaluate: Evaluator,
    base: Sequence[str],
    reference: Mapping[str, Value],
    best: Mapping[str, Value],
    seeds: Sequence[int],
    kpi: str,
) -> Interval:
    """Best vs untuned on fresh seeds, paired: an honest estimate of the gain (tuned - untuned)."""
    batch = [trial_overrides(base, v, s) for v in (best, reference) for s in seeds]
    results = evaluate(batch)
    tuned = [r[kpi] for r in results[: len(seeds)]]
    untuned = [r[kpi] for r in results[len(seeds) :]]
    return paired_difference(tuned, untuned).interval
