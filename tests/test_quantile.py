"""The exact p90 over chunks: the same number as ``np.percentile`` on the whole array, whether
the values sit in memory or in a scratch file, through the histogram passes and the ties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.engine import quantile
from sim.engine.quantile import InMemoryValues, exact_percentile
from sim.io.scratch import scratch_values


def _store(values: np.ndarray, rng: np.random.Generator) -> InMemoryValues:
    store = InMemoryValues()
    cuts = np.sort(rng.integers(0, len(values) + 1, size=5))
    for part in np.split(values, cuts):
        store.append(part)
    return store


@pytest.fixture(params=[None, (4, 3), (2, 1)], ids=["one-pass", "many-passes", "two-bins"])
def narrow(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """With few bins and a small gathering limit, every value set takes several passes (with two
    bins, two adjacent floats share a bin that cannot be split)."""
    if request.param:
        monkeypatch.setattr(quantile, "BINS", request.param[0])
        monkeypatch.setattr(quantile, "RANK_AT_MOST", request.param[1])


@pytest.mark.parametrize("n", [1, 2, 3, 9, 10, 11, 97, 5_000])
@pytest.mark.parametrize("percent", [90, 50, 0, 100, 33.3])
def test_equals_numpy_to_the_bit(n: int, percent: float, narrow: None) -> None:
    rng = np.random.default_rng(n)
    for values in (
        rng.lognormal(3.0, 0.8, n),  # delivery-time-like
        np.round(rng.exponential(10.0, n), 1),  # many ties
        np.full(n, 7.25),  # one value
        np.where(rng.random(n) < 0.5, 1.0, np.nextafter(1.0, 2.0)),  # two adjacent floats
        rng.normal(0.0, 1e-300, n),  # tiny and signed
    ):
        got = exact_percentile(_store(values, rng), percent)
        assert got == np.percentile(values, percent), (n, percent, values[:5])


def test_no_values_is_nan() -> None:
    assert np.isnan(exact_percentile(InMemoryValues(), 90))


def test_scratch_file_round_trip_and_removal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.io import scratch

    monkeypatch.setattr(scratch, "READ_VALUES", 1000)  # several chunks read back
    rng = np.random.default_rng(3)
    values = rng.gamma(2.0, 20.0, 4_321)
    with scratch_values(tmp_path) as spilled:
        for part in np.array_split(values, 7):
            spilled.append(part)
        (file,) = tmp_path.iterdir()
        assert file.stat().st_size == 8 * len(values)
        back = np.concatenate(list(spilled.chunks()))
        assert np.array_equal(back, values)
        assert exact_percentile(spilled, 90) == np.percentile(values, 90)
        spilled.append(values[:10])  # appending after reading goes on at the end
        assert len(np.concatenate(list(spilled.chunks()))) == len(values) + 10
    assert not list(tmp_path.iterdir())
    with pytest.raises(RuntimeError), scratch_values(tmp_path) as spilled:
        spilled.append(values)
        raise RuntimeError("the run failed")
    assert not list(tmp_path.iterdir())  # removed on failure too
