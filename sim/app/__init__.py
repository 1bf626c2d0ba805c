"""``ordertwin-app``: the planners' workbench in the browser (the ``[app]`` extra, Dash).

One idea per module: the folders the app may write (:mod:`sim.app.folders`), forms to and from
user scenario YAML (:mod:`sim.app.scenario_form`), sweeps and now-casts run as subprocesses
(:mod:`sim.app.jobs`), reading a sweep's and a now-cast's files (:mod:`sim.app.results`), the
request checks (:mod:`sim.app.security`), the pages (:mod:`sim.app.layout`), their callbacks
(:mod:`sim.app.callbacks`) and the server that ties them (:mod:`sim.app.server`). Nothing here
is imported by the ``ordertwin`` command: the core install and its start-up stay lean.
"""
