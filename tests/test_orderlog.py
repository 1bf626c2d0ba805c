"""The order-log format at the door: malformed files refused in one line, dirty rows counted.

A malformed file (missing column, unparsable date, time without offset, wrong type) must end
``ordertwin-calibrate`` with exit code 2, one line naming the line and column, and no files at
all. Rows that parse but cannot be real orders are dropped and counted, each under its reason.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from scenarios.calibration.order_log import OrderLogError, read_order_log
from scenarios.calibration.quality import clean_log
from sim.cli.backtest import main as backtest_main
from sim.cli.calibrate import main
from sim.config.compose import load_config
from sim.config.validate import ConfigError
from tests.calibration_helpers import generate_log

Breaker = Callable[[pd.DataFrame], pd.DataFrame]


@pytest.fixture(scope="module")
def small_log(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Two days of baseline orders as the text cells of an order log."""
    path, _ = generate_log(tmp_path_factory.mktemp("small"), "horizon_days=2", "warmup_days=0")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _set(row: int, column: str, text: str) -> Breaker:
    def breaker(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.loc[row, column] = text
        return frame

    return breaker


MALFORMED: dict[str, tuple[Breaker, str, str]] = {  # breaker, suffix, where the error points
    "missing column": (lambda f: f.drop(columns="promised_at"), ".csv", "line 1 (the header)"),
    "unparsable date": (_set(6, "created_at", "2026-02-30T10:00:00Z"), ".csv", "line 8"),
    "time without offset": (_set(3, "shipped_at", "2026-01-05T15:00:00"), ".csv", "line 5"),
    "word for a number": (_set(9, "value", "twelve"), ".csv", "line 11"),
    "fractional items": (_set(4, "items", "1.5"), ".csv", "line 6"),
    "empty required cell": (_set(2, "region", ""), ".csv", "line 4"),
    "bad flag in Excel": (_set(7, "is_test", "maybe"), ".xlsx", "row 9"),
    "bad date in parquet": (_set(5, "delivered_at", "yesterday"), ".parquet", "row 6"),
}
COLUMN_OF = {
    "missing column": "'promised_at'",
    "unparsable date": "column created_at",
    "time without offset": "column shipped_at",
    "word for a number": "column value",
    "fractional items": "column items",
    "empty required cell": "column region",
    "bad flag in Excel": "column is_test",
    "bad date in parquet": "column delivered_at",
}


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_file_one_line_and_nothing_written(
    case: str, small_log: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    breaker, suffix, where = MALFORMED[case]
    rows = small_log.head(300) if suffix == ".xlsx" else small_log
    log = write(breaker(rows), tmp_path / f"log{suffix}")
    out, report = tmp_path / "conf", tmp_path / "report"
    with pytest.raises(SystemExit) as exit_info:
        main([str(log), "--name", "x", "--out", str(out), "--report-dir", str(report)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("ordertwin-calibrate: error: ")
    assert where in err and COLUMN_OF[case] in err, err
    assert not out.exists() and not report.exists()


def test_console_script_error_is_one_line(small_log: pd.DataFrame, tmp_path: Path) -> None:
    log = write(_set(9, "value", "twelve")(small_log), tmp_path / "log.csv")
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli.calibrate", str(log), "--name", "x"]
        + ["--out", str(tmp_path / "conf"), "--report-dir", str(tmp_path / "rep")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"ordertwin-calibrate: error: {log}: line 11, column value: expected a number, got 'twelve'"
    ]
    assert not (tmp_path / "conf").exists() and not (tmp_path / "rep").exists()


def test_dirty_rows_dropped_and_counted_by_reason(small_log: pd.DataFrame, tmp_path: Path) -> None:
    frame = small_log.copy()
    delivered = frame.index[frame["status"] == "delivered"]
    frame.loc[delivered[0], "value"] = "-5.00"  # negative value
    frame.loc[delivered[1], "shipped_at"] = "2025-12-01T00:00:00-05:00"  # shipped before created
    frame.loc[delivered[2], "delivered_at"] = ""  # delivered, but no delivery time
    frame.loc[delivered[3], "service_level"] = "platinum"  # unknown code
    frame.loc[delivered[4], "order_id"] = "test-123"  # a test order, by its id
    conflicting = frame.loc[[delivered[5]]].assign(value="999.99")
    twice = frame.loc[[delivered[6], delivered[7]]]
    frame = pd.concat([frame, conflicting, twice], ignore_index=True)
    clean = clean_log(read_order_log(write(frame, tmp_path / "dirty.csv")).frame)
    assert clean.counts == {
        "test_order": 1,
        "duplicate_row": 2,
        "conflicting_duplicate": 1,
        "unknown_code": 1,
        "negative_value": 1,
        "impossible_time": 2,
    }
    assert len(clean.orders) == len(small_log) - 5  # the three added rows are all dropped
    assert clean.orders["order_id"].is_unique
    assert set(clean.dropped["reason"]) == set(clean.counts)


def test_calibrate_writes_scenario_and_report_and_keeps_existing(
    small_log: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write(small_log, tmp_path / "log.csv")
    out, report = tmp_path / "conf", tmp_path / "report"
    args = [str(log), "--name", "small", "--out", str(out), "--report-dir", str(report)]
    main(args)
    target = out / "scenario" / "small.yaml"
    written = target.read_text()
    assert "name: small" in written
    assert {p.name for p in report.iterdir()} == {"fit.json", "fit_report.md", "rejected_rows.csv"}
    with pytest.raises(SystemExit) as exit_info:
        main(args)  # the name exists now: refused without --force
    assert exit_info.value.code == 2
    assert "--force" in capsys.readouterr().err
    assert target.read_text() == written


def test_excel_log_reads_like_csv(small_log: pd.DataFrame, tmp_path: Path) -> None:
    rows = small_log.head(200)
    from_csv = read_order_log(write(rows, tmp_path / "log.csv")).frame
    from_excel = read_order_log(write(rows, tmp_path / "log.xlsx")).frame
    pd.testing.assert_frame_equal(from_csv, from_excel)


def test_reader_names_offsets_per_row(small_log: pd.DataFrame, tmp_path: Path) -> None:
    log = read_order_log(write(small_log.head(50), tmp_path / "log.csv"))
    assert (log.frame["created_at_offset_min"] == -300).all()  # New York in January
    assert log.frame["line"].iloc[0] == 2
    with pytest.raises(OrderLogError, match="expected a .csv, .parquet or .xlsx"):
        read_order_log(tmp_path / "log.json")


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("export.time_zone=Mars/Base", "export.time_zone"),
        ("export.start=2026-01-06T00:00:00", "export.start"),  # a Tuesday
        ("export.test_order_p=1.5", "export.test_order_p"),
        ("export.format=xml", "export.format"),
    ],
)
def test_export_settings_checked(override: str, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{key}: expected"):
        load_config(override)


def test_backtest_bad_input_is_one_line(
    small_log: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write(small_log, tmp_path / "log.csv")
    with pytest.raises(SystemExit) as exit_info:
        backtest_main(
            [
                str(log),
                "--scenario",
                "nosuch",
                "--warmup-days",
                "0.5",
                "--out",
                str(tmp_path / "bt"),
            ]
        )
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("ordertwin-backtest: error: scenario: expected one of ")
    assert err.count("\n") == 1 and not (tmp_path / "bt").exists()
