"""``ordertwin-app [--port N] [--host H]``: the planners' workbench in the browser.

Needs the ``[app]`` extra (``pip install "ordertwin[app]"``); without it, one line says so.
Bound to 127.0.0.1 by default; the app answers only to the host it is served as and checks
every request (:mod:`sim.app.security`). It writes user scenarios to the user config folder
and runs, sweeps and now-casts under ``results/`` in the folder it is started from.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from scenarios.errors import ConfigError
from sim.cli.errors import fail

PROG = "ordertwin-app"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        help="another name the app may be reached as (behind a proxy); repeatable",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if not 1 <= args.port <= 65535:
        fail(PROG, ConfigError("--port", "a port in [1, 65535]", args.port))
    try:
        from sim.app.folders import Folders
        from sim.app.security import Guard
        from sim.app.server import create_app
    except ImportError as err:  # the [app] extra is not installed
        print(
            f'{PROG}: error: {err.name} is missing: pip install "ordertwin[app]"', file=sys.stderr
        )
        sys.exit(2)
    guard = Guard.for_address(args.host, args.port, args.allow_host)
    app, runner = create_app(Folders.default(), guard)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"{PROG}: http://{shown}:{args.port}/")
    try:
        app.run(host=args.host, port=args.port, debug=False)
    finally:
        runner.stop_all()


if __name__ == "__main__":
    main()
