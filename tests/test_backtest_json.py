"""backtest.json never holds NaN: JSON has none, and other readers refuse a file that writes one."""

from __future__ import annotations

import json
import math

import numpy as np

from sim.backtest.report import json_ready


def test_every_nan_however_deep_is_written_as_null() -> None:
    nested = {
        "late": {"history": float("nan"), "twin": [np.float64("nan"), 0.1, np.inf]},
        "lanes": [{"ks_d": None, "twin_mean_h": float("-inf")}],
        "band": (np.float32(1.5), np.int64(3), np.bool_(True)),
    }
    text = json.dumps(json_ready(nested), allow_nan=False)
    back = json.loads(text)
    assert back["late"] == {"history": None, "twin": [None, 0.1, None]}
    assert back["lanes"] == [{"ks_d": None, "twin_mean_h": None}]
    assert back["band"] == [1.5, 3, True]
    assert not any(isinstance(v, float) and math.isnan(v) for v in back["late"]["twin"])
