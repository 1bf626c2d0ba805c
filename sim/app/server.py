"""The workbench server: the Dash app, its request checks and the read-only file route.

:func:`create_app` wires the pages (:mod:`sim.app.layout`), their callbacks
(:mod:`sim.app.callbacks`), the job runner and the request guard (:mod:`sim.app.security`).
``GET /files/<path>`` sends a file of the results folder (charts inline; ``report.html``, the
workbook and CSVs as downloads) and nothing else: it reads, never writes.
"""

from __future__ import annotations

from pathlib import Path

import dash
from dash import html
from flask import Response, abort, request, send_file

from scenarios.errors import ConfigError
from sim.app import callbacks, layout, results, scenario_form
from sim.app.folders import Folders
from sim.app.jobs import JobRunner
from sim.app.security import Guard

INLINE = (".png",)


def policy_names(group: str) -> list[str]:
    """The packaged configs of a policy group (``routing``, ``monitoring``), by name."""
    import sim.conf as packaged

    folder = Path(next(iter(packaged.__path__))) / group
    return sorted(p.stem for p in folder.glob("*.yaml"))


def create_app(folders: Folders, guard: Guard) -> tuple[dash.Dash, JobRunner]:
    """The workbench for ``folders``, answering only as ``guard`` allows."""
    app = dash.Dash(
        __name__,
        title="ordertwin workbench",
        update_title="",  # no "Updating..." flicker in the tab title
        serve_locally=True,  # no CDN: the page works offline and loads nothing from elsewhere
        suppress_callback_exceptions=True,  # the levers are built per scenario
    )
    runner = JobRunner(folders)
    routings, monitorings = policy_names("routing"), policy_names("monitoring")

    def fresh_page() -> html.Div:
        """Built on every page load (Dash calls a layout function each time), so a scenario
        calibrated or saved from another tab since the app started is offered without a
        restart."""
        return layout.page(scenario_form.scenario_names(folders), routings, monitorings)

    app.layout = fresh_page
    callbacks.register(app, folders, runner)
    guard.install(app.server)

    @app.server.get("/files/<path:relative>")
    def files(relative: str) -> Response:
        try:
            path, kind = results.served_file(folders, relative)
        except (ConfigError, FileNotFoundError, OSError):
            abort(404)
        download = request.args.get("download") == "1" or path.suffix not in INLINE
        return send_file(path, mimetype=kind, as_attachment=download, download_name=path.name)

    return app, runner
