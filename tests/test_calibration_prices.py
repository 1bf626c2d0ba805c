"""Carrier prices from a log's ``cost`` column: recovered from a twin's log priced unlike the
template, template prices where a log has no cost (scenarios/calibration/prices.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scenarios.calibration.calibrate import Calibration, calibrate
from sim.config.compose import load_scenario
from tests.calibration_helpers import generate_log

TEMPLATE = load_scenario("baseline")
# the log's company pays its carriers unlike the template: ground 1.5x, air 0.8x
TRUE_PRICES = {
    "ground": [round(1.5 * p, 2) for p in TEMPLATE["modes"]["ground"]["price_usd_by_zone"]],
    "air": [round(0.8 * p, 2) for p in TEMPLATE["modes"]["air"]["price_usd_by_zone"]],
}


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    prices = [
        f"scenario.modes.{m}.price_usd_by_zone=[{','.join(map(str, p))}]"
        for m, p in TRUE_PRICES.items()
    ]
    path, _ = generate_log(
        tmp_path_factory.mktemp("priced"),
        "horizon_days=6",
        "scenario.weather.storm_rate_per_day=0",
        "export.test_order_p=0",
        "export.duplicate_p=0",
        *prices,
    )
    return path


@pytest.fixture(scope="module")
def cal(log: Path) -> Calibration:
    return calibrate(log, "priced", TEMPLATE, "baseline")


def test_prices_recovered_per_mode_and_zone(cal: Calibration) -> None:
    """A zone priced from its own orders gets the true price to the cent (the twin's plain
    parcels cost pick/pack + price; the median passes over the few with exceptions)."""
    priced = cal.report["carrier_prices"]
    from_zone = 0
    for mode, truth in TRUE_PRICES.items():
        assert priced[mode]["source"].startswith("log"), priced[mode]
        for z, cell in priced[mode]["by_zone"].items():
            if cell["from"] == "zone":
                from_zone += 1
                assert cell["price_usd"] == pytest.approx(truth[int(z) - 1], abs=0.011), (mode, z)
    assert from_zone >= 3


def test_thin_zones_get_the_mode_price_and_it_is_written(cal: Calibration) -> None:
    report = cal.report["carrier_prices"]
    for mode, fit in report.items():
        written = cal.scenario["modes"][mode]["price_usd_by_zone"]
        for z, cell in fit.get("by_zone", {}).items():
            assert written[int(z) - 1] == cell["price_usd"]
            if cell["from"] == "mode":  # the template's zone price x the mode's ratio: 1.5, 0.8
                assert cell["orders"] < 30
                truth = TRUE_PRICES[mode][int(z) - 1]
                assert cell["price_usd"] == pytest.approx(truth, abs=0.011), (mode, z)


def test_a_log_without_cost_keeps_the_template_prices(log: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(log) if log.suffix == ".csv" else pd.read_parquet(log)
    bare = tmp_path / f"bare{log.suffix}"
    frame = frame.drop(columns="cost")
    frame.to_csv(bare, index=False) if log.suffix == ".csv" else frame.to_parquet(bare)
    cal = calibrate(bare, "bare", TEMPLATE, "baseline")
    for mode, fit in cal.report["carrier_prices"].items():
        assert fit["source"].startswith("template"), fit
        template = TEMPLATE["modes"][mode]["price_usd_by_zone"]
        written = cal.scenario["modes"][mode]["price_usd_by_zone"]
        assert np.allclose(written[: len(template)], template[: len(written)])
