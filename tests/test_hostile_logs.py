"""Hostile order logs: every one ends in one clean line naming the file and line, or in a correct
scenario; never a traceback, a hang, or a silently wrong fit.

An order log is untrusted input (README, threat model). The cases are grouped by class: bytes and
encoding, CSV structure, wrong types, times, logs that parse but cannot be fitted, text that looks
like an OmegaConf interpolation, parquet and Excel. A hypothesis property then mutates a valid
small log at random.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from scenarios.calibration.calibrate import Calibration, calibrate
from scenarios.errors import ConfigError, OrderLogError
from sim.config.compose import load_scenario
from sim.io.calibration_files import scenario_yaml
from tests.calibration_helpers import generate_log

SLOW_S = 10.0  # any case, refused or fitted, within this (the far-date log once took a minute)
MARK = "${oc.env:HOME}"


@pytest.fixture(scope="module")
def template() -> dict[str, object]:
    return load_scenario("baseline")


@pytest.fixture(scope="module")
def log_frame(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Three days at ~10 orders/h: the text cells of a valid order log (about 720 rows)."""
    path, _ = generate_log(
        tmp_path_factory.mktemp("log"),
        "horizon_days=3",
        "warmup_days=0",
        "scenario.demand.base_rate_per_h=10",
    )
    return pd.read_csv(path, dtype=str, keep_default_na=False)


Make = Callable[[pd.DataFrame, Path], Path]


def _csv(change: Callable[[pd.DataFrame], pd.DataFrame] | None = None, name: str = "log") -> Make:
    def make(frame: pd.DataFrame, tmp: Path) -> Path:
        out = change(frame.copy()) if change else frame
        path = tmp / f"{name}.csv"
        out.to_csv(path, index=False)
        return path

    return make


def _bytes(change: Callable[[bytes], bytes], name: str = "log.csv") -> Make:
    def make(frame: pd.DataFrame, tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(change(frame.to_csv(index=False).encode()))
        return path

    return make


def _lines(change: Callable[[list[str]], list[str]]) -> Make:
    def make(frame: pd.DataFrame, tmp: Path) -> Path:
        path = tmp / "log.csv"
        path.write_text("\n".join(change(frame.to_csv(index=False).split("\n"))))
        return path

    return make


def _parquet(change: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> Make:
    def make(frame: pd.DataFrame, tmp: Path) -> Path:
        path = tmp / "log.parquet"
        (change(frame.copy()) if change else frame).to_parquet(path, index=False)
        return path

    return make


def _set(row: int | slice, column: str, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[row, column] = value
        return frame

    return change


def _line_bytes(line: int, old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    """Replace the first ``old`` in file line ``line`` (1-based) by ``new``."""

    def change(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
        return b"\n".join(lines)

    return change


def _shift_offset(frame: pd.DataFrame, rows: slice | pd.Index, to: str) -> pd.DataFrame:
    """The same instants written with another UTC offset (``+09:00`` or ``Z``), all time columns."""
    for col in ("created_at", "promised_at", "shipped_at", "delivered_at"):
        cells = frame.loc[rows, col]
        utc = pd.to_datetime(cells.where(cells != ""), utc=True, format="ISO8601")
        hours = 0 if to == "Z" else int(to[:3])
        local = utc.dt.tz_convert(f"Etc/GMT{-hours:+d}" if hours else "UTC")
        text = local.dt.strftime("%Y-%m-%dT%H:%M:%S").str.cat([to] * len(local))
        frame.loc[rows, col] = text.where(cells != "", "")
    return frame


def _pile(n: int) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """``n`` more orders, all created (and promised) at one instant, as from a batch import."""

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        extra = frame[frame["status"] == "delivered"].sample(n, replace=True, random_state=1)
        extra = extra.assign(
            order_id=[f"B{i:06d}" for i in range(n)],
            created_at="2026-01-06T03:00:00-05:00",
            promised_at="2026-01-09T03:00:00-05:00",
            shipped_at="2026-01-06T17:00:00-05:00",
            delivered_at="2026-01-08T09:00:00-05:00",
        )
        return pd.concat([frame, extra], ignore_index=True)

    return change


def _all(column: str, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return _set(slice(None), column, value)


def _all_open(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(status="open", shipped_at="", delivered_at="")


def _all_cancelled(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(status="cancelled", shipped_at="", delivered_at="")


def _name_region(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame.loc[frame["region"] == frame["region"].iloc[0], "region"] = name
    return frame


def _gzip(frame: pd.DataFrame, tmp: Path) -> Path:
    path = tmp / "log.csv.gz"
    path.write_bytes(gzip.compress(frame.to_csv(index=False).encode()))
    return path


def _truncated_gzip(frame: pd.DataFrame, tmp: Path) -> Path:
    path = _gzip(frame, tmp)
    path.write_bytes(path.read_bytes()[:300])
    return path


def _named(name: str) -> Make:
    return _csv(name=name)


def _directory(frame: pd.DataFrame, tmp: Path) -> Path:
    (tmp / "log.csv").mkdir()
    return tmp / "log.csv"


def _excel(frame: pd.DataFrame, tmp: Path) -> Path:
    path = tmp / "log.xlsx"
    frame.to_excel(path, index=False)
    return path


def _raw(name: str, data: bytes) -> Make:
    def make(frame: pd.DataFrame, tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path

    return make


def _truncated_parquet(frame: pd.DataFrame, tmp: Path) -> Path:
    path = _parquet()(frame, tmp)
    path.write_bytes(path.read_bytes()[:-200])
    return path


def _typed_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    """Times as tz-aware timestamps and numbers as floats, as a database export writes them."""
    for col in ("created_at", "promised_at", "shipped_at", "delivered_at"):
        frame[col] = pd.to_datetime(frame[col].replace("", None), utc=True, format="ISO8601")
    return frame.assign(value=frame["value"].astype(float), items=frame["items"].astype(int))


def _naive_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _typed_parquet(frame)
    return frame.assign(created_at=frame["created_at"].dt.tz_localize(None))


def _epoch_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    created = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    return frame.assign(created_at=created.astype("int64") // 10**9)


OK = None
# case: (make the file, None for a correct fit or the words the one-line error must contain)
CASES: dict[str, tuple[Make, tuple[str, ...] | None]] = {
    # -- bytes and encoding
    "empty file": (_raw("log.csv", b""), ("file", "empty file")),
    "blank lines only": (_raw("log.csv", b"\n\n  \n"), ("file", "empty file")),
    "header only": (lambda f, t: _csv(lambda x: x.head(0))(f, t), ("no orders",)),
    "latin-1 byte in a row": (
        _bytes(_line_bytes(300, b",", b",\xe9")),
        ("line 300:", "expected UTF-8", "0xE9"),
    ),
    "latin-1 byte in the header": (
        _bytes(_line_bytes(1, b"region", b"r\xe9gion")),
        ("line 1:", "expected UTF-8"),
    ),
    "NUL byte": (_bytes(_line_bytes(40, b",", b",\x00")), ("line 40:", "NUL")),
    "binary garbage": (
        _raw("log.csv", bytes(np.random.default_rng(3).integers(0, 256, 5000, dtype=np.uint8))),
        ("line ", "expected"),
    ),
    "UTF-8 byte-order mark": (_bytes(lambda b: b"\xef\xbb\xbf" + b), OK),
    "CRLF line ends": (_bytes(lambda b: b.replace(b"\n", b"\r\n")), OK),
    "gzip CSV": (_gzip, OK),
    "gzip that is not gzip": (
        _raw("log.csv.gz", b"order_id,created_at\n1,2\n"),
        ("cannot be read",),
    ),
    "truncated gzip": (_truncated_gzip, ("cannot be read",)),
    # -- CSV structure
    "extra field in a row": (_lines(lambda ls: [*ls[:9], ls[9] + ",x", *ls[10:]]), ("line 10:",)),
    "unclosed quote": (
        _lines(lambda ls: [*ls[:11], ls[11].replace(",", ',"', 1), *ls[12:]]),
        ("line 12:", "closing quote"),
    ),
    "truncated mid-line": (
        _bytes(lambda b: b[: b.rfind(b"\n", 0, len(b) - 10) + 30]),
        ("line 720, column", "expected a value"),
    ),
    "missing column": (
        _csv(lambda f: f.drop(columns="status")),
        ("line 1 (the header)", "'status'"),
    ),
    "semicolons for commas": (
        _bytes(lambda b: b.replace(b",", b";")),
        ("line 1 (the header)", "missing column 'order_id'"),
    ),
    "header repeated mid-file": (
        _lines(lambda ls: [*ls[:50], ls[0], *ls[50:]]),
        ("line 51, column created_at", "ISO-8601"),
    ),
    "duplicate column (renamed by the reader)": (
        _lines(lambda ls: [ls[0] + ",region", *[x + ",x" if x else x for x in ls[1:]]]),
        OK,
    ),
    "a thousand extra columns": (
        _csv(
            lambda f: pd.concat(
                [f, pd.DataFrame({f"c{i}": "1" for i in range(1000)}, f.index)], axis=1
            )
        ),
        OK,
    ),
    "unknown suffix": (_raw("log.json", b"{}"), (".csv",)),
    "a directory": (_directory, ("existing file",)),
    "huge field": (_csv(_set(7, "region", "r" * 5_000_000)), ("line 9, column region", "1,000")),
    "huge order id": (_csv(_set(3, "order_id", "9" * 20_000)), ("line 5, column order_id",)),
    "newline inside a quoted region": (_csv(lambda f: _name_region(f, "north\nwest")), OK),
    # -- wrong types
    "word for a number": (_csv(_set(9, "value", "twelve")), ("line 11, column value", "number")),
    "inf value": (_csv(_set(9, "value", "inf")), ("line 11, column value", "finite")),
    "nan value": (_csv(_set(9, "value", "NaN")), ("line 11, column value", "finite")),
    "1e400 value": (_csv(_set(9, "value", "1e400")), ("line 11, column value", "finite")),
    "fractional items": (_csv(_set(4, "items", "1.5")), ("line 6, column items", "whole")),
    "blank required cell": (_csv(_set(2, "region", "")), ("line 4, column region", "a value")),
    "spaces for a required cell": (_csv(_set(2, "status", "   ")), ("line 4, column status",)),
    "bad is_test word": (_csv(_set(6, "is_test", "maybe")), ("line 8, column is_test",)),
    "negative value (dropped, counted)": (_csv(_set(9, "value", "-5")), OK),
    "unknown status (dropped, counted)": (_csv(_set(9, "status", "lost-in-space")), OK),
    "digits as a region name": (_csv(lambda f: _name_region(f, "12345")), OK),
    # -- times
    "year 1000": (
        _csv(_set(5, "created_at", "1000-01-05T10:00:00-05:00")),
        ("line 7, column created_at", "1990-2100"),
    ),
    "year 2300": (
        _csv(_set(5, "created_at", "2300-01-05T10:00:00-05:00")),
        ("line 7, column created_at", "1990-2100"),
    ),
    "year 9999 delivery": (
        _csv(_set(5, "delivered_at", "9999-12-31T23:59:59-05:00")),
        ("line 7, column delivered_at", "1990-2100"),
    ),
    "stray date 30 years back": (
        _csv(_set(5, "created_at", "1995-01-05T10:00:00-05:00")),
        ("created_at, lines 7 and", "days"),
    ),
    "time without offset": (
        _csv(_set(3, "shipped_at", "2026-01-05T15:00:00")),
        ("line 5, column shipped_at", "UTC offset"),
    ),
    "date without time": (
        _csv(_set(3, "created_at", "2026-01-05")),
        ("line 5, column created_at",),
    ),
    "30 February": (
        _csv(_set(6, "created_at", "2026-02-30T10:00:00Z")),
        ("line 8, column created_at", "ISO-8601"),
    ),
    "epoch seconds": (_csv(_set(6, "created_at", "1767600000")), ("line 8, column created_at",)),
    "offset +25:00": (
        _csv(_set(6, "created_at", "2026-01-05T10:00:00+25:00")),
        ("line 8, column created_at",),
    ),
    "mixed UTC offsets": (
        _csv(lambda f: _shift_offset(f, f.index[100::2], "+09:00")),
        ("line 102, column created_at", "UTC offset", "-05:00"),
    ),
    "UTC shipped times in a local log": (
        _csv(lambda f: _shift_offset(f, f.index[200:], "Z")),
        ("line 202, column created_at", "UTC offset"),
    ),
    "all times in UTC (Z)": (_csv(lambda f: _shift_offset(f, f.index, "Z")), OK),
    "a daylight-saving hour apart": (_csv(lambda f: _shift_offset(f, f.index[300:], "-04:00")), OK),
    # -- parses, but cannot be fitted
    "all rows one id": (
        _csv(_all("order_id", "A1")),
        ("file", "at least 20 orders", "conflicting_duplicate"),
    ),
    "all orders open": (_csv(_all_open), ("file", "delivered orders", "open")),
    "all orders cancelled": (_csv(_all_cancelled), ("file", "delivered orders", "cancelled")),
    "all test orders": (
        _csv(_all("is_test", "true")),
        ("file", "at least 20 orders", "test_order"),
    ),
    "one row": (_csv(lambda f: f.head(1)), ("at least 20 orders",)),
    "every order at one instant": (
        _csv(_all("created_at", "2026-01-05T00:00:00-05:00")),
        ("created_at", "at least 24 h"),
    ),
    "2,000 orders at one instant": (
        _csv(_pile(2000)),
        ("column created_at", "2,000 orders", "one instant"),
    ),
    "all shipped before created": (
        _csv(
            lambda f: f.assign(
                shipped_at=f["created_at"].where(f["shipped_at"] == "", "2025-12-01T00:00:00-05:00")
            )
        ),
        ("delivered orders",),
    ),
    # -- text that looks like interpolation stays text
    "region ${oc.env:HOME}": (_csv(lambda f: _name_region(f, MARK)), OK),
    "warehouse and mode ${...}": (
        _csv(
            lambda f: f.assign(
                warehouse=f["warehouse"].replace("west", "${oc.env:HOME}"),
                mode=f["mode"].replace("air", "${nosuch}"),
            )
        ),
        OK,
    ),
    "channel ${oc.env:HOME}": (
        _csv(lambda f: f.assign(channel=f["channel"].replace("web", MARK))),
        OK,
    ),
    "file name ${oc.env:HOME}": (_named("log${oc.env:HOME}"), OK),
    "file name ${nosuch}": (_named("log${nosuch}"), OK),
    "file name with a newline": (_named("log\nname: evil"), OK),
    # -- parquet and Excel
    "truncated parquet": (_truncated_parquet, ("file", "parquet")),
    "CSV named .parquet": (_raw("log.parquet", b"order_id,created_at\n1,2\n"), ("file", "parquet")),
    "typed parquet (timestamps with zone)": (_parquet(_typed_parquet), OK),
    "parquet with naive timestamps": (
        _parquet(_naive_parquet),
        ("row 1, column created_at", "UTC offset"),
    ),
    "parquet with epoch integers": (
        _parquet(_epoch_parquet),
        ("row 1, column created_at", "ISO-8601"),
    ),
    "parquet word for a number": (_parquet(_set(5, "value", "twelve")), ("row 6, column value",)),
    "parquet with no rows": (_parquet(lambda f: f.head(0)), ("no orders",)),
    "parquet missing a column": (
        _parquet(lambda f: f.drop(columns="region")),
        ("header", "'region'"),
    ),
    "corrupt xlsx": (_raw("log.xlsx", b"PK\x03\x04garbage"), ("file", "Excel")),
    "CSV named .xlsx": (_raw("log.xlsx", b"order_id,created_at\n1,2\n"), ("file", "Excel")),
    "Excel log": (_excel, OK),
}


def _interpolation_stays_literal(cal: Calibration, path: Path) -> None:
    """Strings with ``${`` come back as themselves from the scenario YAML, never resolved."""
    text = scenario_yaml(cal, str(path), "baseline")
    assert os.environ.get("HOME", "/root") not in text.replace(str(path), "")
    reloaded = OmegaConf.to_container(OmegaConf.create(text), resolve=True)
    assert reloaded == {**cal.scenario}, "the YAML does not read back as the scenario"
    assert yaml.safe_load(text)["name"] == "x"


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_log(
    case: str, log_frame: pd.DataFrame, template: dict[str, object], tmp_path: Path
) -> None:
    make, expected = CASES[case]
    path = make(log_frame, tmp_path)
    start = time.perf_counter()
    try:
        cal = calibrate(path, "x", template, "baseline")
    except (OrderLogError, ConfigError) as err:
        message = str(err)
        assert expected is not None, f"refused a good log: {message}"
        assert "\n" not in message and len(message) < 600 + len(str(path)), message
        assert message.startswith(f"{path}: "), message
        for words in expected:
            assert words in message, message
    else:
        assert expected is None, f"accepted a bad log: {case}"
        _interpolation_stays_literal(cal, path)
        if "${" in case:
            names = yaml.safe_dump(cal.scenario) + cal.scenario["description"]
            assert "${" in names
    assert time.perf_counter() - start < SLOW_S


def test_region_named_like_interpolation_runs_literally(
    log_frame: pd.DataFrame, template: dict[str, object], tmp_path: Path
) -> None:
    """The calibrated YAML, composed by Hydra as a user's scenario, keeps the name as text."""
    path = _csv(lambda f: _name_region(f, MARK))(log_frame, tmp_path)
    cal = calibrate(path, "interp", template, "baseline")
    conf = tmp_path / "conf" / "scenario"
    conf.mkdir(parents=True)
    (conf / "interp.yaml").write_text(scenario_yaml(cal, str(path), "baseline"))
    done = subprocess.run(
        [sys.executable, "-m", "sim", "--config-dir", str(tmp_path / "conf"), "scenario=interp"]
        + ["--cfg", "job", "--resolve"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    composed = yaml.safe_load(done.stdout)["scenario"]
    assert MARK in composed["regions"]
    assert os.environ.get("HOME", "/root") not in done.stdout


def test_console_script_sample(log_frame: pd.DataFrame, tmp_path: Path) -> None:
    """Through the installed command: exit 2, one line naming file:line, nothing written."""
    path = _bytes(_line_bytes(300, b",", b",\xe9"))(log_frame, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli.calibrate", str(path), "--name", "x"]
        + ["--out", str(tmp_path / "conf"), "--report-dir", str(tmp_path / "rep")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ordertwin-calibrate: error: {path}: line 300:")
    assert not (tmp_path / "conf").exists() and not (tmp_path / "rep").exists()


# -- the property: random damage to a valid small log never gives a traceback or a hang


@pytest.fixture(scope="module")
def small_bytes(log_frame: pd.DataFrame) -> bytes:
    return log_frame.head(240).to_csv(index=False).encode()


def _mutate(data: bytes, ops: list[tuple[int, int, bytes, int]]) -> bytes:
    for kind, at, chunk, length in ops:
        i = at % (len(data) + 1)
        if kind == 0:  # insert
            data = data[:i] + chunk + data[i:]
        elif kind == 1:  # delete
            data = data[:i] + data[i + length :]
        elif kind == 2:  # overwrite
            data = data[:i] + chunk + data[i + len(chunk) :]
        elif kind == 3:  # truncate
            data = data[:i]
        else:  # duplicate a stretch (repeated rows, a repeated header)
            data = data[:i] + data[i : i + length] + data[i:]
    return data


_OPS = st.lists(
    st.tuples(
        st.integers(0, 4),
        st.integers(0, 10**6),
        st.one_of(
            st.binary(min_size=1, max_size=8),
            st.sampled_from([b",", b'"', b"\n", b"\x00", b"\xff", b"${oc.env:HOME}", b"nan", b"-"]),
        ),
        st.integers(1, 400),
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=_OPS)
def test_random_damage_is_refused_cleanly_or_fits(
    ops: list[tuple[int, int, bytes, int]],
    small_bytes: bytes,
    template: dict[str, object],
    tmp_path: Path,
) -> None:
    path = tmp_path / "mutated.csv"
    path.write_bytes(_mutate(small_bytes, ops))
    start = time.perf_counter()
    try:
        cal = calibrate(path, "x", template, "baseline")
    except (OrderLogError, ConfigError) as err:
        assert "\n" not in str(err)
    else:
        assert cal.scenario["demand"]["base_rate_per_h"] > 0
    assert time.perf_counter() - start < SLOW_S
