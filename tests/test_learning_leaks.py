"""Learning without leaks: no scripted storms in any training history, residuals and late-risk
calibration from held-out seeds (written beside the model), noisy pseudo-urgency labels."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import sim.learning.history as history_module
from policies.routing.features import feature_names
from policies.routing.router_model import (
    ModelFileError,
    load_model,
    recalibrated,
    risk_groups,
    save_model,
)
from sim.cli import train as train_cli
from sim.learning.fit import CALIBRATION_COLUMNS, calibration_table, isotonic_map
from sim.learning.history import simulate_history, survey_labels
from tests.helpers import world_of

FIXTURE = Path(__file__).with_name("fixtures") / "predictive_small.npz"

SMALL = "scenario.demand.base_rate_per_h=30"


def test_calibration_table_finds_a_miscalibrated_risk() -> None:
    rng = np.random.default_rng(5)
    p = rng.uniform(0, 1, 200_000)
    honest = calibration_table(p, rng.uniform(0, 1, len(p)) < p)
    assert len(honest) == 10 and sum(row[2] for row in honest) == len(p)
    assert max(abs(row[5]) for row in honest) < 1.0  # pp
    # break it on purpose: outcomes 10 points more often late than predicted
    skewed = calibration_table(p, rng.uniform(0, 1, len(p)) < np.clip(p + 0.1, 0, 1))
    assert max(abs(row[5]) for row in skewed) > 8.0


def test_survey_labels_carry_the_configured_noise() -> None:
    truth = np.random.default_rng(1).uniform(0, 1, 20_000) < 0.4
    assert np.array_equal(survey_labels(truth, 0.0, seed=7), truth)
    wrong = (survey_labels(truth, 0.2, seed=7) != truth).mean()
    assert abs(wrong - 0.2) < 3 * np.sqrt(0.2 * 0.8 / len(truth))


def test_training_history_never_sees_the_scripted_storms(monkeypatch: pytest.MonkeyPatch) -> None:
    storm = world_of("scenario=storm", SMALL)
    assert storm.weather.scripted  # the scenario has a scripted storm (days 10-12)
    clean = simulate_history(storm, (11,), 14, tail_days=1)
    # break it on purpose: a history that keeps the scripted storms is a different history
    monkeypatch.setattr(history_module, "public_world", lambda world: world)
    leaky = simulate_history(storm, (11,), 14, tail_days=1)
    assert not np.array_equal(clean.delivery_h, leaky.delivery_h)
    monkeypatch.undo()
    stripped = dataclasses.replace(storm, weather=dataclasses.replace(storm.weather, scripted=()))
    again = simulate_history(stripped, (11,), 14, tail_days=1)
    assert np.array_equal(clean.delivery_h, again.delivery_h)


def test_train_writes_the_late_risk_calibration_beside_the_model(tmp_path: Path) -> None:
    out = tmp_path / "m.npz"
    train_cli.main(["--seeds", "1", "2", "--days", "14", "--out", str(out), SMALL])
    table = (tmp_path / "m.calibration.csv").read_text().splitlines()
    assert table[0] == ",".join(CALIBRATION_COLUMNS)
    rows = np.array([[float(v) for v in line.split(",")] for line in table[1:]])
    assert len(rows) >= 3 and (rows[:, 2] > 0).all()
    # bins with enough orders are calibrated within 3 points (held-out seeds)
    big = rows[:, 2] >= 2000
    assert big.any() and (np.abs(rows[big, 5]) <= 3.0).all()


def test_train_refuses_a_single_seed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stop:
        train_cli.main(["--seeds", "1", "--out", str(tmp_path / "m.npz")])
    assert stop.value.code == 2
    assert "--seeds: expected two or more distinct seeds" in capsys.readouterr().err


def test_late_risk_keeps_storm_exposed_candidates_apart() -> None:
    names = feature_names(("air", "ground"))
    rows = np.zeros((3, len(names)))
    rows[:, names.index("mode_ground")] = [1, 1, 0]
    rows[:, names.index("mode_air")] = [0, 0, 1]
    rows[1, names.index("storm_at_destination")] = 1
    rows[2, names.index("storm_at_warehouse")] = 1
    assert risk_groups(rows, names, 4).tolist() == [1, 3, 2]  # mode + 2 when storm-exposed
    assert risk_groups(rows, names, 2).tolist() == [1, 1, 0]  # a model without storm groups


def test_isotonic_map_repairs_a_risk_that_runs_high_and_only_where_fitted() -> None:
    """A residual probability that runs high in its middle (as storm spreads made it) is put
    right on fresh draws by the map fitted on other draws; the identity stands without a map."""
    rng = np.random.default_rng(7)

    def draws(n: int) -> tuple[np.ndarray, np.ndarray]:
        p = rng.uniform(0, 1, n)
        return p, rng.uniform(0, 1, n) < p**1.6  # true late share below p in the middle

    p_fit, late_fit = draws(100_000)
    p_new, late_new = draws(100_000)
    raw = np.array(calibration_table(p_new, late_new))[:, -1]
    fixed = np.array(
        calibration_table(recalibrated(p_new, isotonic_map(p_fit, late_fit)), late_new)
    )[:, -1]
    assert np.abs(raw).max() > 10.0  # the broken risk is caught...
    assert np.abs(fixed).max() < 2.0  # ...and repaired on draws the map never saw
    assert recalibrated(p_new, None) is p_new


def test_a_model_file_with_a_falling_risk_map_is_refused(tmp_path: Path) -> None:
    model = load_model(FIXTURE)
    assert model.late_risk_map is not None
    broken = dataclasses.replace(model, late_risk_map=model.late_risk_map[:, ::-1].copy())
    path = save_model(broken, tmp_path / "m.npz")
    with pytest.raises(ModelFileError, match="late_risk_map"):
        load_model(path)
