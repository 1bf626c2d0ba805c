"""The calibration check of now-casts: bins, ECE, Brier skill and the cluster bootstrap, on
synthetic snapshots whose truth is known (``benchmarks/nowcast_calibration.py`` runs it on the
simulator)."""

from __future__ import annotations

import numpy as np

from sim.nowcast.calibration import Pooled, bin_of, cluster_bootstrap, ece, report

SNAPSHOTS, ORDERS = 30, 1_500


def _synthetic(bias: float, shock_sd: float, seed: int = 1) -> Pooled:
    """Orders of 30 snapshots: predictions spread over [0, 1]; outcomes drawn at the predicted
    probability minus ``bias``, moved together per snapshot by a shock (a storm, say)."""
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(SNAPSHOTS), ORDERS)
    predicted = np.concatenate([rng.beta(4, 1, ORDERS) for _ in range(SNAPSHOTS)])
    shock = rng.normal(0.0, shock_sd, SNAPSHOTS)[cluster]
    truth = np.clip(predicted - bias + shock, 0, 1)
    reference = np.full(len(predicted), truth.mean())  # a constant forecaster
    return Pooled(predicted, reference, rng.random(len(predicted)) < truth, cluster)


def test_calibrated_predictions_pass_and_have_skill() -> None:
    result = report(_synthetic(bias=0.0, shock_sd=0.01), draws=100)
    assert result["every_counted_bin_passes"]
    assert result["ece"] < 0.02
    assert result["brier_skill_ci"][0] > 0  # the whole interval above 0


def test_biased_predictions_fail() -> None:
    result = report(_synthetic(bias=0.1, shock_sd=0.01), draws=100)
    assert not result["every_counted_bin_passes"]
    assert result["ece_ci"][0] > 0.05


def test_bootstrap_resamples_snapshots_not_orders() -> None:
    data = _synthetic(bias=0.0, shock_sd=0.05)
    by_snapshot = cluster_bootstrap(data, lambda d: np.array([ece(d)]), 100)
    as_if_independent = Pooled(
        data.predicted, data.reference, data.on_time, np.arange(len(data.predicted)) % 1_500
    )
    by_order = cluster_bootstrap(as_if_independent, lambda d: np.array([ece(d)]), 100)
    assert by_snapshot.std() > 2 * by_order.std()  # correlated orders: a wider interval


def test_bins_are_fixed_width_with_one_in_the_last() -> None:
    np.testing.assert_array_equal(bin_of(np.array([0.0, 0.05, 0.1, 0.95, 1.0])), [0, 0, 1, 9, 9])
