"""Write what ``ordertwin-calibrate`` makes: the scenario YAML and its fit report.

The scenario goes to ``CONF/scenario/NAME.yaml``; the report folder gets ``fit.json`` (every
number), ``fit_report.md`` (the same, readable) and ``rejected_rows.csv`` (the rows dropped from
the log, with their reason). All four are written under temporary names and renamed together,
after calibration has succeeded, so a failed calibration leaves no file behind.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from scenarios.calibration.calibrate import Calibration, literal
from scenarios.calibration.report import markdown
from sim.io.files import json_safe, write_all

REPORT_FILES = ("fit.json", "fit_report.md", "rejected_rows.csv")


def _comment(text: str) -> str:
    """Text safe inside a one-line YAML comment (a file name may hold a newline)."""
    return "".join(c if c.isprintable() else "?" for c in str(text))


def scenario_yaml(cal: Calibration, log_path: str, template: str) -> str:
    """The scenario as YAML; strings from the log are escaped, so Hydra never interpolates them."""
    header = (
        f"# Calibrated by ordertwin-calibrate from {_comment(log_path)} "
        f"(template: {_comment(template)}).\n"
        "# Fitted: demand profile and bursts, mixes, values, promise, transit by mode and zone,\n"
        "# pickup hours. Carried over from the template: see the fit report.\n"
    )
    plain = literal(cal.scenario)
    body = yaml.safe_dump(plain, sort_keys=False, default_flow_style=None, width=100)
    return header + body


def write_calibration(
    cal: Calibration, log_path: str, template: str, scenario_path: Path, report_dir: Path
) -> Path:
    """Write the scenario YAML and the fit report; returns the markdown report's path."""
    report = {**cal.report, "scenario_yaml": str(scenario_path)}
    fit_json, fit_md, rejected = (report_dir / name for name in REPORT_FILES)
    write_all(
        {
            fit_json: json.dumps(json_safe(report), indent=2) + "\n",
            fit_md: markdown(report, str(scenario_path)),
            rejected: cal.clean.dropped.to_csv(index=False),
            scenario_path: scenario_yaml(cal, log_path, template),
        }
    )
    return fit_md
