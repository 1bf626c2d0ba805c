"""The aggregator on a sweep dir: files, failed and missing jobs, paired statistics, determinism."""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import re
import shutil
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from sim.cli import report as cli
from sim.report import scorecard
from sim.report.aggregate import advice_frame
from sim.report.build import ReportError, build_report
from sim.report.chart_registry import CHARTS, ChartData
from sim.report.charts import co2e_frontier, pareto
from sim.report.method import co2e_rows
from tests.sweep_factory import make_sweep

FAILED_JOB, MISSING_JOB = 5, 11  # cheapest seed 2 failed; value_tiered seed 4 never started


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sweep")
    return make_sweep(
        root,
        {"routing": "nearest,cheapest,value_tiered", "seed": "1,2,3,4"},
        failed={FAILED_JOB},
        missing={MISSING_JOB},
    )


@pytest.fixture(scope="module")
def built(sweep: Path) -> Path:
    build_report(sweep)
    return sweep


def _digests(root: Path) -> dict[str, str]:
    names = ["*.csv", "*.xlsx", "*.html", "charts/*.png"]
    files = sorted(p for pattern in names for p in root.glob(pattern))
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }


def test_report_writes_every_file_and_names_jobs_that_did_not_finish(built: Path) -> None:
    for name in ("summary.csv", "comparison.csv", "comparison.xlsx", "report.html"):
        assert (built / name).stat().st_size > 0
    assert {p.name for p in (built / "charts").glob("*.png")} >= {
        "kpi_bars.png",
        "cost_vs_nps.png",
        "cost_vs_co2e.png",
        "paired_improvement.png",
        "delivery_ecdf.png",
    }
    summary = pd.read_csv(built / "summary.csv")
    assert len(summary) == 12
    status = dict(zip(summary["job"], summary["status"], strict=True))
    assert status[FAILED_JOB] == "failed" and status[MISSING_JOB] == "missing"
    assert sum(s == "ok" for s in status.values()) == 10
    reason = summary.set_index("job").loc[FAILED_JOB, "reason"]
    assert "PolicyError" in str(reason)
    page = (built / "report.html").read_text()
    named = "(failed: baseline / cheapest seed 2; missing: baseline / value_tiered seed 4)"
    assert named in page  # by scenario x policy x seed, not only by job number


def test_comparison_pairs_by_seed_against_the_baseline(built: Path) -> None:
    summary = pd.read_csv(built / "summary.csv")
    ok = summary[summary["status"] == "ok"].set_index(["policy", "seed"])["cost_per_order"]
    comparison = pd.read_csv(built / "comparison.csv")
    row = comparison[(comparison["policy"] == "cheapest") & (comparison["kpi"] == "cost_per_order")]
    diffs = [ok[("cheapest", s)] - ok[("nearest", s)] for s in (1, 3, 4)]  # 2 failed
    assert int(row["n_pairs"].iloc[0]) == 3
    assert row["diff_mean"].iloc[0] == pytest.approx(np.mean(diffs))
    assert row["diff_ci_low"].iloc[0] <= np.mean(diffs) <= row["diff_ci_high"].iloc[0]
    base = comparison[(comparison["policy"] == "nearest") & (comparison["kpi"] == "nps")]
    assert int(base["n"].iloc[0]) == 4 and np.isnan(base["diff_mean"].iloc[0])
    assert base["ci_low"].iloc[0] <= base["mean"].iloc[0] <= base["ci_high"].iloc[0]
    assert base["worst"].iloc[0] <= base["p5"].iloc[0] <= base["p95"].iloc[0]


def test_comparison_with_the_best_covers_every_policy(built: Path) -> None:
    best = pd.read_csv(built / "best.csv")
    cost = best[best["kpi"] == "cost_per_order"]
    assert set(cost["policy"]) == {"nearest", "cheapest", "value_tiered"}
    assert cost["can_be_best"].any()


def test_the_report_opens_on_the_scorecard(built: Path) -> None:
    """First screen: title, the one-line setup, the scorecard and its sentences; details after."""
    page = (built / "report.html").read_text()
    body = page.split("<body>")[1]
    assert re.findall(r"<h2>([^<]+)</h2>", body)[:3] == ["Scorecard", "Details", "Settings"]
    first = body.split("<h2>Details</h2>")[0]
    assert "1 scenario x 3 policies x 4 seeds, 2 days each" in first
    assert "10 of 12 runs finished" in first and "against nearest" in first
    card = pd.read_csv(built / "scorecard.csv")
    assert set(card["policy"]) == {"cheapest", "value_tiered"}  # the baseline is the reference
    marked = {"on_time_rate", "cost_per_order", "nps", "delivery_time_mean_h", "co2e_kg_per_order"}
    assert set(card["kpi"]) == marked  # those the registry marks headline
    for policy in ("cheapest", "value_tiered"):
        assert f"<li>{policy} in baseline: " in first  # one sentence per scenario x policy
    coloured = card[card["verdict"].isin(["better", "worse"])]
    assert first.count("class='sc sc-better'") + first.count("class='sc sc-worse'") == len(coloured)
    assert "&lt;span" not in page  # the tables' markup is markup, not escaped text


def test_summary_opens_the_report_with_findings_and_their_cis(built: Path) -> None:
    page = (built / "report.html").read_text()
    summary = page.split("<h2>Details</h2>")[1].split("<h2>Settings</h2>")[0]
    assert "95% CI" in summary
    assert "has the best cost per order" in summary
    assert "MSER-5" in summary and "Replications" in summary
    assert "data:image/png;base64," in page and "http" not in page.split("<body>")[1]


def test_workbook_has_the_headline_and_the_tables(built: Path) -> None:
    wb = load_workbook(built / "comparison.xlsx")
    assert wb.sheetnames[:2] == ["Headline", "Comparison"]
    assert wb["Headline"]["A1"].value == "scenario"
    assert wb["Jobs"].max_row == 13  # header + 12 jobs


def test_command_rebuilds_identical_files_and_lists_the_failed_job(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / built.name
    shutil.copytree(built, copy)
    before = _digests(copy)
    assert len(before) >= 11
    assert cli.main([str(copy)]) == 0
    assert _digests(copy) == before
    out = capsys.readouterr().out
    assert "10 of 12 jobs finished" in out
    assert f"job {FAILED_JOB} failed" in out and "PolicyError" in out
    assert f"job {MISSING_JOB} missing" in out
    assert "Scorecard: difference from nearest" in out  # quotable from the terminal
    assert "- cheapest in baseline: " in out and "- value_tiered in baseline: " in out


class _ClosedPipe:
    """A stdout whose reader has gone (`ordertwin-report DIR | head` after head's lines)."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        pass


def test_command_piped_into_a_closed_reader_ends_quietly(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / built.name
    shutil.copytree(built, copy)
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    assert cli.main([str(copy)]) == 0  # a BrokenPipeError traceback without the guard
    assert (copy / "report.html").is_file()


def test_replication_advice_for_a_requested_half_width(built: Path) -> None:
    comparison = pd.read_csv(built / "comparison.csv")
    advice = advice_frame(comparison, {"delivery_time_mean_h": 1e-4, "cost_per_order": 1e3})
    tight, loose = (
        advice[advice["kpi"] == "delivery_time_mean_h"],
        advice[advice["kpi"] == "cost_per_order"],
    )
    assert (tight["replications_needed"] > tight["n"]).all() and not tight["enough"].any()
    assert loose["enough"].all()


def test_an_empty_dir_is_an_error_not_a_report(tmp_path: Path) -> None:
    with pytest.raises(ReportError):
        build_report(tmp_path)
    assert cli.main([str(tmp_path)]) == 2
    assert cli.main([str(tmp_path / "nope")]) == 2


def test_every_chart_entry_takes_the_data_it_names() -> None:
    names = [spec.name for spec in CHARTS]
    assert len(names) == len(set(names))
    available = {f.name for f in fields(ChartData)} | {
        name for name, v in vars(ChartData).items() if isinstance(v, functools.cached_property)
    }
    for spec in CHARTS:
        assert set(spec.needs) <= available, spec.name
        inspect.signature(spec.draw).bind(*spec.needs)  # the function takes them, in order


def test_report_shows_the_registry_charts_in_its_order(built: Path) -> None:
    drawn = {p.stem for p in (built / "charts").glob("*.png")}
    page = (built / "report.html").read_text()
    shown = re.findall(r'<img alt="([^"]+)"', page)
    assert shown == [spec.name for spec in CHARTS if spec.name in drawn]
    assert set(shown) == drawn


def test_co2e_reaches_summary_comparison_and_its_frontier(built: Path) -> None:
    summary = pd.read_csv(built / "summary.csv")
    ok = summary[summary["status"] == "ok"]
    assert (ok["co2e_kg_per_order"] > 0).all() and (ok["co2e_unknown_orders"] == 0).all()
    comparison = pd.read_csv(built / "comparison.csv")
    rows = comparison[comparison["kpi"] == "co2e_kg_per_order"]
    assert set(rows["policy"]) == {"nearest", "cheapest", "value_tiered"}
    assert co2e_frontier(rows.assign(mean=np.nan)) is None  # nothing known: no chart
    assert "co2e_kg_per_order" in set(pd.read_csv(built / "best.csv")["kpi"])  # a headline KPI
    page = (built / "report.html").read_text()
    assert "warning: CO2e unknown" not in page


def test_co2e_frontier_keeps_lower_emissions_and_unknown_ones_are_warned() -> None:
    points = [("air", 20.0, 2.0), ("ground", 15.0, 0.3), ("economy", 12.0, 0.4), ("x", 16.0, 0.5)]
    assert [p[0] for p in pareto(points, higher=False)] == ["economy", "ground"]
    assert [p[0] for p in pareto(points, higher=True)] == ["economy", "x", "air"]
    finished = pd.DataFrame({"co2e_unknown_orders": [0, 12, 3]})
    (row,) = co2e_rows(finished)
    assert row[0] == "warning: CO2e unknown" and "15 shipped cohort orders (2 of 3 runs)" in row[1]
    assert co2e_rows(finished.assign(co2e_unknown_orders=0)) == []


def test_unknown_co2e_is_flagged_under_the_scorecard(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / built.name
    shutil.copytree(built, copy)
    kpis_file = sorted(copy.glob("0_*/kpis.json"))[0]
    kpis = json.loads(kpis_file.read_text())
    kpis_file.write_text(json.dumps(kpis | {"co2e_unknown_orders": 7}))
    build_report(copy)
    first = (copy / "report.html").read_text().split("<h2>Details</h2>")[0]
    assert "warning: CO2e unknown: 7 shipped cohort orders (1 of 10 runs)" in first


# -- an incomplete sweep is never presented as complete


def test_every_figure_a_failed_or_missing_run_touches_says_so(built: Path) -> None:
    """cheapest lacks seed 2 (failed), value_tiered seed 4 (never started): their rows in
    comparison.csv, scorecard.csv, the scorecard's text, the report's first screen and the
    workbook say which runs are missing; nearest, whole, is complete."""
    comparison = pd.read_csv(built / "comparison.csv", keep_default_na=False, na_values=[""])
    cell = comparison.drop_duplicates(["policy"]).set_index("policy")
    assert cell.loc["nearest", "complete"] and pd.isna(cell.loc["nearest", "missing_seeds"])
    for policy, seed in (("cheapest", 2), ("value_tiered", 4)):
        assert not cell.loc[policy, "complete"]
        assert int(cell.loc[policy, "missing_seeds"]) == seed
        assert (cell.loc[policy, "n"], cell.loc[policy, "n_planned"]) == (3, 4)
    card = scorecard.load(built)  # what the app shows, read back from comparison.csv
    assert card.incomplete == {
        ("baseline", "cheapest"): "seed 2 of cheapest",
        ("baseline", "value_tiered"): "seed 4 of value_tiered",
    }
    assert list(card.table()["runs"]) == [
        "incomplete: seed 2 of cheapest did not finish",
        "incomplete: seed 4 of value_tiered did not finish",
    ]
    assert card.text().startswith("! Incomplete sweep: 2 of 2 rows lack runs")
    assert (
        "Incomplete: seed 2 of cheapest did not finish; this rests on 3 paired seeds"
        in (card.sentences[0])
    )
    written = pd.read_csv(built / "scorecard.csv")
    assert set(written[~written["complete"]]["policy"]) == {"cheapest", "value_tiered"}
    first = (built / "report.html").read_text().split("<h2>Details</h2>")[0]
    assert "Incomplete sweep: 2 of 2 rows" in first
    assert "incomplete: seed 4 of value_tiered did not finish" in first
    headline = load_workbook(built / "comparison.xlsx")["Headline"]
    assert [c.value for c in headline["D"]][:3] == [
        "runs",
        "all finished",
        "incomplete: seed 2 of cheapest did not finish",
    ]


def test_a_policy_with_no_finished_run_and_a_baseline_gap_are_named(
    built: Path, tmp_path: Path
) -> None:
    """No value_tiered run left and nearest's seed 3 gone: value_tiered stays in the tables
    (n 0, named, not compared), and cheapest's differences are marked for the baseline's gap."""
    folder = tmp_path / "copy"
    shutil.copytree(built, folder)
    for run_dir in [*folder.glob("*_value_tiered"), *folder.glob("2_baseline_nearest")]:
        shutil.rmtree(run_dir)
    build_report(folder)
    summary = pd.read_csv(folder / "summary.csv")
    never = summary[summary["policy"] == "value_tiered"]
    assert list(never["status"]) == ["missing"] * 4 and list(never["seed"]) == [1, 2, 3, 4]
    comparison = pd.read_csv(folder / "comparison.csv")
    cell = comparison.drop_duplicates(["policy"]).set_index("policy")
    assert cell.loc["value_tiered", "n"] == 0 and cell.loc["value_tiered", "missing_seeds"] == (
        "1 2 3 4"
    )
    card = scorecard.load(folder)
    assert card.incomplete[("baseline", "cheapest")] == (
        "seed 2 of cheapest and seed 3 of nearest (the baseline)"
    )
    assert set(card.cells[card.cells["policy"] == "value_tiered"]["verdict"]) == {"no data"}
    assert card.sentences[1] == (
        "value_tiered in baseline: not compared with nearest: "
        "seeds 1-4 of value_tiered and seed 3 of nearest (the baseline) did not finish."
    )
    assert "1 scenario x 3 policies x 4 seeds" in (folder / "report.html").read_text()


def test_a_comparison_written_before_cells_named_their_gaps_still_loads(
    built: Path, tmp_path: Path
) -> None:
    old = pd.read_csv(built / "comparison.csv").drop(
        columns=["n_planned", "missing_seeds", "complete"]
    )
    old.to_csv(tmp_path / "comparison.csv", index=False)
    card = scorecard.load(tmp_path)
    assert card.incomplete == {} and "runs" not in card.table().columns


def test_a_new_sweep_in_the_folder_withdraws_the_old_report_first(
    built: Path, tmp_path: Path
) -> None:
    """Every file the report writes goes when a sweep starts in its folder (an interrupted rerun
    must not leave the old report claiming the folder's jobs); the job folders stay."""
    from omegaconf import OmegaConf

    from sim.report.callback import ReportCallback

    folder = tmp_path / "copy"
    shutil.copytree(built, folder)
    jobs = sorted(p.parent.name for p in folder.glob("*/.hydra"))
    assert len(list(folder.iterdir())) > len(jobs) + 1  # the report's files are there
    config = OmegaConf.create(
        {"hydra": {"sweep": {"dir": str(folder)}, "overrides": {"task": ["seed=1,2"]}}}
    )
    ReportCallback().on_multirun_start(config)  # type: ignore[arg-type]
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted([*jobs, "multirun.yaml"])  # only what the jobs and Hydra wrote
    assert len(list(folder.glob("*/kpis.json"))) == 10  # the finished jobs keep their files
