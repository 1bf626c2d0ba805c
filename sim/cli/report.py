"""``ordertwin-report SWEEP_DIR``: (re)build a sweep's tables, charts and report.html from its
job dirs; a failed or missing job is named and left out, the others are reported."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.report.build import Report, ReportError, build_report
from sim.report.settings import stored_options


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def _half_width(text: str) -> tuple[str, float]:
    key, sep, value = text.partition("=")
    try:
        return key, float(value) if sep else float("nan")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected KPI=NUMBER, got {text!r}") from None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="ordertwin-report",
        description="Build summary.csv, comparison.csv/.xlsx, charts/*.png and report.html "
        "for a sweep dir (reads each job's .hydra/config.yaml and kpis.json).",
    )
    parser.add_argument("sweep_dir", type=Path, help="a Hydra sweep dir (results/sweeps/...)")
    parser.add_argument(
        "--baseline", help="reference policy for paired differences (default: nearest / none)"
    )
    parser.add_argument(
        "--half-width",
        type=_half_width,
        action="append",
        default=[],
        metavar="KPI=NUMBER",
        help="target 95%% CI half-width for the replication advice, e.g. nps=0.5 (repeatable)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.sweep_dir.is_dir():
        print(f"ordertwin-report: error: {args.sweep_dir}: not a directory", file=sys.stderr)
        return 2
    try:
        stored = stored_options(args.sweep_dir)
        half_widths = dict(stored.half_widths) | dict(args.half_width)
        report = build_report(args.sweep_dir, args.baseline or stored.baseline, half_widths or None)
    except (ReportError, ValueError) as err:
        print(f"ordertwin-report: error: {err}", file=sys.stderr)
        return 2
    try:
        _print_outcome(report, args.sweep_dir)
    except BrokenPipeError:  # `ordertwin-report DIR | head`: the files are written, stop quietly
        _silence_stdout()
    return 0


def _silence_stdout() -> None:
    """Point stdout at the null device so the interpreter's last flush does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _print_outcome(report: Report, sweep_dir: Path) -> None:
    finished = report.jobs - len(report.not_finished)
    print(f"ordertwin-report: {finished} of {report.jobs} jobs finished")
    for job in report.not_finished:  # text from the sweep dir: no control characters echoed
        print(_printable(f"  job {job.num} {job.status}: {job.describe()} - {job.reason}"))
    if report.not_finished:
        print(f"  failed jobs are listed in {sweep_dir / 'report.html'} with their reasons")
    if report.scorecard is not None:  # names from the sweep dir: no control characters echoed
        print("\n".join(_printable(line) for line in report.scorecard.text().splitlines()))
    for path in report.files:
        print(f"  wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
