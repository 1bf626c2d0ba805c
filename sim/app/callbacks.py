"""What the pages do: each callback reads a form or a file, or starts a job, and answers the page.

Callbacks are Dash POSTs (checked by :mod:`sim.app.security`); those that write or run
(saving a scenario, starting a sweep or a now-cast) fire only on a button's click, never when a
page loads. Bad input comes back as the CLI's one-line message beside its field.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import dash
from dash import ALL, Input, Output, State, html
from dash.exceptions import PreventUpdate
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from scenarios.errors import ConfigError
from sim.app import layout, results, scenario_form
from sim.app.folders import Folders
from sim.app.jobs import JobRunner, SweepRequest
from sim.app.layout import PAGES

RUN_FIELDS = ("scenarios", "routings", "monitoring", "seeds", "horizon_days", "warmup_days")
NOWCAST_FIELDS = ("snapshot", "nowcast-scenario", "days", "replications")
BAD_INPUT = (ConfigError, HydraException, OmegaConfBaseException, ValueError)


def message(err: BaseException) -> str:
    """The CLI's one line for bad input (``key: expected ..., got ...``)."""
    return " ".join(str(err).split())


def options(names: list[str]) -> list[dict[str, str]]:
    return [{"label": n, "value": n} for n in names]


def register(app: dash.Dash, folders: Folders, runner: JobRunner) -> None:
    """Wire the pages to the folders and the job runner."""

    @app.callback(
        [Output(f"page-{value}", "style") for value, _ in PAGES],
        Input("tabs", "value"),
    )
    def show_page(tab: str) -> list[dict[str, str]]:
        return [{"display": "block" if value == tab else "none"} for value, _ in PAGES]

    @app.callback(
        Output("levers", "children"),
        Output("base-error", "children"),
        Input("base-scenario", "value"),
    )
    def show_levers(base: str) -> tuple[Any, str]:
        try:
            scenario = scenario_form.compose_scenario(base)
        except BAD_INPUT as err:
            return [], message(err)
        return layout.levers_form(scenario_form.form_of(scenario), scenario), ""

    @app.callback(
        Output("save-status", "children"),
        Output("saved-yaml", "children"),
        Output({"type": "lever-error", "key": ALL}, "children"),
        Output("name-error", "children"),
        Output("base-scenario", "options"),
        Output("run-scenarios", "options"),
        Output("nowcast-scenario", "options"),
        Output("run-scenarios", "value"),
        Input("save-scenario", "n_clicks"),
        State("save-name", "value"),
        State("base-scenario", "value"),
        State({"type": "lever", "key": ALL}, "value"),
        State({"type": "lever", "key": ALL}, "id"),
        prevent_initial_call=True,
    )
    def save_scenario(
        _clicks: int, name: str, base: str, values: list[Any], ids: list[dict[str, str]]
    ) -> tuple[Any, ...]:
        keys = [i["key"] for i in ids]
        errors = [""] * len(keys)
        form = dict(zip(keys, values, strict=True))
        try:
            saved = scenario_form.save(folders, name or "", base, form)
        except BAD_INPUT as err:
            key = getattr(err, "key", "")
            field = scenario_form.field_for(key, keys) if key else None
            name_error = message(err) if key == "name" or field is None else ""
            if field is not None and key != "name":
                errors[keys.index(field)] = message(err)
            status = "Not saved: fix the field marked in red."
            none = dash.no_update
            return status, "", errors, name_error, none, none, none, none
        choices = options(scenario_form.scenario_names(folders))
        status = f"Saved {saved.path}; run it with: ordertwin scenario={saved.name}"
        return status, saved.yaml_text, errors, "", choices, choices, choices, [saved.name]

    @app.callback(
        Output("sweep-job", "data"),
        Output("run-status", "children"),
        Output("run-progress", "value"),
        Output("run-progress", "max"),
        Output("run-command", "children"),
        [Output(f"{key}-error", "children") for key in RUN_FIELDS],
        Output("results-sweep", "options", allow_duplicate=True),
        Output("results-sweep", "value", allow_duplicate=True),
        Input("run-sweep", "n_clicks"),
        Input("poll", "n_intervals"),
        State("run-scenarios", "value"),
        State("run-routings", "value"),
        State("run-monitoring", "value"),
        State("run-seeds", "value"),
        State("run-horizon", "value"),
        State("run-warmup", "value"),
        State("sweep-job", "data"),
        prevent_initial_call=True,
    )
    def sweep(
        _clicks: int,
        _tick: int,
        scenarios: list[str] | None,
        routings: list[str] | None,
        monitoring: str,
        seeds: Any,
        horizon: Any,
        warmup: Any,
        state: dict[str, Any] | None,
    ) -> tuple[Any, ...]:
        none = dash.no_update
        errors: list[Any] = [""] * len(RUN_FIELDS)
        if dash.ctx.triggered_id == "run-sweep":
            current = runner.get((state or {}).get("id"))
            if current is not None and current.returncode is None:
                return (
                    none,
                    "A comparison is already running.",
                    none,
                    none,
                    none,
                    *errors,
                    none,
                    none,
                )
            try:
                request = SweepRequest(
                    tuple(scenarios or ()),
                    tuple(routings or ()),
                    str(monitoring),
                    _whole(seeds, "seeds"),
                    _days(horizon, "horizon_days"),
                    _days(warmup, "warmup_days"),
                ).checked()
                job_id = runner.start_sweep(request)
            except BAD_INPUT as err:
                key = getattr(err, "key", "")
                if key in RUN_FIELDS:
                    errors[RUN_FIELDS.index(key)] = message(err)
                return none, f"Not started: {message(err)}", none, none, none, *errors, none, none
            job = runner.get(job_id)
            assert job is not None
            command = "ordertwin -m " + " ".join(job.argv[4:])
            state = {"id": job_id, "announced": False}
            return (state, job.status(), "0", str(job.total), command, *errors, none, none)
        job = runner.get((state or {}).get("id"))
        if job is None or (state or {}).get("announced"):
            raise PreventUpdate
        status = job.status()
        if job.returncode is None:
            return none, status, str(job.done_count()), none, none, *errors, none, none
        state = {**(state or {}), "announced": True}
        relative = str(job.out_dir.relative_to(folders.results))
        found = results.sweeps(folders)
        chosen = relative if relative in found else none
        if job.returncode == 0:
            status += f" - see 3. Results ({relative})"
        done = str(job.done_count())
        return state, status, done, none, none, *errors, options(found), chosen

    @app.callback(
        Output("results-sweep", "options"),
        Output("nowcast-snapshot", "options"),
        Output("nowcast-out", "options"),
        Input("tabs", "value"),
    )
    def refresh_lists(_tab: str) -> tuple[Any, ...]:
        return (
            options(results.sweeps(folders)),
            options(results.snapshots(folders)),
            options(nowcasts(folders)),
        )

    @app.callback(
        Output("results-downloads", "children"),
        Output("results-sentences", "children"),
        Output("results-scorecard", "children"),
        Output("results-risk", "children"),
        Output("results-charts", "children"),
        Output("results-summary", "children"),
        Output("sweep-error", "children"),
        Input("results-sweep", "value"),
    )
    def show_sweep(relative: str | None) -> tuple[Any, ...]:
        if not relative:
            return [], [], "", "", [], "", ""
        try:
            view = results.read_sweep(folders, relative)
        except (*BAD_INPUT, OSError) as err:
            return [], [], "", "", [], "", message(err)
        links = [
            html.A(
                f"Download {Path(d).name}",
                href=f"/files/{d}?download=1",
                id=f"download-{Path(d).name.replace('.', '-')}",
                style={"marginRight": "1.5em"},
            )
            for d in view.downloads
        ]
        reading = (
            f"Each KPI's difference from {view.baseline}, paired by seed; green (better) or "
            "orange (worse) only where significant at 5% after Holm's correction within each "
            "scenario and KPI, as in report.html."
        )
        sentences = [html.P(reading), html.Ul([html.Li(s) for s in view.sentences])]
        charts = [
            html.Figure(
                [html.Img(src=f"/files/{png}", style={"maxWidth": "100%"}), html.Figcaption(c)]
            )
            for png, c in view.charts
        ]
        keep = [c for c in view.summary.columns if c in ("status", "scenario", "policy", "seed")]
        return (
            links,
            sentences,
            layout.table(
                view.scorecard, "scorecard-table", coloured=results.coloured(view.verdicts)
            ),
            layout.table(view.risk, "risk-view-table", page_size=10),
            charts,
            layout.table(view.summary[keep], "summary-table", page_size=10),
            "",
        )

    @app.callback(
        Output("nowcast-job", "data"),
        Output("nowcast-status", "children"),
        [Output(f"{key}-error", "children") for key in NOWCAST_FIELDS],
        Output("nowcast-out", "options", allow_duplicate=True),
        Output("nowcast-out", "value"),
        Input("run-nowcast", "n_clicks"),
        Input("poll", "n_intervals"),
        State("nowcast-snapshot", "value"),
        State("nowcast-scenario", "value"),
        State("nowcast-days", "value"),
        State("nowcast-replications", "value"),
        State("nowcast-job", "data"),
        prevent_initial_call=True,
    )
    def nowcast(
        _clicks: int,
        _tick: int,
        snapshot: str | None,
        scenario: str,
        days: Any,
        replications: Any,
        state: dict[str, Any] | None,
    ) -> tuple[Any, ...]:
        none = dash.no_update
        errors: list[Any] = [""] * len(NOWCAST_FIELDS)
        if dash.ctx.triggered_id == "run-nowcast":
            try:
                if not snapshot:
                    raise ConfigError("snapshot", "a snapshot folder under the results folder")
                job_id = runner.start_nowcast(
                    Path(snapshot),
                    str(scenario),
                    _days(days, "days"),
                    _whole(replications, "replications"),
                )
            except BAD_INPUT as err:
                key = {"scenario": "nowcast-scenario"}.get(getattr(err, "key", ""), "")
                key = key or getattr(err, "key", "")
                if key in NOWCAST_FIELDS:
                    errors[NOWCAST_FIELDS.index(key)] = message(err)
                return none, f"Not started: {message(err)}", *errors, none, none
            job = runner.get(job_id)
            assert job is not None
            return {"id": job_id, "announced": False}, "running", *errors, none, none
        job = runner.get((state or {}).get("id"))
        if job is None or (state or {}).get("announced"):
            raise PreventUpdate
        if job.returncode is None:
            return none, "running", *errors, none, none
        state = {**(state or {}), "announced": True}
        relative = str(job.out_dir.relative_to(folders.results))
        found = nowcasts(folders)
        chosen = relative if relative in found else none
        return state, job.status(), *errors, options(found), chosen

    @app.callback(
        Output("risk-table", "children"),
        Output("risk-page-label", "children"),
        Output("risk-page", "data"),
        Output("nowcast-error", "children"),
        Input("nowcast-out", "value"),
        Input("risk-prev", "n_clicks"),
        Input("risk-next", "n_clicks"),
        State("risk-page", "data"),
    )
    def risk(relative: str | None, _prev: int, _next: int, page: int | None) -> tuple[Any, ...]:
        if not relative:
            return "", "", 0, ""
        step = {"risk-prev": -1, "risk-next": 1}.get(str(dash.ctx.triggered_id), 0)
        page = 0 if step == 0 else int(page or 0) + step
        try:
            rows, pages = results.risk_page(folders, Path(relative), page)
        except (*BAD_INPUT, OSError) as err:
            return "", "", 0, message(err)
        page = min(max(page, 0), pages - 1)
        label = f"page {page + 1} of {pages} (riskiest first)"
        return layout.table(rows, "risk-rows"), label, page, ""


def nowcasts(folders: Folders) -> list[str]:
    """Now-cast folders (``risk.parquet``) under ``results/nowcasts``, newest first."""
    root = folders.results / "nowcasts"
    found = [p.parent for p in root.glob("*/risk.parquet")] if root.is_dir() else []
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [str(p.relative_to(folders.results)) for p in found]


def _whole(value: Any, key: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(key, "a whole number", value) from None
    if not math.isfinite(number) or number != int(number):
        raise ConfigError(key, "a whole number", value)
    return int(number)


def _days(value: Any, key: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(key, "a number of days", value) from None
