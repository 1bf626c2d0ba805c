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
import re
from collections.abc import Sequence
from pathlib import Path

from scenarios.calibration.calibrate import calibrate
from sim.cli.errors import BAD_INPUT, fail
from sim.config.compose import load_scenario
from sim.config.user_folder import user_conf_dir
from sim.config.validate import ConfigError
from sim.io.calibration_files import write_calibration

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


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
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        if not NAME.fullmatch(args.name):  # match() would let 'x\n' through
            raise ConfigError(
                "--name", "letters, digits, _ or -, starting with a letter", args.name
            )
        out_dir = args.out if args.out is not None else user_conf_dir()
        target = out_dir / "scenario" / f"{args.name}.yaml"
        if target.exists() and not args.force:
            raise ConfigError(
                "--name", f"a new scenario name ({target} exists; --force)", args.name
            )
        template = load_scenario(args.template)
        cal = calibrate(args.log, args.name, template, args.template)
    except BAD_INPUT as err:  # a bad log, name or template
        fail("ordertwin-calibrate", err)
    report_dir = args.report_dir or Path("results") / "calibration" / args.name
    report = write_calibration(cal, args.log, args.template, target, report_dir)
    kept, read = cal.report["log"]["orders_kept"], cal.report["log"]["rows_read"]
    print(f"ordertwin-calibrate: {kept:,} of {read:,} rows kept; scenario {args.name}")
    print(f"  scenario: {target}")
    print(f"  report:   {report}")
    if args.out is not None:
        print(f"  run it:   ordertwin --config-dir {out_dir} scenario={args.name}")
    else:
        print(f"  run it:   ordertwin scenario={args.name}")


if __name__ == "__main__":
    main()
