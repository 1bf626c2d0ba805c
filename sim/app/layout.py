"""The workbench's pages: scenario levers, run a comparison, results, now-cast.

Plain Dash components and nothing else: every value a page shows comes from the callbacks
(:mod:`sim.app.callbacks`). A form field's id carries its config key, so an error naming that
key is shown beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pandas as pd
from dash import dcc, html
from dash.dash_table.DataTable import DataTable

PAGES = (
    ("scenario", "1. Scenario"),
    ("run", "2. Run a comparison"),
    ("results", "3. Results"),
    ("nowcast", "4. Now-cast"),
)
ERROR_STYLE = {"color": "#b00020", "fontSize": "0.9em", "minHeight": "1em"}
FIELD_STYLE = {"display": "grid", "gridTemplateColumns": "22em 24em 1fr", "gap": "0.5em"}
PAGE_STYLE = {"fontFamily": "system-ui, sans-serif", "margin": "1em 2em", "maxWidth": "80em"}


def lever_id(key: str) -> dict[str, str]:
    return {"type": "lever", "key": key}


def lever_error_id(key: str) -> dict[str, str]:
    return {"type": "lever-error", "key": key}


def field(label: str, control: Any, error_id: Any) -> html.Div:
    """A labelled control with its error line beside it."""
    return html.Div(
        [html.Label(label), control, html.Div(id=error_id, style=ERROR_STYLE)],
        style=FIELD_STYLE,
    )


def lever(
    label: str, key: str, value: Any, kind: Literal["text", "number"] = "number", **extra: Any
) -> html.Div:
    control = dcc.Input(id=lever_id(key), type=kind, value=value, debounce=False, **extra)
    return field(label, control, lever_error_id(key))


def lever_dropdown(label: str, key: str, value: str, options: list[str]) -> html.Div:
    control = dcc.Dropdown(
        id=lever_id(key),
        options=[{"label": o or "(none)", "value": o} for o in options],
        value=value,
        clearable=False,
    )
    return field(label, control, lever_error_id(key))


def levers_form(form: Mapping[str, Any], scenario: Mapping[str, Any]) -> list[Any]:
    """The levers of one scenario, grouped as a planner thinks of them."""
    warehouses = scenario["warehouses"]
    regions = list(scenario["regions"])
    parts: list[Any] = [
        lever("Description", "scenario.description", form["scenario.description"], "text"),
        html.H4("Demand"),
        lever(
            "Base demand, orders per hour",
            "scenario.demand.base_rate_per_h",
            form["scenario.demand.base_rate_per_h"],
            step="any",
        ),
        html.Div("Add a burst (a live stream or flash sale; leave the name empty for none):"),
        lever("Burst name", "scenario.demand.bursts.new.name", "", "text"),
        lever("Burst start (date or local time)", "scenario.demand.bursts.new.start", "", "text"),
        lever("Burst duration, hours", "scenario.demand.bursts.new.duration_h", 4.0, step="any"),
        lever(
            "Burst peak, x base rate",
            "scenario.demand.bursts.new.peak_multiplier",
            20.0,
            step="any",
        ),
        html.H4("Warehouses: pickers, shifts (start+length hours), stock"),
    ]
    for name, w in warehouses.items():
        key = f"scenario.warehouses.{name}"
        parts += [
            lever(f"{name} ({w['region']}): pickers", f"{key}.pickers", form[f"{key}.pickers"]),
            lever(f"{name}: shifts", f"{key}.shifts", form[f"{key}.shifts"], "text"),
            lever(f"{name}: stock, % of levels", f"{key}.stock", form[f"{key}.stock"], step="any"),
        ]
    parts += [
        html.H4("Weather: add a storm (region empty for none)"),
        lever_dropdown("Storm region", "scenario.weather.storms.new.region", "", ["", *regions]),
        lever("Storm start (date or local time)", "scenario.weather.storms.new.start", "", "text"),
        lever("Storm duration, hours", "scenario.weather.storms.new.duration_h", 48.0, step="any"),
        lever("Storm severity (0-1)", "scenario.weather.storms.new.severity", 0.9, step="any"),
        html.H4("Stock data and promises"),
        lever(
            "Stock sync interval, hours",
            "scenario.inventory.sync_interval_h",
            form["scenario.inventory.sync_interval_h"],
            step="any",
        ),
    ]
    for level in scenario["service_levels"]:
        key = f"scenario.service_levels.{level}.promise_h"
        parts.append(lever(f"Promise, {level}, hours", key, form[key], step="any"))
    return parts


VERDICT_COLOURS = {"better": "#cfe8cf", "worse": "#f8d9b8"}  # the report's green / orange


def table(
    frame: pd.DataFrame,
    table_id: str,
    page_size: int = 25,
    coloured: Sequence[tuple[int, str, str]] = (),
) -> Any:
    """A table; ``coloured`` cells ``(row, column, verdict)`` get the verdict's colour."""
    styles = [
        {
            "if": {"row_index": row, "column_id": column},
            "backgroundColor": VERDICT_COLOURS[verdict],
        }
        for row, column, verdict in coloured
    ]
    return DataTable(
        style_data_conditional=styles,
        id=table_id,
        data=[
            {str(k): v for k, v in row.items()}
            for row in frame.round(3).astype(object).where(frame.notna(), None).to_dict("records")
        ],
        columns=[{"name": str(c), "id": str(c)} for c in frame.columns],
        page_size=page_size,
        style_table={"overflowX": "auto"},
        style_cell={"fontFamily": "system-ui, sans-serif", "fontSize": "0.85em"},
    )


def _options(names: list[str]) -> list[dict[str, str]]:
    return [{"label": n, "value": n} for n in names]


def choice(
    label: str, control_id: str, names: list[str], value: Any, error_id: str, multi: bool = False
) -> html.Div:
    """A labelled drop-down of names, with its error line."""
    control = dcc.Dropdown(
        id=control_id, options=_options(names), value=value, multi=multi, clearable=multi
    )
    return field(label, control, error_id)


def scenario_page(scenarios: list[str]) -> html.Div:
    return html.Div(
        [
            html.P(
                "Start from a shipped or user scenario, change its levers, save it under a "
                "new name: it is written to the user config folder and runs from the command "
                "line too (ordertwin scenario=NAME)."
            ),
            choice("Start from scenario", "base-scenario", scenarios, "baseline", "base-error"),
            field("Save as (name)", dcc.Input(id="save-name", type="text", value=""), "name-error"),
            html.Div(id="levers"),
            html.Button("Save scenario", id="save-scenario", n_clicks=0),
            html.Div(id="save-status", style={"margin": "0.5em 0"}),
            html.Pre(id="saved-yaml", style={"background": "#f4f4f4", "padding": "0.5em"}),
        ]
    )


def run_page(scenarios: list[str], routings: list[str], monitorings: list[str]) -> html.Div:
    return html.Div(
        [
            html.P(
                "Compare policies on the same seeds (common random numbers): the sweep runs "
                "as `ordertwin -m ...` in the background and writes results/sweeps/<date>/<time>/, "
                "as the command line does."
            ),
            choice("Scenarios", "run-scenarios", scenarios, ["baseline"], "scenarios-error", True),
            choice(
                "Routing policies",
                "run-routings",
                routings,
                ["nearest", "rules"],
                "routings-error",
                multi=True,
            ),
            choice("Monitoring", "run-monitoring", monitorings, "none", "monitoring-error"),
            field(
                "Seeds (1..n)",
                dcc.Input(id="run-seeds", type="number", value=2, min=1),
                "seeds-error",
            ),
            field(
                "Horizon, days",
                dcc.Input(id="run-horizon", type="number", value=7, min=1),
                "horizon_days-error",
            ),
            field(
                "Warm-up, days",
                dcc.Input(id="run-warmup", type="number", value=1, min=0),
                "warmup_days-error",
            ),
            html.Button("Run comparison", id="run-sweep", n_clicks=0),
            html.Div(id="run-status", style={"margin": "0.5em 0", "fontWeight": "bold"}),
            html.Progress(id="run-progress", value="0", max="1", style={"width": "30em"}),
            html.Pre(id="run-command", style={"whiteSpace": "pre-wrap", "fontSize": "0.8em"}),
        ]
    )


def results_page() -> html.Div:
    return html.Div(
        [
            choice("Sweep", "results-sweep", [], None, "sweep-error"),
            html.Div(id="results-downloads"),
            html.H3("Scorecard"),
            html.Div(id="results-sentences"),
            html.Div(id="results-scorecard"),
            html.H3("Risk view: the spread across replications"),
            html.Div(id="results-risk"),
            html.H3("Charts"),
            html.Div(id="results-charts"),
            html.H3("Jobs"),
            html.Div(id="results-summary"),
        ]
    )


def nowcast_page(scenarios: list[str]) -> html.Div:
    return html.Div(
        [
            html.P(
                "Load a state snapshot (written by `ordertwin export.snapshot_at_h=H`, under "
                "the results folder) and rank its open orders by the risk of missing their "
                "promise: ordertwin-nowcast runs in the background."
            ),
            choice("Snapshot", "nowcast-snapshot", [], None, "snapshot-error"),
            choice("Scenario", "nowcast-scenario", scenarios, "storm", "nowcast-scenario-error"),
            field(
                "New demand for, days",
                dcc.Input(id="nowcast-days", type="number", value=3),
                "days-error",
            ),
            field(
                "Replications",
                dcc.Input(id="nowcast-replications", type="number", value=50),
                "replications-error",
            ),
            html.Button("Run now-cast", id="run-nowcast", n_clicks=0),
            html.Div(id="nowcast-status", style={"margin": "0.5em 0", "fontWeight": "bold"}),
            choice("Now-cast", "nowcast-out", [], None, "nowcast-error"),
            html.Div(
                [
                    html.Button("Previous", id="risk-prev", n_clicks=0),
                    html.Span(id="risk-page-label", style={"margin": "0 1em"}),
                    html.Button("Next", id="risk-next", n_clicks=0),
                ]
            ),
            html.Div(id="risk-table"),
        ]
    )


def page(scenarios: list[str], routings: list[str], monitorings: list[str]) -> html.Div:
    """The whole app: a tab bar and the four pages (only the chosen one shown)."""
    return html.Div(
        [
            html.H2("ordertwin workbench"),
            dcc.Tabs(
                id="tabs",
                value="scenario",
                children=[dcc.Tab(label=label, value=value) for value, label in PAGES],
            ),
            html.Div(scenario_page(scenarios), id="page-scenario"),
            html.Div(run_page(scenarios, routings, monitorings), id="page-run"),
            html.Div(results_page(), id="page-results"),
            html.Div(nowcast_page(scenarios), id="page-nowcast"),
            dcc.Store(id="sweep-job"),
            dcc.Store(id="nowcast-job"),
            dcc.Store(id="risk-page", data=0),
            dcc.Interval(id="poll", interval=1000),
        ],
        style=PAGE_STYLE,
    )
