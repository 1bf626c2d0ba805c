"""``ordertwin-tune``: tune a policy's parameters with optuna, under common random numbers.

Every trial runs the same seeds, so trials differ only by their parameters; the objective is the
mean of a KPI over those seeds (cost per order by default), subject to floors or ceilings on
other KPIs (an NPS floor, say), handled as optuna constraints. The untuned config runs first as
the reference. The winner is then re-run with the reference on fresh seeds, because the best of
many trials on the same seeds flatters itself, and the paired difference is printed with its CI.
The best config is written as a config-group YAML a planner can use with ``--config-dir``.

    ordertwin-tune routing=value_tiered scenario=storm horizon_days=14 \\
        --param routing.economy_slack_h=float:0:48 --at-least nps=40 --trials 30 --out tuned
    ordertwin --config-dir tuned routing=value_tiered_tuned scenario=storm
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import yaml

from sim.config.compose import load_config, load_policies
from sim.config.validate import ConfigError
from sim.report.kpis import info
from sim.report.stats import paired_difference

Value = float | int | str


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
            raise argparse.ArgumentTypeError(
                "expected KEY=float:LOW:HIGH[:log], KEY=int:LOW:HIGH or KEY=choice:A,B; "
                f"got {text!r}"
            ) from None

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


def run_kpis(overrides: Sequence[str]) -> dict[str, float]:
    """Compose, build and simulate one run (no files); its KPIs."""
    from scenarios.build import build
    from sim.engine import run

    cfg = load_config(*overrides)
    routing, monitoring = load_policies(cfg)
    result = run(
        build(cfg["scenario"]),
        routing,
        monitoring,
        seed=int(cfg["seed"]),
        horizon_days=float(cfg["horizon_days"]),
        warmup_days=float(cfg["warmup_days"]),
        timeseries_interval_h=float(cfg["timeseries_interval_h"]),
    )
    return result.kpis


Evaluator = Callable[[Sequence[Sequence[str]]], list[dict[str, float]]]


def evaluator(jobs: int) -> Evaluator:
    """Runs a batch of override lists, on ``jobs`` processes when more than one."""
    if jobs <= 1:
        return lambda batch: [run_kpis(o) for o in batch]
    pool = ProcessPoolExecutor(max_workers=jobs)
    return lambda batch: list(pool.map(run_kpis, batch))


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


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="ordertwin-tune",
        description="Tune parameters with optuna on common random numbers; writes the best "
        "config as config-group YAML files usable with ordertwin --config-dir.",
    )
    parser.add_argument("overrides", nargs="*", help="the config to start from, e.g. routing=rules")
    parser.add_argument(
        "--param",
        type=Param.parse,
        action="append",
        required=True,
        help="KEY=float:LOW:HIGH[:log] | KEY=int:LOW:HIGH | KEY=choice:A,B",
    )
    parser.add_argument("--objective", default="cost_per_order", help="KPI to optimise")
    parser.add_argument("--maximize", action="store_true", help="maximise (default: minimise)")
    parser.add_argument("--at-least", action="append", default=[], metavar="KPI=VALUE")
    parser.add_argument("--at-most", action="append", default=[], metavar="KPI=VALUE")
    parser.add_argument("--seeds", type=int, default=3, help="replications per trial (1..N)")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel")
    parser.add_argument("--sampler-seed", type=int, default=0)
    parser.add_argument("--name", help="name of the tuned config (default: <policy>_tuned)")
    parser.add_argument("--out", type=Path, default=Path("results/tuned"))
    return parser.parse_args(argv)


def _bounds(args: argparse.Namespace) -> list[Bound]:
    out = []
    for texts, at_least in ((args.at_least, True), (args.at_most, False)):
        for text in texts:
            kpi, sep, value = text.partition("=")
            if not sep:
                raise ConfigError("--at-least/--at-most", "KPI=VALUE", text)
            out.append(Bound(kpi, float(value), at_least))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return tune(args)
    except ConfigError as err:
        print(f"ordertwin-tune: error: {err}", file=sys.stderr)
        return 2


def tune(args: argparse.Namespace) -> int:
    base = [*args.overrides, "progress=false"]
    params: list[Param] = args.param
    bounds = _bounds(args)
    seeds = list(range(1, args.seeds + 1))
    check_seeds = [1000 + s for s in seeds]
    evaluate = evaluator(args.jobs)
    rows: list[dict[str, Any]] = []

    def objective(trial: optuna.Trial) -> float:
        values = {p.key: p.suggest(trial) for p in params}
        per_seed = evaluate([trial_overrides(base, values, s) for s in seeds])
        means = seed_means(per_seed, [args.objective, *(b.kpi for b in bounds)])
        violations = [b.violation(means) for b in bounds]
        trial.set_user_attr("constraints", violations)
        for bound, violation in zip(bounds, violations, strict=True):
            trial.set_constraint(f"{bound.kpi}", violation)
        rows.append(
            {
                "trial": trial.number,
                **values,
                **{b.kpi: means[b.kpi] for b in bounds},
                args.objective: means[args.objective],
                "feasible": all(b.violation(means) <= 0 for b in bounds),
            }
        )
        print(
            f"ordertwin-tune: trial {trial.number + 1}/{args.trials}: "
            f"{args.objective}={means[args.objective]:.4g} {values}",
            flush=True,
        )
        return means[args.objective]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=args.sampler_seed)
    study = optuna.create_study(
        direction="maximize" if args.maximize else "minimize", sampler=sampler
    )
    reference = defaults_of(base, params)
    if reference is not None:
        study.enqueue_trial(dict(reference))
    study.optimize(objective, n_trials=args.trials)
    feasible = [t for t in study.trials if all(c <= 0 for c in t.user_attrs["constraints"])]
    if not feasible:
        print("ordertwin-tune: no trial met the constraints; loosen them or widen the ranges")
        return 1
    pick = max if args.maximize else min
    best = pick(feasible, key=lambda t: float(t.value if t.value is not None else math.nan))
    best_values = {p.key: best.params[p.key] for p in params}
    group = params[0].key.split(".")[0]
    name = args.name or f"{load_config(*base)[group].get('name', group)}_tuned"
    args.out.mkdir(parents=True, exist_ok=True)
    for group, node in best_config_yaml(base, best_values, name).items():
        path = args.out / group / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        header = (
            f"# Tuned by ordertwin-tune: {args.objective}, {len(seeds)} seeds x "
            f"{args.trials} trials, from: {' '.join(args.overrides) or '(defaults)'}\n"
        )
        path.write_text(header + yaml.safe_dump(node, sort_keys=False))
        print(f"ordertwin-tune: wrote {path}")
    pd.DataFrame(rows).to_csv(args.out / "trials.csv", index=False)
    print(f"ordertwin-tune: best {args.objective}={best.value:.4g} with {best_values}")
    if reference is not None:
        _check(evaluate, base, reference, best_values, check_seeds, args.objective)
    return 0


def _check(
    evaluate: Evaluator,
    base: Sequence[str],
    reference: Mapping[str, Value],
    best: Mapping[str, Value],
    seeds: Sequence[int],
    kpi: str,
) -> None:
    """Best vs untuned on fresh seeds, paired: an honest estimate of the gain."""
    batch = [trial_overrides(base, v, s) for v in (best, reference) for s in seeds]
    results = evaluate(batch)
    tuned = [r[kpi] for r in results[: len(seeds)]]
    untuned = [r[kpi] for r in results[len(seeds) :]]
    d = paired_difference(tuned, untuned).interval
    k = info(kpi)
    print(
        f"ordertwin-tune: on fresh seeds {seeds[0]}-{seeds[-1]}, tuned minus untuned {k.name}: "
        f"{k.show_delta(d.mean)} (95% CI {k.show_delta(d.low)} to {k.show_delta(d.high)})"
    )


if __name__ == "__main__":
    sys.exit(main())
