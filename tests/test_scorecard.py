"""The scorecard: Holm's correction within scenario x KPI, the colours it allows, the sentences,
and a KPI joining it through its registry entry alone. Synthetic comparisons: no runs needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.engine import kpis as registry
from sim.report import scorecard as sc
from sim.report.aggregate import comparison_frame
from sim.report.html import scorecard_table
from sim.report.kpis import HEADLINE, scorecard_kpis

SEEDS = (1, 2, 3, 4, 5)
NOISE = np.array([0.3, -0.3, 0.2, -0.2, 0.0])  # sums to zero: the paired mean is exact


def _comparison_with_p(p_values: dict[str, float], kpi: str = "on_time_rate") -> pd.DataFrame:
    """A comparison table as ``comparison.csv`` has it, one scenario, chosen p-values."""
    rows = [{"policy": "nearest", "diff_mean": np.nan, "diff_p_value": np.nan, "n_pairs": 0}]
    rows += [
        {"policy": p, "diff_mean": 0.01, "diff_p_value": v, "n_pairs": 5}
        for p, v in p_values.items()
    ]
    frame = pd.DataFrame(rows).assign(scenario="storm", kpi=kpi, baseline="nearest")
    return frame.assign(diff_ci_low=frame["diff_mean"] - 0.005, diff_ci_high=0.02)


def _summary(effects: dict[str, dict[str, float]], scale: dict[str, float]) -> pd.DataFrame:
    """Jobs of one scenario on common seeds: each policy = baseline + its effect + small noise."""
    rng = np.random.default_rng(7)
    base = {"on_time_rate": 0.9, "cost_per_order": 14.0, "nps": 40.0, "delivery_time_mean_h": 50.0}
    seed_level = {k: v + rng.normal(0, 5 * scale[k], len(SEEDS)) for k, v in base.items()}
    rows = []
    for policy, effect in {"nearest": {}, **effects}.items():
        for i, seed in enumerate(SEEDS):
            row = {"job": len(rows), "status": "ok", "scenario": "storm", "policy": policy}
            row |= {"routing": policy, "monitoring": "none", "seed": seed}
            for kpi, level in seed_level.items():
                noise = NOISE[i] * scale[kpi] if effect else 0.0
                row[kpi] = level[i] + effect.get(kpi, 0.0) + noise
            rows.append(row)
    return pd.DataFrame(rows)


SCALE = {"on_time_rate": 0.001, "cost_per_order": 0.05, "nps": 0.2, "delivery_time_mean_h": 0.3}


def test_holm_agrees_with_statsmodels_on_random_families() -> None:
    """The hand-written Holm (kept: statsmodels' multitest costs ~0.9 s to import at report time)
    against the library's, NaN (untested) entries left out of the family."""
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(7)
    for _ in range(300):
        p = rng.uniform(0.0, 0.2, size=int(rng.integers(1, 9)))
        p[rng.uniform(size=len(p)) < 0.2] = np.nan
        tested = np.isfinite(p)
        got = sc.holm(p)
        assert np.isnan(got[~tested]).all()
        if tested.any():
            expected = multipletests(p[tested], method="holm")[1]
            np.testing.assert_allclose(got[tested], expected, rtol=1e-12)


def test_holm_matches_a_hand_worked_example() -> None:
    # sorted: 0.005 x 4 = 0.02; 0.01 x 3 = 0.03; 0.03 x 2 = 0.06; 0.04 x 1 = 0.04 -> 0.06 (monotone)
    adjusted = sc.holm([0.01, np.nan, 0.04, 0.03, 0.005])
    assert adjusted[[0, 2, 3, 4]] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert np.isnan(adjusted[1])  # untested: not counted in m
    assert list(sc.holm([0.6, 0.7])) == [1.0, 1.0]  # capped


def test_only_what_survives_holm_is_coloured() -> None:
    # three policies, each p < 5% alone; Holm: 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 -> 0.06
    card = sc.scorecard(_comparison_with_p({"rules": 0.01, "cheapest": 0.04, "value": 0.03}))
    cells = card.cells.set_index("policy")
    assert list(cells["verdict"]) == [sc.BETTER, sc.SAME, sc.SAME]
    assert cells.loc["rules", "p_holm"] == pytest.approx(0.03)
    assert cells.loc["cheapest", "p_holm"] == pytest.approx(0.06)
    assert set(cells["family_size"]) == {3}
    assert "nearest" not in cells.index  # the baseline is the reference, not a row


def test_without_the_correction_the_borderline_cells_would_be_coloured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Break it on purpose: no correction colours the two borderline cells the test above
    requires grey, so that test fails when the correction is dropped."""
    monkeypatch.setattr(sc, "holm", lambda p: np.asarray(p, dtype=float))
    card = sc.scorecard(_comparison_with_p({"rules": 0.01, "cheapest": 0.04, "value": 0.03}))
    assert list(card.cells["verdict"]) == [sc.BETTER, sc.BETTER, sc.BETTER]


def test_families_are_scenario_by_kpi() -> None:
    """Another scenario or KPI does not enlarge a family: each keeps its own Holm factor."""
    one = _comparison_with_p({"rules": 0.03})
    other_kpi = _comparison_with_p({"rules": 0.03}, kpi="nps")
    other_scenario = one.assign(scenario="calm")
    card = sc.scorecard(pd.concat([one, other_kpi, other_scenario], ignore_index=True))
    assert list(card.cells["family_size"]) == [1, 1, 1]
    assert list(card.cells["verdict"]) == [sc.BETTER] * 3


def test_a_clear_trade_off_is_one_sentence_naming_both_with_units() -> None:
    summary = _summary({"rules": {"on_time_rate": 0.011, "cost_per_order": 0.90}}, SCALE)
    comparison = comparison_frame(summary, "nearest")
    card = sc.scorecard(comparison)
    verdicts = card.cells.set_index("kpi")["verdict"]
    assert verdicts["on_time_rate"] == sc.BETTER and verdicts["cost_per_order"] == sc.WORSE
    assert verdicts["nps"] == sc.SAME and verdicts["delivery_time_mean_h"] == sc.SAME
    (sentence,) = card.sentences
    assert sentence == (
        "rules in storm: 1.1 pp higher on-time rate for 0.90 USD higher cost per order, "
        "against nearest."
    )
    shown = card.table().set_index("policy")
    assert shown.loc["rules", "on-time rate"] == "+1.1 pp"
    assert shown.loc["rules", "cost per order (USD)"] == "+0.90 USD"
    text = card.text()  # what ordertwin-report prints
    assert "+1.1 pp [better]" in text and "+0.90 USD [worse]" in text and sentence in text


def test_no_difference_is_grey_and_claims_no_trade_off() -> None:
    card = sc.scorecard(comparison_frame(_summary({"rules": {"nps": 0.0}}, SCALE), "nearest"))
    assert set(card.cells["verdict"]) == {sc.SAME}
    (sentence,) = card.sentences
    assert " for " not in sentence
    assert sentence == (
        "rules in storm: no headline KPI differs significantly from nearest (Holm-corrected, 5%)."
    )


def test_a_kpi_joins_the_scorecard_through_its_registry_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``co2e_kg_per_order`` marked headline in the registry appears, with its unit; a KPI not
    marked (return rate) does not: no scorecard code names either."""
    co2 = registry.Kpi(
        "co2e_kg_per_order",
        "CO2e per order (kg)",
        "kg",
        "lower",
        "{:.3f}",
        lambda o: 0.0,
        headline=True,
    )
    monkeypatch.setitem(registry.BY_KEY, co2.key, co2)
    scale = SCALE | {"co2e_kg_per_order": 0.002, "return_rate": 0.001}
    summary = _summary({"rail": {"co2e_kg_per_order": -0.25}}, SCALE).assign(
        co2e_kg_per_order=lambda f: (
            1.5
            + np.where(f["policy"] == "rail", -0.25, 0.0)
            + np.concatenate([NOISE, np.roll(NOISE, 1)]) * scale["co2e_kg_per_order"]
        ),
        return_rate=0.05,
    )
    card = sc.scorecard(comparison_frame(summary, "nearest"))
    assert card.kpis == [
        "on_time_rate",
        "cost_per_order",
        "nps",
        "delivery_time_mean_h",
        "co2e_kg_per_order",
    ]
    row = card.cells.set_index("kpi").loc["co2e_kg_per_order"]
    assert row["unit"] == "kg" and row["verdict"] == sc.BETTER
    assert "0.25 kg lower CO2e per order" in card.sentences[0]


def test_one_policy_only_says_so() -> None:
    card = sc.scorecard(_comparison_with_p({}))
    assert card.cells.empty and card.table().empty
    assert card.sentences == ["Only nearest ran: no policy to compare with the baseline."]


def test_load_names_the_file_it_cannot_use(tmp_path: Path) -> None:
    (tmp_path / "comparison.csv").write_text("scenario,policy\nstorm,rules\n")
    with pytest.raises(ValueError, match=r"comparison\.csv: .*lacks column\(s\) baseline, kpi"):
        sc.load(tmp_path)
    with pytest.raises(ValueError, match="cannot read"):
        sc.load(tmp_path / "nowhere")


def test_names_from_the_sweep_stay_text_in_the_html() -> None:
    xss = "<img src=x onerror=alert(1)>"
    frame = _comparison_with_p({xss: 0.01, "rules": 0.5}).assign(scenario=xss)
    page = str(scorecard_table(sc.scorecard(frame)))
    assert xss not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("class='sc sc-better'") == 1 and page.count("class='sc sc-grey'") == 1


def test_load_reads_comparison_csv_back_with_names_kept(tmp_path: Path) -> None:
    frame = _comparison_with_p({"NA": 0.01, "none": 0.5})
    frame.to_csv(tmp_path / "comparison.csv", index=False, float_format="%.10g")
    card = sc.load(tmp_path)
    assert list(card.cells["policy"]) == ["NA", "none"]  # names, not missing values
    assert list(card.cells["verdict"]) == list(sc.scorecard(frame).cells["verdict"])


def test_the_scorecards_kpis_are_among_the_reports_headline_kpis() -> None:
    """What the scorecard shows is also in best.csv and the workbook's Headline sheet."""
    marked = scorecard_kpis(entry.key for entry in registry.KPIS)
    assert {"cost_per_order", "co2e_kg_per_order", "on_time_rate", "nps"} <= set(marked)
    assert set(marked) <= set(HEADLINE)
