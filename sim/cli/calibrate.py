"""``ordertwin-calibrate LOG --name NAME [--out DIR]``: an order log in, a scenario YAML out.

Writes ``DIR/scenario/NAME.yaml`` (default DIR: the user config folder,
:func:`sim.config.user_folder.user_conf_dir`, on ``ordertwin``'s search path, so that ``ordertwin
scenario=NAME`` runs it — never the installed package; with another DIR, ``ordertwin --config-dir
DIR scenario=NAME``) and the fit
report (``fit_report.md``, ``fit.json``, ``rejected_rows.csv``) in ``--report-dir``. Everything is
fitted and validated before the first file is written: a bad log ends with one line naming the
line and column, exit code 2, and no files.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from scenarios.calibration.calibrate import calibrate
from scenarios.calibration.reading import read_options
from sim.cli.errors import BAD_INPUT, fail
from sim.config.compose import load_scenario
from sim.config.user_folder import check_scenario_name, user_conf_dir
from sim.config.validate import ConfigError
from sim.io.calibration_files import write_calibration


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="ordertwin-calibrate",
        description="Fit a scenario to an order log (CSV, parquet or Excel) and report the fit.",
    )
    parser.add_argument("log", help="the order log (see README: 'Your own network')")
    parser.add_argument("--name", required=True, help="scenario name: writes scenario/NAME.yaml")
    parser.add_argument(
        "--out", type=Path, help=f"config folder (default: the user folder, {user_conf_dir()})"
    )
    parser.add_argument("--template", default="baseline", help="scenario name or YAML path")
    parser.add_argument("--report-dir", type=Path, help="default: results/calibration/NAME")
    parser.add_argument("--force", action="store_true", help="overwrite an existing scenario")
    parser.add_argument(
        "--timezone", help="IANA zone of times written without an offset (America/Sao_Paulo)"
    )
    parser.add_argument(
        "--time-format",
        help="strftime pattern of non-ISO times ('%%m/%%d/%%Y %%H:%%M' for 1/31/2018 22:56)",
    )
    parser.add_argument("--encoding", help="a CSV log not saved as UTF-8: latin-1, cp1252...")
    parser.add_argument(
        "--status-map", help="the log's status words: WORD=delivered|open|cancelled,..."
    )
    parser.add_argument("--currency", help="the log's currency: CODE=USD_PER_UNIT (BRL=0.3125)")
    parser.add_argument(
        "--until", help="fit on orders created before this local date (a holdout backtest)"
    )
    return parser.parse_args(argv)


def parse_until(text: str | None) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        return pd.Timestamp.fromisoformat(text)
    except ValueError:
        raise ConfigError("--until", "an ISO date like 2018-01-01", text) from None


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        check_scenario_name("--name", args.name)
        out_dir = args.out if args.out is not None else user_conf_dir()
        target = out_dir / "scenario" / f"{args.name}.yaml"
        if target.exists() and not args.force:
            raise ConfigError(
                "--name", f"a new scenario name ({target} exists; --force)", args.name
            )
        options = read_options(
            args.timezone, args.status_map, args.currency, args.time_format, args.encoding
        )
        until = parse_until(args.until)
        template = load_scenario(args.template)
        cal = calibrate(args.log, args.name, template, args.template, options, until)
    except BAD_INPUT as err:  # a bad log, name or template
        fail("ordertwin-calibrate", err)
    report_dir = args.report_dir or Path("results") / "calibration" / args.name
    report = write_calibration(cal, args.log, args.template, target, report_dir)
    kept, read = cal.report["log"]["orders_kept"], cal.report["log"]["rows_read"]
    print(f"ordertwin-calibrate: {kept:,} of {read:,} rows kept; scenario {args.name}")
    for warning in cal.warnings:
        print(f"  warning: {warning}")
    print(f"  scenario: {target}")
    print(f"  report:   {report}")
    days = cal.report["log"]["period_days"]
    where = f"--config-dir {shlex.quote(str(out_dir))} " if args.out is not None else ""
    print(
        f"  run it:   ordertwin {where}scenario={args.name}   (from the log's first day, "
        f"{cal.scenario['start_date']}, for the default horizon_days; a later start: "
        "scenario.start_date=YYYY-MM-DD)"
    )
    period = "the log's period" if until is None else f"the fitted period, before {args.until}"
    print(
        f"  {period} ({days} days from hour 0): ordertwin {where}scenario={args.name} "
        f"horizon_days={days} warmup_days=0"
    )
    print(f"  backtest: {backtest_command(args)}")


def backtest_command(args: argparse.Namespace) -> str:
    """The backtest of what was just fitted, with the reading options the log needed (a user
    would otherwise find each one missing from a one-line refusal)."""
    words = ["ordertwin-backtest", args.log, "--scenario", args.name]
    if args.out is not None:
        words += ["--config-dir", str(args.out)]
    for option in ("timezone", "time_format", "encoding", "status_map", "currency"):
        value = getattr(args, option)
        if value is not None:
            words += [f"--{option.replace('_', '-')}", value]
    if args.until is not None:
        words += ["--holdout-from", args.until]
    return " ".join(shlex.quote(str(w)) for w in words)


if __name__ == "__main__":
    main()
