"""``ordertwin-tune``: tune a policy's parameters with optuna, under common random numbers.

Parses the command line into a :class:`~sim.tuning.search.TuneSpec`, runs
:func:`~sim.tuning.search.search`, writes the best config and re-checks it on fresh seeds
(see :mod:`sim.tuning.search` for the method). Exit code 0 with a tuned config, 1 when no trial
met the constraints, 2 for bad input.

    ordertwin-tune routing=value_tiered scenario=storm horizon_days=14 \\
        --param routing.economy_slack_h=float:0:48 --at-least nps=40 \\
        --at-most co2e_kg_per_order=0.3 --trials 30 --out tuned
    ordertwin --config-dir tuned routing=value_tiered_tuned scenario=storm
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from sim.cli.errors import BAD_INPUT, EXIT_FAILED, print_error
from sim.config.compose import load_config
from sim.config.validate import ConfigError
from sim.engine import kpis as registry
from sim.io.safe import path_name
from sim.report.kpis import info
from sim.tuning.search import (
    Bound,
    Evaluator,
    Param,
    TuneSpec,
    Value,
    evaluator,
    fresh_seed_gain,
    search,
    tuned_name,
    write_tuned,
)


def _param(text: str) -> Param:
    try:
        return Param.parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="ordertwin-tune",
        description="Tune parameters with optuna on common random numbers; writes the best "
        "config as config-group YAML files usable with ordertwin --config-dir.",
    )
    parser.add_argument("overrides", nargs="*", help="the config to start from, e.g. routing=rules")
    parser.add_argument(
        "--param",
        type=_param,
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
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not sep or not math.isfinite(number):
                raise ConfigError("--at-least/--at-most", "KPI=NUMBER", text)
            out.append(Bound(kpi, number, at_least))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return tune(args)
    except BAD_INPUT as err:
        return print_error("ordertwin-tune", err)


def check_args(args: argparse.Namespace) -> None:
    """Every option in range before the first trial (ConfigError naming the option)."""
    for option, value, low, high in (
        ("--trials", args.trials, 1, 10_000),
        ("--seeds", args.seeds, 1, 1_000),
        ("--jobs", args.jobs, 1, 1_024),
    ):
        if not low <= value <= high:
            raise ConfigError(option, f"an integer from {low} to {high:,}", value)
    if args.name is not None:
        path_name("--name", args.name)  # it becomes OUT/<group>/<name>.yaml: no ../, no newline
    known = ", ".join(sorted(registry.BY_KEY))
    if registry.kpi(args.objective) is None:
        raise ConfigError("--objective", f"a KPI (one of {known})", args.objective)
    for bound in _bounds(args):
        if registry.kpi(bound.kpi) is None:
            option = "--at-least" if bound.at_least else "--at-most"
            raise ConfigError(option, f"KPI=NUMBER with a KPI (one of {known})", bound.kpi)
    for param in args.param:
        if param.kind == "choice" and not param.choices:
            raise ConfigError(f"--param {param.key}", "at least one choice", "")
        if param.kind != "choice":
            ok = math.isfinite(param.low) and math.isfinite(param.high) and param.low <= param.high
            if not ok or (param.log and param.low <= 0):
                raise ConfigError(
                    f"--param {param.key}",
                    "finite LOW <= HIGH (LOW > 0 with :log)",
                    f"{param.low:g}:{param.high:g}",
                )


def check_modes(args: argparse.Namespace) -> None:
    """A per-mode KPI (``mode_share_<mode>``) as objective or bound must name a mode of the
    scenario tuned: the registry takes any mode name, and a run has only its scenario's."""
    modes = sorted(load_config(*args.overrides)["scenario"]["modes"])
    named = [("--objective", args.objective)]
    named += [("--at-least" if b.at_least else "--at-most", b.kpi) for b in _bounds(args)]
    for option, key in named:
        mode = registry.mode_of(key)
        if mode is not None and mode not in modes:
            raise ConfigError(option, f"a mode of the scenario ({', '.join(modes)})", mode)


def tune(args: argparse.Namespace) -> int:
    check_args(args)
    check_modes(args)
    spec = TuneSpec(
        base=(*args.overrides, "progress=false"),
        params=tuple(args.param),
        objective=args.objective,
        maximize=args.maximize,
        bounds=tuple(_bounds(args)),
        seeds=args.seeds,
        trials=args.trials,
        sampler_seed=args.sampler_seed,
    )
    with evaluator(args.jobs) as evaluate:
        return _tune(args, spec, evaluate)


def _tune(args: argparse.Namespace, spec: TuneSpec, evaluate: Evaluator) -> int:

    def report(number: int, value: float, values: Mapping[str, Value]) -> None:
        print(
            f"ordertwin-tune: trial {number + 1}/{spec.trials}: "
            f"{spec.objective}={value:.4g} {dict(values)}",
            flush=True,
        )

    outcome = search(spec, evaluate, report)
    if outcome.best is None:
        print("ordertwin-tune: no trial met the constraints; loosen them or widen the ranges")
        return EXIT_FAILED
    name = args.name or tuned_name(spec.base, spec.params)
    header = (
        f"# Tuned by ordertwin-tune: {spec.objective}, {spec.seeds} seeds x "
        f"{spec.trials} trials, from: {' '.join(args.overrides) or '(defaults)'}\n"
    )
    for path in write_tuned(args.out, spec, outcome, name, header):
        print(f"ordertwin-tune: wrote {path}")
    print(f"ordertwin-tune: best {spec.objective}={outcome.best_value:.4g} with {outcome.best}")
    if outcome.reference is not None:
        seeds = spec.fresh_seeds
        d = fresh_seed_gain(
            evaluate, spec.base, outcome.reference, outcome.best, seeds, spec.objective
        )
        k = info(spec.objective)
        print(
            f"ordertwin-tune: on fresh seeds {seeds[0]}-{seeds[-1]}, tuned minus untuned "
            f"{k.name}: {k.show_delta(d.mean)} (95% CI {k.show_delta(d.low)} to "
            f"{k.show_delta(d.high)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
