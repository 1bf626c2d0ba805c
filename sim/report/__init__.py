"""The sweep report: tables, charts and report.html from what a sweep's jobs wrote.

``sim.report.build.build_report(sweep_dir)`` builds it; ``sweep`` reads the jobs, ``aggregate``
and ``stats`` make the tables, ``scorecard`` the first screen (Holm-corrected differences and a
sentence per policy), ``findings`` the details in words, ``chart_registry`` lists the charts.
Nothing is re-exported here: the Hydra callback imports this package on every sweep, and the
charting modules (matplotlib) are loaded only when a report is built.
"""
