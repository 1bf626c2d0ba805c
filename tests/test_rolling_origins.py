"""The rolling-origin check of the demand forecast: origins, pooling, and no look-ahead.

One holdout cut is one draw of luck; the rolling-origin check repeats it from many month starts.
It is only worth anything if each origin's forecast sees nothing after its cut and the pooled
figures are what the scored months say, so both are checked here against hand-built cases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.backtest.forecast import MIN_FITTED_MONTHS, pooled, rolling_origins
from sim.cli.backtest import main as backtest_main

START, END = pd.Timestamp("2020-01-01"), pd.Timestamp("2021-05-01")
DAYS = pd.date_range(START, END - pd.Timedelta(days=1))


def created(rate_per_day: float | np.ndarray, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    n = rng.poisson(np.broadcast_to(rate_per_day, len(DAYS)))
    hours = pd.to_timedelta(rng.random(int(n.sum())) * 24.0, unit="h")
    return pd.Series(np.sort(np.repeat(DAYS.to_numpy(), n) + hours.to_numpy()))


@pytest.fixture(scope="module")
def flat() -> dict[str, Any]:
    return rolling_origins(created(10.0, 3), END, np.ones(7), 4)


def test_the_last_month_starts_with_a_whole_month_after_them(flat: dict[str, Any]) -> None:
    assert flat["origins"] == ["2021-01-01", "2021-02-01", "2021-03-01", "2021-04-01"]
    ahead = pd.DataFrame(flat["months"]).groupby("origin")["months_ahead"].max()
    assert ahead.tolist() == [4, 3, 2, 1]  # up to the log's end, never past it
    assert flat["n"] == 10


def test_too_short_a_log_has_no_origin() -> None:
    short = created(10.0, 1)
    short = short[short < START + pd.offsets.MonthBegin(MIN_FITTED_MONTHS)]
    out = rolling_origins(short, START + pd.offsets.MonthBegin(MIN_FITTED_MONTHS), np.ones(7), 5)
    assert out["origins"] == [] and out["n"] == 0 and out["coverage"] is None


def test_a_flat_log_is_covered_and_needs_narrow_bands(flat: dict[str, Any]) -> None:
    # 10 scored months but only 4 distinct ones (each scored from several origins), so the
    # pooled coverage moves in steps of whole months: a loose floor, a tight width
    assert flat["inside"] >= 6
    assert flat["median_half_width"] < 0.15  # ~300 a month: counting noise ~6%
    assert flat["needed_half_width"] < 0.2
    assert flat["mape"] <= flat["naive_mape"] + 0.03


def test_an_origin_sees_nothing_after_its_cut() -> None:
    """Doubling the orders from 2021-03-01 on changes the history scored from the 2021-03-01
    origin but not its forecast: the fit may only see the months before its cut (the
    2021-04-01 origin does see the doubled March, and its forecast moves)."""
    base = created(10.0, 5)
    later = base[base >= pd.Timestamp("2021-03-01")]
    doubled = pd.concat([base, later + pd.Timedelta(minutes=1)]).sort_values()
    runs = [rolling_origins(x, END, np.ones(7), 2) for x in (base, doubled)]
    rows = [pd.DataFrame(r["months"]).set_index(["origin", "month"]) for r in runs]
    assert rows[0].index.equals(rows[1].index)
    cols = ["twin", "low", "high", "naive"]
    march = [r.loc["2021-03-01"] for r in rows]
    pd.testing.assert_frame_equal(march[0][cols], march[1][cols])
    assert (march[1]["history"] > 1.8 * march[0]["history"]).all()
    april = [r.loc["2021-04-01"] for r in rows]
    assert (april[1]["twin"] > 1.2 * april[0]["twin"]).all()


def test_pooled_figures_by_hand() -> None:
    rows = [
        {"origin": "a", "history": 100, "twin": 100, "low": 80, "high": 120, "naive": 90},
        {"origin": "a", "history": 130, "twin": 100, "low": 80, "high": 120, "naive": 90},
        {"origin": "b", "history": 50, "twin": 60, "low": 40, "high": 70, "naive": 50},
        {"origin": "b", "history": 0, "twin": 60, "low": 40, "high": 80, "naive": 50},
    ]
    p = pooled(rows)
    assert (p["n"], p["inside"]) == (4, 2)  # 130 above its band; 0 below
    assert p["median_half_width"] == pytest.approx(np.median([0.2, 0.2, 0.25, 1 / 3]))
    twin = [0.0, 30 / 130, 10 / 50]  # the empty month has no percentage error
    naive = [0.1, 40 / 130, 0.0]
    assert p["mape"] == pytest.approx(np.mean(twin))
    assert p["naive_mape"] == pytest.approx(np.mean(naive))
    assert p["needed_half_width"] == pytest.approx(np.quantile(twin, 0.9))
    assert p["origins_twin_better"] == 1  # a: 0.115 < 0.204; b: 0.2 > 0


def test_origins_out_of_range_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "log.csv"
    log.write_text("order_id\n")
    with pytest.raises(SystemExit) as exit_info:
        backtest_main([str(log), "--scenario", "baseline", "--origins", "-1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err == "ordertwin-backtest: error: --origins: expected 0 to 120 month starts, got -1\n"


def test_the_report_shows_each_origin(flat: dict[str, Any]) -> None:
    from types import SimpleNamespace

    from sim.backtest.report import _demand_lines

    lines = _demand_lines(SimpleNamespace(demand={"origins": flat}))  # type: ignore[arg-type]
    rows = [line for line in lines if line.startswith("| 2021-")]
    assert [r.split(" | ")[0] for r in rows] == [f"| {o}" for o in flat["origins"]]
    assert any(
        line.startswith(f"rolling origins (4 month starts, {flat['n']} months") for line in lines
    )
