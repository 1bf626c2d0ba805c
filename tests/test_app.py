"""The workbench without a browser: request checks, scenario forms, files, and the CLI's results.

Each request check is shown refusing a forged request and, with the guard left out on purpose,
the same request getting through: the check, not something else, is what refuses it.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("dash", reason="the [app] extra is not installed")

from scenarios.errors import ConfigError  # noqa: E402
from sim.app import scenario_form  # noqa: E402
from sim.app.folders import Folders  # noqa: E402
from sim.app.jobs import JobRunner, SweepRequest  # noqa: E402
from sim.app.security import COOKIE, HEADER, Guard  # noqa: E402
from sim.app.server import create_app  # noqa: E402

PORT = 8050
HOST = f"127.0.0.1:{PORT}"
# a Dash callback request: the tab bar shows the run page (reads nothing, writes nothing)
CALLBACK = {
    "output": "..page-scenario.style...page-run.style...page-results.style...page-nowcast.style..",
    "outputs": [
        {"id": f"page-{p}", "property": "style"} for p in ("scenario", "run", "results", "nowcast")
    ],
    "inputs": [{"id": "tabs", "property": "value", "value": "run"}],
    "changedPropIds": ["tabs.value"],
}


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")} if folder.exists() else set()


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Folders:
    monkeypatch.setenv("ORDERTWIN_HOME", str(tmp_path / "home"))
    return Folders(work=tmp_path / "work")


def client(folders: Folders, guarded: bool = True) -> Any:
    guard = Guard.for_address("127.0.0.1", PORT)
    if not guarded:  # broken on purpose: a guard that never installs its checks
        guard = _Unguarded(guard.hosts, guard.token)
    app, runner = create_app(folders, guard)
    test_client = app.server.test_client()
    test_client.token = guard.token
    test_client.runner = runner
    return test_client


class _Unguarded(Guard):
    def install(self, server: Any) -> None:
        return None


def post(test_client: Any, **headers: str) -> Any:
    return test_client.post(
        "/_dash-update-component",
        json=CALLBACK,
        headers={"Host": HOST, **headers},
    )


def with_token(test_client: Any, token: str | None = None) -> dict[str, str]:
    test_client.set_cookie(COOKIE, token or test_client.token, domain="127.0.0.1")
    return {HEADER: token or test_client.token, "Origin": f"http://{HOST}"}


@pytest.mark.parametrize("guarded", [True, False])
def test_a_host_not_allowed_is_refused(folders: Folders, guarded: bool) -> None:
    test_client = client(folders, guarded)
    response = test_client.get("/", headers={"Host": f"attacker.example:{PORT}"})
    assert (response.status_code == 421) is guarded
    response = post(test_client, **with_token(test_client), Host=f"attacker.example:{PORT}")
    assert (response.status_code == 421) is guarded


@pytest.mark.parametrize("guarded", [True, False])
def test_a_post_from_another_site_is_refused(folders: Folders, guarded: bool) -> None:
    test_client = client(folders, guarded)
    headers = {**with_token(test_client), "Origin": "https://attacker.example"}
    assert (post(test_client, **headers).status_code == 403) is guarded


@pytest.mark.parametrize("guarded", [True, False])
def test_a_post_without_or_with_a_wrong_token_is_refused(folders: Folders, guarded: bool) -> None:
    test_client = client(folders, guarded)
    assert (post(test_client, Origin=f"http://{HOST}").status_code == 403) is guarded
    wrong = with_token(test_client, "forged-token")
    assert (post(test_client, **wrong).status_code == 403) is guarded
    header_only = {HEADER: test_client.token}  # the header without the cookie
    fresh = client(folders, guarded)
    assert (post(fresh, **{HEADER: fresh.token}).status_code == 403) is guarded
    assert header_only  # (the first client's token never reached the fresh one)


def test_the_allowed_hosts_are_the_address_served() -> None:
    assert Guard.for_address("127.0.0.1", 8050).hosts == {
        "127.0.0.1:8050",
        "localhost:8050",
        "[::1]:8050",
    }
    assert "[::1]:9000" in Guard.for_address("::1", 9000).hosts
    exposed = Guard.for_address("0.0.0.0", 8050, ["planning.example"]).hosts
    assert "planning.example:8050" in exposed and "0.0.0.0:8050" not in exposed


def test_the_page_sets_the_token_and_a_post_with_it_is_answered(folders: Folders) -> None:
    test_client = client(folders)
    page = test_client.get("/", headers={"Host": HOST})
    assert page.status_code == 200
    cookie = page.headers["Set-Cookie"]
    assert f"{COOKIE}={test_client.token}" in cookie and "SameSite=Strict" in cookie
    response = post(test_client, **with_token(test_client))
    assert response.status_code == 200
    shown = response.get_json()["response"]["page-run"]["style"]
    assert shown == {"display": "block"}
    assert test_client.put("/", headers={"Host": HOST}).status_code == 405


def test_get_never_runs_or_writes(folders: Folders) -> None:
    test_client = client(folders)
    before = files_under(folders.work) | files_under(folders.conf)
    paths = [
        "/",
        "/_dash-layout",
        "/_dash-dependencies",
        "/_dash-update-component",
        "/files/sweeps/x/report.html",
        "/files/../../etc/passwd",
        "/files/%2e%2e/%2e%2e/etc/passwd",
        "/_reload-hash",
    ]
    for path in paths:
        response = test_client.get(path, headers={"Host": HOST})
        assert response.status_code in (200, 204, 404, 405), (path, response.status_code)
    assert test_client.runner.jobs == {}
    assert files_under(folders.work) | files_under(folders.conf) == before


def test_files_are_served_only_from_the_results_folder(folders: Folders, tmp_path: Path) -> None:
    chart = folders.results / "sweeps" / "d" / "t" / "charts" / "kpi_bars.png"
    chart.parent.mkdir(parents=True)
    chart.write_bytes(b"\x89PNG\r\n")
    (tmp_path / "secret.csv").write_text("secret\n")
    (folders.results / "link.csv").symlink_to(tmp_path / "secret.csv")
    test_client = client(folders)
    ok = test_client.get("/files/sweeps/d/t/charts/kpi_bars.png", headers={"Host": HOST})
    assert ok.status_code == 200 and ok.data == b"\x89PNG\r\n"
    for path in ("/files/../secret.csv", "/files/link.csv", "/files/sweeps/d/t/charts"):
        assert test_client.get(path, headers={"Host": HOST}).status_code == 404, path


@functools.cache
def _storm() -> dict[str, Any]:
    return scenario_form.compose_scenario("storm")


def _storm_form() -> dict[str, Any]:
    form = scenario_form.form_of(_storm())
    form["scenario.weather.storms.new.region"] = "southeast"
    form["scenario.weather.storms.new.start"] = "2026-01-08"
    form["scenario.warehouses.south.pickers"] = 11
    return form


@pytest.mark.parametrize(
    "name", ["../escape", "a/b", ".hidden", "x\n", "baseline", "", "has space", "é"]
)
def test_a_scenario_name_cannot_escape_or_shadow(folders: Folders, name: str) -> None:
    with pytest.raises(ConfigError) as err:
        scenario_form.save(folders, name, "storm", _storm_form())
    assert err.value.key == "name"
    assert files_under(folders.conf) == set() and files_under(folders.work) == set()


def test_a_saved_scenario_is_what_the_cli_composes(folders: Folders) -> None:
    saved = scenario_form.save(folders, "storm_more_pickers", "storm", _storm_form())
    assert saved.path == folders.conf / "scenario" / "storm_more_pickers.yaml"
    assert files_under(folders.work) == set()
    composed = scenario_form.compose_scenario("storm_more_pickers")
    assert scenario_form.user_scenarios(folders) == ["storm_more_pickers"]
    assert scenario_form.root_of("storm_more_pickers", folders) == "storm"
    # edited again and saved under its own name: still on storm, the new value kept
    form = scenario_form.form_of(composed)
    form["scenario.demand.base_rate_per_h"] = 150.0
    scenario_form.save(folders, "storm_more_pickers", "storm_more_pickers", form)
    again = scenario_form.compose_scenario("storm_more_pickers")
    assert composed["warehouses"]["south"]["pickers"] == 11
    assert composed["warehouses"]["east"]["pickers"] == 9
    assert composed["weather"]["storms"][-1]["region"] == "southeast"
    assert len(composed["weather"]["storms"]) == 4  # storm's three, and the new one
    assert again["demand"]["base_rate_per_h"] == 150.0
    assert again["warehouses"]["south"]["pickers"] == 11


@pytest.mark.parametrize(
    ("key", "value", "field", "expected"),
    [
        (
            "scenario.weather.storms.new.region",
            "atlantis",
            "scenario.weather.storms.new.region",
            "scenario.weather.storms[3].region: expected a known region",
        ),
        (
            "scenario.inventory.sync_interval_h",
            -1,
            "scenario.inventory.sync_interval_h",
            "scenario.inventory.sync_interval_h: expected",
        ),
        (
            "scenario.warehouses.south.shifts",
            "6+30",
            "scenario.warehouses.south.shifts",
            "scenario.warehouses.south.shifts[0].length_h: expected a value in",
        ),
        (
            "scenario.warehouses.south.pickers",
            "x",
            "scenario.warehouses.south.pickers",
            "scenario.warehouses.south.pickers: expected a whole number, got 'x'",
        ),
        (
            "scenario.demand.base_rate_per_h",
            -5,
            "scenario.demand.base_rate_per_h",
            "scenario.demand.base_rate_per_h: expected a number > 0, got -5.0",
        ),
    ],
)
def test_bad_input_is_the_cli_line_beside_its_field(
    folders: Folders, key: str, value: Any, field: str, expected: str
) -> None:
    form = _storm_form()
    form[key] = value
    with pytest.raises(ConfigError) as err:
        scenario_form.save(folders, "bad", "storm", form)
    assert str(err.value).startswith(expected)
    assert scenario_form.field_for(err.value.key, list(form)) == field
    assert files_under(folders.conf) == set()


def test_the_rate_error_is_the_one_the_cli_prints(folders: Folders, tmp_path: Path) -> None:
    """The same line as ``ordertwin scenario.demand.base_rate_per_h=-5`` (README, Bad input)."""
    done = subprocess.run(
        [sys.executable, "-m", "sim", "scenario.demand.base_rate_per_h=-5"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    line = done.stderr.strip().splitlines()[-1].removeprefix("ordertwin: error: ")
    form = _storm_form()
    form["scenario.demand.base_rate_per_h"] = -5
    with pytest.raises(ConfigError) as err:
        scenario_form.save(folders, "bad", "storm", form)
    assert str(err.value) == line


def test_the_cli_does_not_import_the_app_framework() -> None:
    code = (
        "import sys, sim.cli.run, sim.cli.app; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dash', 'flask', 'selenium', "
        "'plotly', 'werkzeug'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("seeds", 0, "seeds"),
        ("horizon_days", 0.0, "horizon_days"),
        ("warmup_days", 9.0, "warmup_days"),
        ("routings", (), "routings"),
        ("scenarios", ("../x",), "scenarios"),
    ],
)
def test_a_bad_sweep_request_names_its_field(field: str, value: Any, key: str) -> None:
    fields: dict[str, Any] = {
        "scenarios": ("baseline",),
        "routings": ("nearest",),
        "monitoring": "none",
        "seeds": 2,
        "horizon_days": 7.0,
        "warmup_days": 1.0,
    }
    fields[field] = value
    with pytest.raises(ConfigError) as err:
        SweepRequest(**fields).checked()
    assert err.value.key == key


def _decoded(folder: Path) -> dict[str, Any]:
    """A sweep's files as values: each run's orders and KPIs, the summary and comparison."""
    out: dict[str, Any] = {}
    for run in sorted(p.parent for p in folder.glob("*/kpis.json")):
        out[f"{run.name}/kpis.json"] = json.loads((run / "kpis.json").read_text())
        out[f"{run.name}/orders.parquet"] = pd.read_parquet(run / "orders.parquet")
    for table in ("summary.csv", "comparison.csv"):
        out[table] = (folder / table).read_text()
    return out


@pytest.fixture(scope="module")
def tiny_sweeps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The same tiny sweep (baseline, nearest vs rules, 2 seeds x 2 days) from the app and the
    CLI."""
    root = tmp_path_factory.mktemp("same")
    folders = Folders(work=root / "app")
    request = SweepRequest(("baseline",), ("nearest", "rules"), "none", 2, 2.0, 1.0)
    runner = JobRunner(folders)
    job = runner.get(runner.start_sweep(request))
    assert job is not None
    cli_dir = root / "cli" / "sweep"
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    cli = subprocess.run(  # what a planner types
        [
            sys.executable,
            "-m",
            "sim",
            "-m",
            "scenario=baseline",
            "routing=nearest,rules",
            "monitoring=none",
            "seed=1,2",
            "horizon_days=2",
            "warmup_days=1",
            "progress=false",
            "hydra/launcher=joblib",
            "hydra.launcher.n_jobs=2",
            f"hydra.sweep.dir={cli_dir}",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    assert cli.returncode == 0, cli.stderr[-2000:]
    assert job.process.wait(timeout=600) == 0, job.log_text()[-2000:]
    assert job.done_count() == job.total == 4
    yield job.out_dir, cli_dir


def test_the_apps_sweep_gives_the_clis_files(tiny_sweeps: tuple[Path, Path]) -> None:
    app, cli = _decoded(tiny_sweeps[0]), _decoded(tiny_sweeps[1])
    assert sorted(app) == sorted(cli) and len(app) == 4 * 2 + 2
    for name, value in app.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, cli[name])
        else:
            assert value == cli[name], name
    relative = tiny_sweeps[0].relative_to(tiny_sweeps[0].parents[3])
    assert relative.parts[:2] == ("results", "sweeps")  # the CLI's folder pattern


def test_the_results_page_reads_the_sweep(tiny_sweeps: tuple[Path, Path]) -> None:
    from sim.app import results

    sweep = tiny_sweeps[0]
    folders = Folders(work=sweep.parents[3])
    assert results.sweeps(folders) == [str(sweep.relative_to(folders.results))]
    view = results.read_sweep(folders, results.sweeps(folders)[0])
    assert list(view.summary["status"]) == ["ok"] * 4
    # the report's own scorecard: rules against nearest, its verdicts those of scorecard.csv
    assert view.baseline == "nearest" and list(view.scorecard["policy"]) == ["rules"]
    written = pd.read_csv(sweep / "scorecard.csv")
    assert sorted(view.verdicts.drop(columns=["scenario", "policy"]).iloc[0]) == sorted(
        written["verdict"]
    )
    assert len(view.sentences) == 1 and view.sentences[0].startswith("rules in baseline")
    assert list(view.risk.columns[-4:]) == ["best", "worst", "p5", "p95"] and len(view.risk) > 0
    assert any(d.endswith("report.html") for d in view.downloads)
    assert any(png.endswith("delivery_ecdf.png") for png, _ in view.charts)


def test_the_results_page_says_when_runs_are_missing(
    tiny_sweeps: tuple[Path, Path], tmp_path: Path
) -> None:
    """A sweep short of a run: the page opens its sentences with the warning, and the scorecard
    names the missing run, as the report does."""
    from sim.app import results
    from sim.report.build import build_report

    folders = Folders(work=tmp_path / "work")
    sweep = folders.results / "sweeps" / "short"
    shutil.copytree(tiny_sweeps[1], sweep)
    (gone,) = sweep.glob("3_*")  # rules, seed 2
    shutil.rmtree(gone)
    build_report(sweep)
    view = results.read_sweep(folders, "sweeps/short")
    assert view.sentences[0].startswith("Incomplete sweep: 1 of 1 rows lack runs")
    assert list(view.scorecard["runs"]) == ["incomplete: seed 2 of rules did not finish"]
    assert list(view.summary["status"]) == ["ok"] * 3 + ["missing"]


def test_a_sweep_the_cli_refuses_shows_its_one_line(folders: Folders) -> None:
    runner = JobRunner(folders)
    job = runner.get(
        runner.start_sweep(SweepRequest(("no_such_scenario",), ("nearest",), "none", 1, 2.0, 1.0))
    )
    assert job is not None and job.process.wait(timeout=300) == 2
    assert job.status().startswith("failed (exit 2): ordertwin: error: scenario: expected one of")
    assert not job.out_dir.exists()  # refused before Hydra made the sweep folder


def test_a_nowcast_reads_only_snapshots_under_results(folders: Folders, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "snapshot"
    outside.mkdir(parents=True)
    (outside / "manifest.json").write_text("{}")
    runner = JobRunner(folders)
    for path, key in ((outside, "snapshot"), (Path("../elsewhere/snapshot"), "snapshot")):
        with pytest.raises(ConfigError) as err:
            runner.start_nowcast(path, "storm", 1.0, 10)
        assert err.value.key == key
    (folders.results / "empty").mkdir(parents=True)
    with pytest.raises(ConfigError, match="manifest.json"):
        runner.start_nowcast(Path("empty"), "storm", 1.0, 10)
    assert runner.jobs == {}


def test_the_risk_list_pages_riskiest_first(folders: Folders) -> None:
    from sim.app import results

    out = folders.results / "nowcasts" / "n1"
    out.mkdir(parents=True)
    table = pd.DataFrame({"order_id": range(60), "p_on_time": [i / 60 for i in range(60)]})
    table.to_parquet(out / "risk.parquet", index=False)
    first, pages = results.risk_page(folders, Path("nowcasts/n1"), 0)
    assert pages == 3 and list(first["order_id"]) == list(range(25))
    last, _ = results.risk_page(folders, Path("nowcasts/n1"), 99)  # clamped to the last page
    assert list(last["order_id"]) == list(range(50, 60))


def test_without_the_extra_the_command_says_so_in_one_line() -> None:
    code = (
        "import sys; sys.modules['dash'] = sys.modules['flask'] = None; "
        "from sim.cli.app import main; main(['--port', '8050'])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() in {
        f'ordertwin-app: error: {name} is missing: pip install "ordertwin[app]"'
        for name in ("dash", "flask")
    }


def test_a_scenario_written_after_the_start_is_offered_on_the_next_page_load(
    folders: Folders,
) -> None:
    """ordertwin-calibrate writing a scenario while the app runs: the next page load lists it
    (a layout built once at the start would not)."""
    test_client = client(folders)
    name = "written_later"
    assert name not in test_client.get("/_dash-layout", headers={"Host": HOST}).get_data(True)
    folder = folders.conf / "scenario"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text("defaults:\n  - baseline\n  - _self_\n")
    layout_json = test_client.get("/_dash-layout", headers={"Host": HOST}).get_data(True)
    assert f'"value": "{name}"' in layout_json or f'"value":"{name}"' in layout_json
